"""Babel extractor for the content YAML files (see babel.cfg).

English is authored once in content/; every value under a translatable key becomes a catalog entry,
with its place in the file as a translator comment. A value with an English singular beside it
(`text_one:` beside `text:`, content/texts.py) becomes a plural entry, as `ngettext(one, other, n)`
in code would: each catalog then holds as many forms as its language's plural rule has.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping
from typing import IO, Any

import yaml

TRANSLATABLE_KEYS = frozenset(
    {"text", "discreet", "sms", "sms_discreet", "more", "title", "recap", "description", "label"}
)
SINGULAR = "_one"

Message = str | tuple[str, str]  # a text, or (singular, plural)


def _walk(node: Any, path: str) -> Iterator[tuple[str, Message]]:
    if isinstance(node, Mapping):
        for key, value in node.items():
            if key in TRANSLATABLE_KEYS and isinstance(value, str):
                if value.strip():  # an empty SMS wording: nothing to translate
                    place = path + "." + key if path else key
                    singular = node.get(f"{key}{SINGULAR}")
                    yield place, (str(singular).strip(), value.strip()) if singular else value.strip()
            else:
                yield from _walk(value, f"{path}.{key}" if path else str(key))
    elif isinstance(node, list):
        for index, item in enumerate(node):
            name = item.get("id", index) if isinstance(item, Mapping) else index
            yield from _walk(item, f"{path}[{name}]")


def extract_content(
    fileobj: IO[bytes],
    keywords: Collection[str],
    comment_tags: Collection[str],
    options: Mapping[str, Any],
) -> Iterator[tuple[int, str | None, Message, list[str]]]:
    """Yield (line, function, message, comments) as babel expects."""
    document = yaml.safe_load(fileobj.read().decode("utf-8"))
    for place, message in _walk(document, ""):
        yield 0, "ngettext" if isinstance(message, tuple) else None, message, [place]
