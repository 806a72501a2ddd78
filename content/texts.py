"""The conversation's response templates and labels (content/responses.yml)."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from content.model import CONTENT_DIR, ContentError

USES = frozenset(
    {
        "playbook",
        "step",
        "emergency",
        "helplines",
        "minors",
        "around_the_clock",
        "crisis",
        "police",
        "silent",
        "quote",
        "told",
    }
)
QUESTIONS = frozenset(
    {"safety", "resume", "consent", "age", "platform", "erase", "country", "export", "inbox", "keep"}
)
WORDINGS = ("text", "discreet", "sms", "sms_discreet")
SINGULAR = "_one"  # `text_one:` is the English singular of `text:` (see Template.count)
PLACEHOLDER = re.compile(r"\{(\w+)\}")


@dataclass(frozen=True, slots=True, kw_only=True)
class Button:
    label: str
    intent: str
    entities: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True, kw_only=True)
class Template:
    text: str
    discreet: str | None = None  # the wording for discreet mode: nothing alarming in a preview
    # The wording on SMS, where every segment costs: shorter. "": not sent on SMS, because another
    # reply's SMS wording says it (the first contact's).
    sms: str | None = None
    # The SMS wording in discreet mode, where `discreet` is too long for SMS or "" (said by another's).
    sms_discreet: str | None = None
    uses: frozenset[str] = frozenset()
    buttons: Sequence[Button] = ()
    asks: str | None = None  # the question this reply asks: the next message may answer it
    quote: str | None = None  # "playbook.step": a step whose sourced words the reply quotes
    # Wordings that agree with a number ("1 short step", "8 short steps"): the field holding it, and
    # each such wording's English singular (`text_one:` beside `text:`), keyed by the wording itself.
    # They go through ngettext, so every language gets as many forms as its grammar has.
    count: str | None = None
    singulars: Mapping[str, str] = field(default_factory=dict)

    def wording(self, discreet: bool) -> str:
        return self.discreet if discreet and self.discreet is not None else self.text

    def sms_wording(self, discreet: bool) -> str:
        """On SMS as elsewhere, discreet mode says the discreet wording: an SMS preview shows on a lock
        screen too. The SMS wording is a short `text`, so it may say what the discreet wording avoids."""
        if discreet and self.discreet is not None:
            return self.sms_discreet if self.sms_discreet is not None else self.discreet
        return self.sms if self.sms is not None else self.text


@dataclass(frozen=True, slots=True, kw_only=True)
class Texts:
    responses: Mapping[str, Template]
    fallbacks: Mapping[str, str]
    labels: Mapping[str, Mapping[str, str]]

    def label(self, group: str, name: str) -> str:
        try:
            return self.labels[group][name]
        except KeyError as error:
            raise ContentError(f"no label {group}.{name} in responses.yml") from error


def _template(key: str, raw: Mapping[str, Any]) -> Template:
    uses = frozenset(raw.get("uses") or ())
    if not uses <= USES:
        raise ContentError(f"response {key}: unknown uses {sorted(uses - USES)}")
    buttons = tuple(
        Button(label=b["label"], intent=b["intent"], entities=b.get("entities") or {})
        for b in raw.get("buttons") or ()
    )
    # Stripped as the extractor strips it, so the text is the catalog's msgid exactly.
    discreet = str(raw["discreet"]).strip() if "discreet" in raw else None
    sms, sms_discreet = (str(raw[name]).strip() if name in raw else None for name in ("sms", "sms_discreet"))
    if sms_discreet is not None and discreet is None:
        raise ContentError(f"response {key}: an `sms_discreet` shortens a `discreet` wording it lacks")
    asks = raw.get("asks")
    if asks is not None and asks not in QUESTIONS:
        raise ContentError(f"response {key}: unknown question {asks!r}")
    count, singulars = _plurals(key, raw)
    return Template(
        text=str(raw["text"]).strip(),
        discreet=discreet,
        sms=sms,
        sms_discreet=sms_discreet,
        uses=uses,
        buttons=buttons,
        asks=asks,
        quote=raw.get("quote"),
        count=count,
        singulars=singulars,
    )


def _plurals(key: str, raw: Mapping[str, Any]) -> tuple[str | None, dict[str, str]]:
    """The count field and {wording: its singular} of a response whose wordings agree with a number."""
    singulars = {
        str(raw[variant]).strip(): str(raw[f"{variant}{SINGULAR}"]).strip()
        for variant in WORDINGS
        if f"{variant}{SINGULAR}" in raw and variant in raw
    }
    strays = [f"{v}{SINGULAR}" for v in WORDINGS if f"{v}{SINGULAR}" in raw and v not in raw]
    count = raw.get("count")
    if strays or (count is None) != (not singulars):
        raise ContentError(f"response {key}: a `count` and each `*{SINGULAR}` beside its wording go together")
    for plural, singular in singulars.items():
        if not set(PLACEHOLDER.findall(singular)) == set(PLACEHOLDER.findall(plural)) >= {str(count)}:
            raise ContentError(f"response {key}: {singular!r} and {plural!r} must share their {{fields}}")
    return count, singulars


@cache
def load_texts(path: Path = CONTENT_DIR / "responses.yml") -> Texts:
    with path.open(encoding="utf-8") as handle:
        raw = yaml.safe_load(handle)
    return Texts(
        responses={key: _template(key, value) for key, value in raw["responses"].items()},
        fallbacks={key: str(value["text"]).strip() for key, value in raw["fallbacks"].items()},
        labels={
            group: {name: str(value["label"]) for name, value in items.items()}
            for group, items in raw["labels"].items()
        },
    )
