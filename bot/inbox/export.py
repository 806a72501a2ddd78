"""Labelled inbox items as Rasa NLU training data: `nlu_data/<lang>/inbox.yml`, for review in a pull
request; `make train` trains every `nlu_data/<lang>/*.yml` but keywords.yml, so it is used once merged.

The file is merged, not replaced: examples already in it stay (a reviewer may have edited them), new
ones are added under their intent, and a sentence already there is not added twice. The platform a
reviewer marked is annotated as Rasa's `[words](platform)`; square brackets she typed are dropped, so
nothing she wrote can read as an annotation.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml

from bot.inbox.store import Item

FILE_NAME = "inbox.yml"
HEADER = (
    "# Sentences people agreed to share after the assistant did not understand them (docs/inbox.md),\n"
    "# scrubbed of names, numbers and links, and labelled; written by `python -m bot inbox export`.\n"
)


class _Literal(str):
    """A string written as a YAML literal block (`examples: |`), as Rasa's own files are."""


class _Dumper(yaml.SafeDumper):
    pass


_Dumper.add_representer(
    _Literal, lambda dumper, data: dumper.represent_scalar("tag:yaml.org,2002:str", data, style="|")
)


def example(item: Item) -> str:
    """The item's sentence as one training example, its platform annotated."""
    text = " ".join(item.text.replace("[", " ").replace("]", " ").split())
    if item.platform and item.platform in text:
        text = text.replace(item.platform, f"[{item.platform}](platform)", 1)
    return text


def merged(existing: str | None, items: Iterable[Item]) -> str:
    """The file's text with the items' examples added under their intents."""
    examples: dict[str, list[str]] = defaultdict(list)
    data: dict[str, Any] = yaml.safe_load(existing) if existing else {}
    for block in data.get("nlu") or ():
        lines = str(block.get("examples") or "").splitlines()
        examples[str(block["intent"])] += [line[2:] for line in lines if line.startswith("- ")]
    for item in items:
        if item.intent is not None and (line := example(item)) not in examples[item.intent]:
            examples[item.intent].append(line)
    nlu = [
        {"intent": intent, "examples": _Literal("".join(f"- {line}\n" for line in lines))}
        for intent, lines in sorted(examples.items())
        if lines
    ]
    body = yaml.dump({"version": "3.1", "nlu": nlu}, Dumper=_Dumper, allow_unicode=True, sort_keys=False)
    return HEADER + body


def write(folder: Path, items: Iterable[Item]) -> Path:
    """Merge the items into `folder`/inbox.yml (a language's folder of nlu_data)."""
    path = folder / FILE_NAME
    existing = path.read_text(encoding="utf-8") if path.exists() else None
    folder.mkdir(parents=True, exist_ok=True)
    path.write_text(merged(existing, items), encoding="utf-8")
    return path
