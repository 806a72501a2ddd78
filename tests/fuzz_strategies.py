"""Hypothesis strategies for any endpoint: garbage bodies and headers, and edits of real payloads.

Garbage: random bytes and text, JSON of any shape in odd encodings, JSON nested past Python's recursion
limit, bodies just past the size limit, urlencoded and multipart forms (file uploads included), and
header values with any byte HTTP allows (not all of it UTF-8). Near-valid: a recorded payload with a
few fields dropped, replaced by garbage, retyped or added.
"""

from __future__ import annotations

import copy
import json
import math
import urllib.parse
from collections.abc import Callable, Iterator
from typing import Any

from hypothesis import strategies as st

from .fuzz_target import Headers

MAX_BODY = 1024 * 1024  # create_app's client_max_size

# What HTTP allows in a header value (RFC 9110: visible ASCII, space, tab, and any byte from 0x80);
# the HTTP parser refuses the rest with a 400 before the app sees the request.
_NOT_IN_HEADERS = bytes(b for b in range(256) if (b < 0x20 and b != 0x09) or b == 0x7F)


def header_bytes(raw: bytes) -> bytes:
    return raw.translate(None, _NOT_IN_HEADERS)


PRINTABLE = st.characters(min_codepoint=0x20, max_codepoint=0x7E)
TEXT = st.characters(exclude_categories=("Cs",))  # what a form or a URL can carry
HEADER_VALUES = st.one_of(
    st.text(PRINTABLE, max_size=80).map(str.encode),
    st.text(max_size=40).map(lambda s: header_bytes(s.encode("utf-8", "surrogatepass"))),
    st.binary(max_size=80).map(header_bytes),  # not UTF-8: aiohttp decodes it with surrogateescape
)
CONTENT_TYPES = st.one_of(
    st.sampled_from([
        b"application/json", b"application/json; charset=utf-8", b"application/json; charset=utf-16",
        b"application/json; charset=bogus", b"application/json; charset=rot13", b"text/plain",
        b"text/plain; charset=latin-1", b"application/x-www-form-urlencoded",
        b"application/x-www-form-urlencoded; charset=utf-16", b"multipart/form-data",
        b"multipart/form-data; boundary=fuzz", b"application/octet-stream", b"", b"*/*",
    ]),
    HEADER_VALUES,
)  # fmt: skip
# Edits change the lists and objects they draw: each draw is a fresh copy.
EXTREMES = st.sampled_from([
    0, -1, 1, 2**31, 2**53 + 1, 2**63, 2**64, -(2**63), 10**40, 1.5, 1e308, -1e308, 1e-320, math.nan,
    math.inf, -math.inf, "", " ", "\x00", "\ud800", "\udfff", "\U0001f600", "0", "-1", "1e999", "NaN",
    "null", "a" * 5000, "/start", "/exit", "/erase", "c:step_done", "c:", "/affirm", "/quick_exit",
    '/inform_platform{"platform": "instagram"}', True, False, None, [], {}, [None], {"": None},
]).map(copy.deepcopy)  # fmt: skip
JSON_VALUES = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=40), EXTREMES),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=12,
)


def as_json(value: Any) -> bytes:
    return json.dumps(value).encode()


def as_raw_unicode(value: Any) -> bytes:
    """Unescaped: a lone surrogate becomes bytes that are not UTF-8."""
    return json.dumps(value, ensure_ascii=False).encode("utf-8", "surrogatepass")


def as_utf16(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False).encode("utf-16", "surrogatepass")


def as_truncated(value: Any) -> bytes:
    return json.dumps(value).encode()[:-1]


SERIALIZERS = (as_json, as_raw_unicode, as_utf16, as_truncated)


def deep(depth: int, opener: bytes, closed: bool) -> bytes:
    """JSON nested `depth` times: arrays, or objects whose one field holds the next."""
    inner, closer = (b"", b"]") if opener == b"[" else (b"1", b"}")
    return opener * depth + inner + (closer * depth if closed else b"")


def huge(size: int) -> bytes:
    return b'{"text": "' + b"a" * size + b'"}'


def multipart(parts: list[tuple[str, bytes, bool]]) -> bytes:
    """A multipart/form-data body (boundary "fuzz") of (name, value, is a file upload) parts."""
    out = b""
    for name, value, is_file in parts:
        disposition = f'form-data; name="{name}"' + ('; filename="f.bin"' if is_file else "")
        out += b"--fuzz\r\nContent-Disposition: " + disposition.encode("utf-8", "surrogatepass")
        out += b"\r\n\r\n" + value + b"\r\n"
    return out + b"--fuzz--\r\n"


