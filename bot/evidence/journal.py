"""The guided entry and what she can do with her record, one question at a time.

The gateway owns the entry's questions, as it owns the erase question: each asks `record`, and her
next message is the answer when the last turn asked it. Danger, quick exit and erase are read before
(the safety stage comes first); danger written after a question pauses the entry, so her next words
are not taken as its answer. Her words are kept as she wrote them; a date is read from "when"
(bot/evidence/dates.py) and a platform from "where" (the NLU's entity).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import re
import time
from dataclasses import replace
from typing import Any

from babel.dates import format_date, format_datetime
from babel.units import format_unit

from bot.evidence.dates import DateWords, read_date
from bot.evidence.links import OneTimeLinks
from bot.evidence.model import PARTS, Draft, Entry, Part, Screenshot
from bot.evidence.pdf import Wording, file_name, render_pdf
from bot.evidence.store import Due, RecordStore
from bot.pipeline.messages import Choice, InboundKind, OutboundMessage
from bot.pipeline.turn import Replies, TurnState
from bot.rasa.engine import NLU_DATA, Engine
from bot.rasa.payloads import button_payload, parse_payload

BUTTON = "record"  # the payload intent of the entry's own buttons: /record{"do": "skip"}
REQUESTS = frozenset({"keep_record", "show_record", "send_record"})
# Images she may send while writing an entry that are about intimate images: never fingerprinted.
INTIMATE = frozenset({"intimate_images", "sextortion"})
DAY_CHOICES = (30, 90, 365)
SHARE_OFFERED = frozenset({"handoff_offer", "consent_unclear"})  # before "Not now", the last choice
_LINK = re.compile(r"(?:https?://|www\.)\S+|@\w[\w.]{1,60}", re.IGNORECASE)
MAX_CHARACTERS = 4000  # of one answer: a long story fits, a pasted book does not
# A short message the model reads as one of these with this confidence is not the entry's answer.
ELSEWHERE = frozenset({"human_handoff", "menu", "goodbye", "ask_police", "cannot_call"})
ELSEWHERE_WORDS, ELSEWHERE_CONFIDENCE = 6, 0.7


class Journal:
    def __init__(
        self,
        engine: Engine,
        store: RecordStore,
        links: OneTimeLinks,
        *,
        public_url: str | None = None,
        document_channels: frozenset[str] = frozenset(),
    ) -> None:
        self._engine = engine
        self._store = store
        self.links = links
        self._public_url = (public_url or "").rstrip("/")
        self._document_channels = document_channels
        self._dates = {lang: DateWords.load(NLU_DATA / lang / "keywords.yml") for lang in engine.languages}

    @property
    def store(self) -> RecordStore:
        return self._store

    async def request(self, turn: TurnState, name: str) -> Replies:
        """ "I want to keep a record", "my record", "send me my record" (the dialogue's reading)."""
        if name == "keep_record":
            return await self._start(turn)
        if name == "show_record":
            return await self._list(turn)
        return await self._export(turn)

    async def answer(self, turn: TurnState) -> Replies | None:
        """Her message read as the answer to the entry's question, or a press of its buttons; None
        when it is neither (the stages below answer it, and the entry waits)."""
        payload = parse_payload(turn.text) if turn.readable else None
        if payload is not None and payload[0] == BUTTON:
            return await self._button(turn, payload[1])
        if payload is not None or not any(a.question == "record" for a in turn.prefs.asked):
            return None
        conversation = turn.conversation
        draft = await self._store.draft(conversation)
        if draft is not None and turn.prefs.danger_at is not None and turn.prefs.danger_at > draft.asked_at:
            return None  # danger since the question: her words are about that now
        if turn.message.kind in {InboundKind.IMAGE, InboundKind.DOCUMENT} and draft is not None:
            return await self._screenshot(turn, draft)
        meanings = set(self._engine.meanings(turn.text, turn.language)) if turn.readable else set()
        if not turn.readable or meanings & REQUESTS or await self._elsewhere(turn):
            return None
        if "step_stop" in meanings:
            return await self._pause(turn, draft)
        if draft is not None:
            return await self._answer_part(turn, draft, turn.text.strip()[:MAX_CHARACTERS])
        pick = await self._store.pick(conversation)
        number = _number(self._engine.with_digits(turn.text))
        if pick == "export" and meanings & {"affirm", "deny"}:
            return await self._send(turn, "affirm" in meanings)
        if pick is not None and number is not None:
            return await self._picked(turn, pick, number)
        return None

    async def _elsewhere(self, turn: TurnState) -> bool:
        """A few words asking for something else ("talk to a person", "menu"): answered as such, and
        the entry waits for "new entry"."""
        if len(turn.text.split()) > ELSEWHERE_WORDS:
            return False
        turn.parse = turn.parse or await self._engine.parse(turn.text, turn.language)
        return turn.parse.intent in ELSEWHERE and turn.parse.confidence >= ELSEWHERE_CONFIDENCE

    # Starting, asking, saving

    async def _start(self, turn: TurnState) -> Replies:
        conversation = turn.conversation
        draft = await self._store.draft(conversation)
        if draft is not None and not draft.correcting:
            return [self._say("record_resume", turn), *await self._ask(turn, draft)]
        now = time.time()
        entry = Entry(number=0, written_at=now, changed_at=now)
        return [self._say("record_start", turn), *await self._ask(turn, Draft(entry=entry, asking=Part.WHEN))]

    async def _ask(self, turn: TurnState, draft: Draft) -> Replies:
        draft = replace(draft, asked_at=time.time())
        await self._store.write(turn.conversation, turn.language, draft=draft)
        return [self._say(f"record_ask_{draft.asking.value}", turn)]

    async def _answer_part(self, turn: TurnState, draft: Draft, words: str | None) -> Replies:
        """Her answer (None: skipped) into the part asked, then the next question or the saved entry."""
        entry = draft.entry
        if words is not None:
            entry = await self._fill(turn, draft.asking, entry, words)
        if draft.correcting or draft.asking is Part.SCREENSHOTS:
            return await self._save(turn, entry)
        following = PARTS[PARTS.index(draft.asking) + 1]
        return await self._ask(turn, replace(draft, entry=entry, asking=following))

    async def _fill(self, turn: TurnState, part: Part, entry: Entry, words: str) -> Entry:
        match part:
            case Part.WHEN:
                today = dt.datetime.fromtimestamp(turn.message.received_at).date()
                found = read_date(
                    words, turn.language, self._dates[turn.language], today, self._engine.with_digits
                )
                return replace(entry, when_text=words, when_date=found.isoformat() if found else None)
            case Part.WHERE:
                parse = await self._engine.parse(words, turn.language)
                platforms = [
                    e.get("value") for e in parse.data.get("entities") or () if e.get("entity") == "platform"
                ]
                return replace(entry, where=words, platform=str(platforms[0]) if platforms else None)
            case Part.WHO:
                return replace(entry, who=words)
            case Part.WHAT:
                return replace(entry, what=words)
            case Part.LINKS:
                return replace(entry, links=tuple(_LINK.findall(words)) or (words,))
            case Part.SCREENSHOTS:
                meanings = self._engine.meanings(words, turn.language)
                kept = (
                    True if "affirm" in meanings else False if "deny" in meanings else entry.kept_screenshots
                )
                return replace(entry, kept_screenshots=kept)

    async def _save(self, turn: TurnState, entry: Entry) -> Replies:
        conversation = turn.conversation
        if entry.number == 0:
            entry = replace(entry, number=await self._store.next_number(conversation))
        entry = replace(entry, changed_at=time.time())
        await self._store.write(conversation, turn.language, entry=entry)
        days = await self._store.days(conversation)
        return [self._say("record_saved", turn, number=entry.number, days=days)]

    async def _pause(self, turn: TurnState, draft: Draft | None) -> Replies:
        """ "Stop": a new entry waits, with no question open, for "keep a record"; a correction or a
        choice is dropped."""
        kept = draft if draft is not None and not draft.correcting else None
        await self._store.write(turn.conversation, turn.language, draft=kept)
        return [self._say("record_paused", turn)]

    async def _screenshot(self, turn: TurnState, draft: Draft) -> Replies:
        """A file she sent: not kept. Its existence (and fingerprint, where the channel gives one)
        goes into the entry, unless the conversation is about intimate images."""
        slots = await self._engine.slots(turn.conversation)
        if {slots.get("situation"), slots.get("playbook")} & INTIMATE:
            return [self._say("record_image_intimate", turn), *await self._ask(turn, draft)]
        shot = Screenshot(at=turn.message.received_at, sha256=turn.message.media_sha256)
        draft = replace(draft, entry=draft.entry.with_screenshot(shot))
        key = "record_screenshot_fingerprinted" if shot.sha256 else "record_screenshot_noted"
        return [self._say(key, turn), *await self._ask(turn, draft)]

    # Her buttons: skip, stop, yes/no, correct, delete, how long

    async def _button(self, turn: TurnState, entities: dict[str, str]) -> Replies:
        conversation = turn.conversation
        draft = await self._store.draft(conversation)
        pick = await self._store.pick(conversation)
        do, part = entities.get("do"), entities.get("part")
        if "number" in entities and pick is not None:
            return await self._picked(turn, pick, int(entities["number"]))
        if "days" in entities:
            return await self._set_days(turn, int(entities["days"]))
        if part in Part._value2member_map_ and pick is not None and pick.startswith("part:"):
            return await self._correct_part(turn, int(pick.split(":")[1]), Part(part))
        match do:
            case "stop":
                return await self._pause(turn, draft)
            case "skip" if draft is not None:
                return await self._answer_part(turn, draft, None)
            case "yes" | "no" if pick == "export":
                return await self._send(turn, do == "yes")
            case "yes" | "no" if pick is not None and pick.startswith("confirm:"):
                return await self._delete(turn, int(pick.split(":")[1]), do == "yes")
            case "yes" | "no" if draft is not None and draft.asking is Part.SCREENSHOTS:
                return await self._save(turn, replace(draft.entry, kept_screenshots=do == "yes"))
            case "correct" | "delete":
                return await self._which(turn, do)
            case "days":
                return [self._say("record_ask_days", turn, choices=self._day_choices(turn))]
        return await self._list(turn)  # a stale button: what her record holds now

    async def _which(self, turn: TurnState, action: str) -> Replies:
        entries = await self._store.entries(turn.conversation)
        if not entries:
            return [self._say("record_empty", turn)]
        await self._store.write(turn.conversation, turn.language, pick=action)
        choices = tuple(
            Choice(title=str(e.number), payload=button_payload(BUTTON, {"number": str(e.number)}))
            for e in entries
        )
        return [replace(self._say("record_which", turn), choices=choices)]

    async def _picked(self, turn: TurnState, pick: str, number: int) -> Replies:
        entry = await self._store.entry(turn.conversation, number)
        if entry is None:
            return await self._which(turn, pick if pick in {"correct", "delete"} else "correct")
        if pick == "delete":
            await self._store.write(turn.conversation, turn.language, pick=f"confirm:{number}")
            return [self._say("record_delete_confirm", turn, number=number)]
        await self._store.write(turn.conversation, turn.language, pick=f"part:{number}")
        return [self._say("record_which_part", turn, number=number)]

    async def _correct_part(self, turn: TurnState, number: int, part: Part) -> Replies:
        entry = await self._store.entry(turn.conversation, number)
        if entry is None:
            return await self._list(turn)
        return await self._ask(turn, Draft(entry=entry, asking=part, correcting=True))

    async def _delete(self, turn: TurnState, number: int, yes: bool) -> Replies:
        if not yes:
            await self._store.write(turn.conversation, turn.language)
            return [self._say("record_not_deleted", turn)]
        await self._store.write(turn.conversation, turn.language, deleted=number)
        return [self._say("record_deleted", turn, number=number)]

    async def _set_days(self, turn: TurnState, days: int) -> Replies:
        days = max(1, min(days, self._store.max_days))
        await self._store.write(turn.conversation, turn.language, days=days)
        return [self._say("record_days_set", turn, days=days)]

    def _day_choices(self, turn: TurnState) -> list[dict[str, Any]]:
        return [{"days": d} for d in DAY_CHOICES if d <= self._store.max_days]

    def reminder(self, due: Due) -> OutboundMessage:
        """Before her record expires: the day it goes, and how to keep a copy or keep it longer."""
        language = self._engine.language_or_default(due.language)
        day = format_date(dt.datetime.fromtimestamp(due.expires_at).date(), "long", locale=language)
        return self._engine.render("record_reminder", language, params={"date": day})

    async def offer_sharing(self, turn: TurnState, replies: Replies) -> Replies:
        """The offer of a person, with "Yes, share my record" when she has one (her consent is the
        only way staff see it)."""
        offers = [r for r in replies if r.key in SHARE_OFFERED]
        if not offers or not await self._store.entries(turn.conversation):
            return replies
        share = Choice(
            title=self._engine.label("intents", "share_record", turn.language),
            payload=button_payload("affirm", {"share": "record"}),
        )
        return [
            replace(r, choices=(*r.choices[:-1], share, *r.choices[-1:])) if r in offers else r
            for r in replies
        ]

    # Seeing it

    async def _list(self, turn: TurnState) -> Replies:
        conversation = turn.conversation
        entries = await self._store.entries(conversation)
        if not entries:
            return [self._say("record_empty", turn)]
        until = dt.datetime.fromtimestamp(await self._store.expires_at(conversation)).date()
        lines = "\n".join(self.line(entry, turn.language) for entry in entries)
        return [
            self._say(
                "record_list", turn, until=format_date(until, "long", locale=turn.language), lines=lines
            )
        ]

    def line(self, entry: Entry, language: str) -> str:
        """ "2. 7 December 2026, Instagram: he posted my address" in her language."""
        not_said = self._engine.render("record_not_said", language).text
        return self._engine.render(
            "record_line",
            language,
            params={
                "number": entry.number,
                "when": self.when(entry, language) or not_said,
                "where": entry.where or not_said,
                "what": entry.what or not_said,
            },
        ).text

    @staticmethod
    def when(entry: Entry, language: str) -> str:
        if entry.when_date is None:
            return entry.when_text
        return format_date(dt.date.fromisoformat(entry.when_date), "long", locale=language)

    async def _export(self, turn: TurnState) -> Replies:
        """First the warning that the file will be on her phone; the PDF only after her yes."""
        if not await self._store.entries(turn.conversation):
            return [self._say("record_empty", turn)]
        await self._store.write(turn.conversation, turn.language, pick="export")
        return [self._say("record_export_warning", turn)]

    async def _send(self, turn: TurnState, yes: bool) -> Replies:
        conversation, language = turn.conversation, turn.language
        await self._store.write(conversation, language)
        entries = await self._store.entries(conversation)
        if not yes or not entries:
            return [self._say("record_export_cancelled", turn)]
        today = dt.date.today()
        pdf = await asyncio.to_thread(
            render_pdf, entries, language=language, wording=self._wording(language), today=today
        )
        token, key = await self.links.keep(pdf, file_name(today))
        await self._store.remember_file(conversation, key)
        if turn.message.channel in self._document_channels:
            return [replace(self._say("record_document", turn), document=token)]
        return [self._say("record_link", turn, link=f"{self._public_url}/r/{token}")]

    def _wording(self, language: str) -> Wording:
        def say(key: str, **fields: Any) -> str:
            return self._engine.render(key, language, params=fields).text

        return Wording(
            say=say,
            date=lambda day: format_date(day, "long", locale=language),
            moment=lambda at: format_datetime(
                dt.datetime.fromtimestamp(at, dt.timezone.utc), "long", locale=language
            ),
            when=lambda entry: self.when(entry, language),
            part=lambda part: self._engine.label("record_parts", part.value, language),
        )

    def _say(
        self, key: str, turn: TurnState, *, choices: list[dict[str, Any]] | None = None, **params: Any
    ) -> OutboundMessage:
        reply = self._engine.render(key, turn.language, turn.country, params)
        if choices:
            titles = [format_unit(c["days"], "duration-day", locale=turn.language) for c in choices]
            extra = tuple(
                Choice(title=title, payload=button_payload(BUTTON, {"days": str(c["days"])}))
                for title, c in zip(titles, choices, strict=True)
            )
            reply = replace(reply, choices=extra + reply.choices)
        return reply


def _number(text: str) -> int | None:
    """An entry's number, written alone or nearly ("2", "entry 2", "#2")."""
    found = re.findall(r"(?<!\d)(\d{1,4})(?!\d)", text)
    return int(found[0]) if len(found) == 1 and len(text.split()) <= 3 else None
