"""Request bodies read so that whatever a client sends, a body we cannot take is a ValueError (a 400).

aiohttp and json raise more than ValueError for bodies a client controls: LookupError for an unknown
charset in Content-Type, RecursionError for JSON nested past Python's recursion limit, assertion and
runtime errors from the multipart parser. And JSON may carry unpaired surrogates ("\\ud800"), which no
text we store or send can hold. Found by tests/test_fuzz.py.
"""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web
from multidict import MultiDict, MultiDictProxy

FORM = "application/x-www-form-urlencoded"


def loads(raw: str | bytes) -> Any:
    """json.loads for I-JSON (RFC 7493): JSON nested too deeply for Python, or holding an unpaired
    surrogate, is refused like any malformed JSON."""
    try:
        data = json.loads(raw)
        json.dumps(data, ensure_ascii=False).encode()
    except RecursionError as error:
        raise ValueError("JSON nested too deeply") from error
    except UnicodeEncodeError as error:
        raise ValueError("JSON with an unpaired surrogate") from error
    return data


async def read_json(request: web.Request) -> Any:
    """The body as JSON, decoded with the charset its Content-Type names (UTF-8 by default)."""
    try:
        text = await request.text()
    except LookupError as error:
        raise ValueError("unknown charset") from error
    return loads(text)


async def read_form(request: web.Request) -> MultiDictProxy[str]:
    """The fields of a urlencoded form, the only kind Twilio and the sign-in page send. Anything else
    is refused unread: a multipart body goes to a parser that fails with assertions on malformed parts
    and keeps file uploads in temporary files."""
    if request.content_type != FORM:
        raise ValueError(f"not {FORM}")
    try:
        form = await request.post()
    except LookupError as error:
        raise ValueError("unknown charset") from error
    # A urlencoded form holds text fields only.
    return MultiDictProxy(MultiDict((name, value) for name, value in form.items() if isinstance(value, str)))
