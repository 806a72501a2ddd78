"""Her record of what happened: a guided entry, one question at a time, and her requests to see,
correct, delete or download entries ("keep a record", "my record", "change entry 2", "delete entry
2", "send me my record": a PDF behind a one-time link, once she said yes to having it on her phone).

The requests are keyword phrases of each language (nlu_data/<lang>/keywords.yml, `record_*`), read
whole, so no NLU intent is needed and none is taken from `document_evidence`. While an entry is being
written her messages answer its questions; each question is asked once. A message that plainly asks
for something else (a playbook, a person) ends the entry unsaved and gets what it asked for. A file
she sends meanwhile is not kept: the entry notes that one exists and when it came.

After her first entry is saved she is asked once how long to keep her record (bot/evidence/keeping.py):
30 days, 3 months or 1 year, up to EVIDENCE_MAX_DAYS; "ok", or anything else, keeps the 30 days.

When she has a record, the offer of a person has one more choice, "Yes, share my record" (typed in her
words too: `record_share`), so staff can read it, read-only, in the console (bot/handoff/desk.py).
"""

from __future__ import annotations

import asyncio
import re
import time
from dataclasses import replace
from datetime import UTC, date, datetime
from typing import Any

from babel.dates import format_date, format_time

from bot.evidence import keeping
from bot.evidence.dates import read_date
from bot.evidence.exports import PATH, Export, Exports
from bot.evidence.pdf import file_name, record_pdf
from bot.evidence.record import DEFAULT_KEEP_DAYS, Draft, Entry, Kept, RecordStore
from bot.language.keywords import RECORD_REQUESTS
from bot.pipeline.messages import Choice, InboundKind, OutboundMessage
from bot.pipeline.stages.questions import yes_or_no
from bot.pipeline.turn import Proceed, Replies, TurnState
from bot.rasa.engine import Engine, Parse
from bot.rasa.payloads import button_payload, parse_payload
from content.texts import load_texts

# What she may plainly ask for instead of answering (not while she tells what happened: her story
# reads as a playbook's intent, and it is the answer).
OTHER_REQUESTS = frozenset(
    {
        "human_handoff", "menu", "secure_account", "doxxing", "report_abuse", "intimate_images",
        "sextortion", "impersonation", "stalking", "document_evidence", "ask_pay", "ask_police",
        "ask_noticed", "ask_share", "ask_fault", "ask_trouble", "ask_reported", "cannot_call",
    }
)  # fmt: skip
SURE = 0.8
FILES = {InboundKind.IMAGE: "image", InboundKind.VIDEO: "video", InboundKind.DOCUMENT: "document"}
_LINK = re.compile(r"(?:https?://|www\.)\S+|(?<!\w)@\w[\w.]*", re.IGNORECASE)
_NUMBER = re.compile(r"(?<!\d)(\d{1,3})(?!\d)")
LIST_CHARS = 60  # of what happened, per entry in the list
CONSENT_OFFER = "handoff_offer"  # the offer of a person (content/responses.yml), answered by a yes
SHARE_RECORD = button_payload("affirm", {"share": "record"})