MULTIPART_TYPE = b"multipart/form-data; boundary=fuzz"
FIELD_NAMES = st.one_of(
    st.sampled_from(["csrf", "name", "password", "MessageSid", "From", "Body", "MessageStatus", "NumMedia"]),
    st.text(PRINTABLE.filter(lambda c: c != '"'), max_size=12),
)
GARBAGE_BODIES = st.one_of(
    st.binary(max_size=512),
    st.text(max_size=200).map(lambda s: s.encode("utf-8", "surrogatepass")),
    st.builds(lambda value, serialize: serialize(value), JSON_VALUES, st.sampled_from(SERIALIZERS)),
    st.builds(deep, st.integers(1, 200_000), st.sampled_from([b"[", b'{"a":']), st.booleans()),
    st.builds(huge, st.integers(1, MAX_BODY + 4096)),
)
FORMS = st.lists(st.tuples(FIELD_NAMES, st.text(TEXT, max_size=40)), max_size=6).map(
    lambda items: urllib.parse.urlencode(items).encode()
)
MULTIPARTS = st.lists(st.tuples(FIELD_NAMES, st.binary(max_size=40), st.booleans()), max_size=4).map(
    multipart
)


@st.composite
def garbage(draw: st.DrawFn) -> tuple[bytes | None, bytes]:
    """(Content-Type or None, body): anything, or a form of random fields."""
    match draw(st.sampled_from(["any", "form", "multipart"])):
        case "form":
            return draw(st.sampled_from([b"application/x-www-form-urlencoded", None])), draw(FORMS)
        case "multipart":
            return MULTIPART_TYPE, draw(MULTIPARTS)
        case _:
            return draw(st.none() | CONTENT_TYPES), draw(GARBAGE_BODIES)


def body_headers(content_type: bytes | None) -> Headers:
    return () if content_type is None else ((b"Content-Type", content_type),)


@st.composite
def json_bodies(draw: st.DrawFn, near_valid: st.SearchStrategy[Any]) -> tuple[bytes | None, bytes]:
    """Half the time a near-valid JSON document (mostly serialized as providers do), else garbage."""
    if draw(st.booleans()):
        return draw(garbage())
    serialize = draw(st.sampled_from(SERIALIZERS)) if draw(st.booleans()) else as_json
    return b"application/json", serialize(draw(near_valid))


def differs(secret: bytes) -> Callable[[bytes], bool]:
    """For forged header values: not the secret, even once the server strips surrounding whitespace."""
    return lambda value: value.strip(b" \t") != secret


# --- near-valid: the recorded payloads, edited


def keys_of(value: Any) -> set[str]:
    """Every object key anywhere in a JSON value."""
    if isinstance(value, dict):
        return set(value) | {k for child in value.values() for k in keys_of(child)}
    if isinstance(value, list):
        return {k for child in value for k in keys_of(child)}
    return set()


def known_keys(payloads: list[Any]) -> st.SearchStrategy[str]:
    """Keys the provider uses (so that an added field may be one the parser reads), or any text."""
    return st.sampled_from(sorted(set().union(*map(keys_of, payloads)))) | st.text(max_size=12)


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield prefix
    if isinstance(value, dict | list):
        for key, child in value.items() if isinstance(value, dict) else enumerate(value):
            yield from _paths(child, (*prefix, key))


def _at(value: Any, path: tuple[Any, ...]) -> Any:
    for step in path:
        value = value[step]
    return value


def _as_string(value: Any) -> Any:
    return json.dumps(value)


def _as_list(value: Any) -> Any:
    return [value]


def _as_object(value: Any) -> Any:
    return {"": value}


def _as_number(value: Any) -> Any:
    return len(json.dumps(value))


RETYPES: tuple[Callable[[Any], Any], ...] = (_as_string, _as_list, _as_object, _as_number)


@st.composite
def edited(draw: st.DrawFn, original: Any, keys: st.SearchStrategy[str]) -> Any:
    """A copy of a JSON value with 0-3 edits: a field dropped, replaced with garbage, retyped, or added."""
    value = copy.deepcopy(original)
    for _ in range(draw(st.integers(0, 3))):
        path = draw(st.sampled_from(list(_paths(value))))
        edit = draw(st.sampled_from(["drop", "replace", "retype", "add"]))
        node = _at(value, path)
        if edit == "add" and isinstance(node, dict):
            node[draw(keys)] = draw(JSON_VALUES)
        elif edit == "add" and isinstance(node, list):
            node.append(draw(JSON_VALUES))
        else:
            new = draw(st.sampled_from(RETYPES))(node) if edit == "retype" else draw(JSON_VALUES)
            if not path:
                value = new
            elif edit == "drop":
                del _at(value, path[:-1])[path[-1]]
            else:
                _at(value, path[:-1])[path[-1]] = new
    return value


def set_everywhere(value: Any, key: str, field: str, new: Any) -> None:
    """Set `field` of every object found under `key` (every "chat" gets the drawn chat id)."""
    children = (
        value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    )
    for name, child in children:
        if name == key and isinstance(child, dict):
            child[field] = new
        set_everywhere(child, key, field, new)