class EvidenceLog:
    def __init__(
        self, engine: Engine, records: RecordStore, exports: Exports, public_url: str | None, max_days: int
    ) -> None:
        """`public_url`: where she reaches this server (PUBLIC_URL); None: links are paths on it.
        `max_days`: the longest she may keep her record (EVIDENCE_MAX_DAYS)."""
        self._max_days = max_days
        self._engine = engine
        self._records = records
        self._exports = exports
        self._public_url = public_url or ""

    async def __call__(self, turn: TurnState, proceed: Proceed) -> Replies:
        if turn.urgent or turn.in_handoff:
            return await proceed(turn)
        if await self._shares_record(turn):
            turn.text, turn.parse = SHARE_RECORD, None  # the open question reads it as a yes
        replies = await self._handle(turn, proceed)
        if any(r.key == CONSENT_OFFER for r in replies) and await self._records.entries(turn.conversation):
            return [self._with_share_choice(r, turn) for r in replies]
        return replies

    async def _shares_record(self, turn: TurnState) -> bool:
        """ "share my record", typed in answer to the offer of a person, by someone who has one (and
        not "don't share my record")."""
        if not turn.readable or not any(a.question == "consent" for a in turn.prefs.asked):
            return False
        meanings = self._engine.meanings(turn.text, turn.language)
        if "record_share" not in meanings or "negation" in meanings:
            return False
        return bool(await self._records.entries(turn.conversation))

    def _with_share_choice(self, offer: OutboundMessage, turn: TurnState) -> OutboundMessage:
        """The offer of a person with "Yes, share my record" after its yeses, and a shorter SMS wording
        so that the longer list costs no more segments (another reply as it is)."""
        if offer.key != CONSENT_OFFER:
            return offer
        choice = Choice(title=self._engine.label("record", "share", turn.language), payload=SHARE_RECORD)
        yeses = [c for c in offer.choices if c.payload.startswith("/affirm")]
        rest = [c for c in offer.choices if not c.payload.startswith("/affirm")]
        sms = self._say(turn, "handoff_offer_record").text
        return replace(offer, choices=(*yeses, choice, *rest), sms=sms)

    async def _handle(self, turn: TurnState, proceed: Proceed) -> Replies:
        draft = turn.draft
        if draft is not None and turn.message.kind in FILES:
            return await self._file_noted(turn, draft)
        if not turn.readable:
            return await proceed(turn)
        if any(a.question == "export" for a in turn.prefs.asked):
            answer = yes_or_no(self._engine, turn)
            if answer is not None:  # else she moved on: the question is not asked again
                return await self._export(turn) if answer else [self._say(turn, "record_export_declined")]
        if any(a.question == "keep" for a in turn.prefs.asked):
            days = self._keep_answer(turn)
            if days is not None:  # else she moved on: 30 days, and the question is not asked again
                await self._records.keep_for(turn.conversation, days)
                return [self._say(turn, "record_kept", duration=self._keep_titles(turn)[days])]
        request = self._request(turn)
        if request is not None:
            return await self._requested(turn, request)
        if draft is None:
            return await proceed(turn)
        return await self._answer(turn, draft, proceed)

    def _request(self, turn: TurnState) -> str | None:
        """A request about her record: its phrase is the whole message but for an entry's number."""
        meanings = self._engine.meanings(_NUMBER.sub(" ", self._engine.with_digits(turn.text)), turn.language)
        return next((m for m in RECORD_REQUESTS if m in meanings), None)

    async def _requested(self, turn: TurnState, request: str) -> Replies:
        conversation = turn.conversation
        if request == "record_start":
            await self._records.save_draft(conversation, Draft(entry=Entry(written_at=time.time())))
            return [self._say(turn, "record_start")]
        entries = await self._records.entries(conversation)
        if request == "record_list" or (request == "record_send" and not entries):
            return [self._list(turn, entries)]
        if request == "record_send":  # the file will be on her phone: she says yes first
            return [self._say(turn, "record_export_confirm")]
        number = self._number(turn.text)
        if number is None or not 1 <= number <= len(entries):
            return [self._say(turn, "record_no_entry"), self._list(turn, entries)]
        if request == "record_delete":
            del entries[number - 1]
            await self._records.save_entries(conversation, entries)
            return [self._say(turn, "record_deleted", number=number)]
        await self._records.save_draft(conversation, Draft(entry=entries[number - 1], number=number))
        return [self._say(turn, "record_change", number=number)]

    async def _answer(self, turn: TurnState, draft: Draft, proceed: Proceed) -> Replies:
        conversation = turn.conversation
        meanings = self._engine.meanings(turn.text, turn.language)
        if "step_stop" in meanings:
            await self._records.drop_draft(conversation)
            return [self._say(turn, "record_stopped")]
        if "step_skip" in meanings:
            draft = draft.answered()
        else:
            parse = await self._engine.parse(turn.text, turn.language)
            values = self._values(turn, draft, parse, meanings)
            if values is None:  # she asked for something else: that, and the entry is not kept
                await self._records.drop_draft(conversation)
                turn.parse = parse
                return await proceed(turn)
            draft = draft.answered(**values)
        if draft.asking == "screenshots" and await self._minor(turn):  # never "keep screenshots" to a child
            draft = draft.answered()
        if draft.asking:
            await self._records.save_draft(conversation, draft)
            return [self._say(turn, f"record_ask_{draft.asking}")]
        return await self._save(turn, draft)

    async def _minor(self, turn: TurnState) -> bool:
        return "minor" in ((await self._engine.slots(turn.conversation)).get("risks") or ())

    def _values(
        self, turn: TurnState, draft: Draft, parse: Parse, meanings: list[str]
    ) -> dict[str, Any] | None:
        """What her message answers, or None when it plainly asks for something else instead."""
        text = turn.text.strip()
        if parse_payload(text) is not None and draft.asking != "screenshots":
            return None  # a button of an earlier reply: what it asks for
        match draft.asking:
            case "when":
                day = read_date(text, turn.language, datetime.now(UTC).date())
                if day is None and _asks_instead(parse):
                    return None
                return {"when": text, "day": day.isoformat() if day else None}
            case "where":
                platform = _platform(parse)
                if platform is None and _asks_instead(parse):
                    return None
                return {"where": text, "platform": platform}
            case "who":
                return None if _asks_instead(parse) else {"who": text}
            case "what":
                return {"what": text}
            case "links":
                if "deny" in meanings:
                    return {"links": ()}
                found = tuple(_LINK.findall(text))
                return None if not found and _asks_instead(parse) else {"links": found or (text,)}
            case _:  # screenshots
                return {"screenshots": yes_or_no(self._engine, turn)}

    def _keep_answer(self, turn: TurnState) -> int | None:
        """The days she chose: pressed, typed ("3 months", "mwaka 1"), or 30 for a plain yes ("ok")."""
        days = keeping.pressed(turn.text)
        if days is not None:
            return days if days <= self._max_days else None
        text = self._engine.with_digits(turn.text)
        days = keeping.typed(text, turn.language, self._keep_titles(turn), self._max_days)
        meanings = self._engine.meanings(turn.text, turn.language)
        if days is None and ("ok" in meanings or yes_or_no(self._engine, turn)):
            return DEFAULT_KEEP_DAYS
        return days

    def _keep_question(self, turn: TurnState) -> OutboundMessage:
        question = self._say(turn, "record_keep_ask")
        return replace(question, choices=keeping.offered(question.choices, self._max_days))

    def _keep_titles(self, turn: TurnState) -> dict[int, str]:
        """The choices' titles in her language, by their days."""
        choices = self._say(turn, "record_keep_ask").choices
        return {days: c.title for c in choices if (days := keeping.pressed(c.payload)) is not None}

    async def _export(self, turn: TurnState) -> Replies:
        """Her record as a PDF behind a one-time link."""
        entries = await self._records.entries(turn.conversation)
        if not entries:
            return [self._list(turn, entries)]
        language, made = turn.language, datetime.now(UTC)
        pdf = await asyncio.to_thread(
            record_pdf,
            entries,
            language=language,
            label=lambda name: self._engine.label("record", name, language),
            platform=lambda name: self._engine.label("platforms", name, language),
            made=made,
        )
        token = await self._exports.create(turn.conversation, Export(name=file_name(made.date()), pdf=pdf))
        return [self._say(turn, "record_export_link", link=f"{self._public_url}{PATH}{token}")]

    async def _save(self, turn: TurnState, draft: Draft) -> Replies:
        conversation = turn.conversation
        entries = await self._records.entries(conversation)
        ask_keep = await self._records.keep_days(conversation) is None  # her first entry
        if draft.number is not None and draft.number <= len(entries):
            entries[draft.number - 1] = draft.entry
            number = draft.number
        else:
            entries.append(draft.entry)
            number = len(entries)
        await self._records.save_entries(conversation, entries)
        await self._records.drop_draft(conversation)
        saved = self._say(turn, "record_saved", number=number)
        return [saved, self._keep_question(turn)] if ask_keep else [saved]

    async def _file_noted(self, turn: TurnState, draft: Draft) -> Replies:
        """A screenshot or file sent while writing: noted with its time, never kept."""
        message = turn.message
        kept = Kept(kind=FILES[message.kind], at=message.received_at)
        entry = replace(draft.entry, files=(*draft.entry.files, kept))
        await self._records.save_draft(turn.conversation, replace(draft, entry=entry))
        at = datetime.fromtimestamp(message.received_at, UTC)
        return [self._say(turn, "record_file_noted", time=self._time(at, turn.language))]

    def _list(self, turn: TurnState, entries: list[Entry]) -> OutboundMessage:
        if not entries:
            return self._say(turn, "record_empty")
        lines = "\n".join(self._line(number, entry, turn.language) for number, entry in enumerate(entries, 1))
        return self._say(turn, "record_list", entries=lines)

    def _line(self, number: int, entry: Entry, language: str) -> str:
        """One entry in the list: its number, day, place and the start of what happened."""
        day = (
            format_date(date.fromisoformat(entry.day), "medium", locale=language) if entry.day else entry.when
        )
        where = self._engine.label("platforms", entry.platform, language) if entry.platform else entry.where
        what = entry.what if len(entry.what) <= LIST_CHARS else entry.what[: LIST_CHARS - 1] + "…"
        return f"{number}. " + " · ".join(part for part in (day, where, what) if part)

    def _time(self, at: datetime, language: str) -> str:
        day = format_date(at.date(), "medium", locale=language)
        return f"{day} {format_time(at, 'short', locale=language)} UTC"

    def _number(self, text: str) -> int | None:
        found = _NUMBER.search(self._engine.with_digits(text))
        return int(found.group(1)) if found else None

    def _say(self, turn: TurnState, key: str, **params: Any) -> OutboundMessage:
        return self._engine.render(key, turn.language, turn.country, dict(params))


def _platform(parse: Parse) -> str | None:
    """The platform the NLU found, if it is one the content names."""
    found = (str(e["value"]) for e in parse.data.get("entities") or () if e.get("entity") == "platform")
    return next((p for p in found if p in load_texts().labels["platforms"]), None)


def _asks_instead(parse: Parse) -> bool:
    return parse.intent in OTHER_REQUESTS and parse.confidence >= SURE
