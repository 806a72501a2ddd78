"""The one seam to Rasa: load the agents once, parse in the conversation's language, run a turn.

Nothing outside this module imports Rasa's core (the NLG adapter aside), so the engine could be
replaced without touching channels, handoff or content. Rasa knows a conversation only by its pseudonym
(bot/storage/keys.py): its tracker and lock keys, its lock's contents, its log lines and the action
server's requests name no phone number.
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from rasa.core.agent import Agent
from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.core.lock_store import InMemoryLockStore, LockStore, RedisLockStore
from rasa.core.tracker_store import (
    FailSafeTrackerStore,
    InMemoryTrackerStore,
    RedisTrackerStore,
    TrackerStore,
)
from rasa.shared.core.conversation import Dialogue
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import BotUttered, UserUttered
from rasa.utils.log_utils import configure_structlog

from bot.language.i18n import Catalogs
from bot.language.keywords import FORCED_INTENT, NOT_FORCED, OWN_LANGUAGE_ONLY, Keywords, with_digits
from bot.language.normalize import tokens, words
from bot.ops.settings import ROOT, Settings
from bot.pipeline.messages import OutboundMessage
from bot.rasa import speedups
from bot.rasa.action_endpoint import ActionCallFailed, ActionEndpoint, ActionServerUnavailable
from bot.rasa.history import HISTORY_TURNS, compacted
from bot.rasa.nlg import CatalogNLG, Renderer, outbound
from bot.rasa.redis_timeouts import bound_socket_timeouts
from bot.rasa.turn_context import TurnContext, set_turn
from bot.storage.keys import PREFIX, Keys
from bot.storage.pseudonyms import Pseudonymizer
from bot.storage.sealing import Sealer
from content.model import load_library
from content.texts import load_texts

log = logging.getLogger(__name__)

DIALOGUE_MODEL = "dialogue.tar.gz"
NLU_MODEL_PREFIX = "nlu-"
# Intents that end or redirect a conversation count from the model only when it is this sure; below
# that, its next guess is taken (the gateway's safety stage uses the same thresholds). A keyword or a
# button always counts.
DECISIVE_CONFIDENCE = {"quick_exit": 0.6, "self_harm": 0.5, "erase_data": 0.7}
# The model's reading counts for these only when it is this sure, else its next guess does. "I can't
# call" brings the emergency numbers first; "chu pas sure si c'est la bonne place" (0.62) must not.
TRUSTED_FROM = {**DECISIVE_CONFIDENCE, "cannot_call": 0.7}
NLU_DATA = ROOT / "nlu_data"


class ModelsMissing(RuntimeError):
    """No trained model where the settings point."""


class StorageUnavailable(RuntimeError):
    """A conversation's stored state could not be read or written: its turn must not run without it."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Parse:
    text: str
    language: str
    intent: str
    confidence: float
    data: dict[str, Any]

    def with_entity(self, entity: str, value: str) -> Parse:
        """The same reading with an entity the gateway found (her age in a long message)."""
        entities = [*(self.data.get("entities") or ()), {"entity": entity, "value": value}]
        data = {**self.data, "entities": entities}
        return Parse(
            text=self.text, language=self.language, intent=self.intent, confidence=self.confidence, data=data
        )

    def second_guess(self) -> Parse:
        """The model's next likeliest intent (danger it was unsure of, asked about already)."""
        ranking = [r for r in self.data.get("intent_ranking") or () if r.get("name") != self.intent]
        best: dict[str, Any] = dict(ranking[0]) if ranking else {"name": "nlu_fallback", "confidence": 1.0}
        data = {**self.data, "intent": best}
        confidence = float(best.get("confidence") or 0.0)
        return Parse(
            text=self.text, language=self.language, intent=str(best["name"]), confidence=confidence, data=data
        )

    def forced(self, intent: str) -> Parse:
        """The same reading with the intent the gateway decided on (danger when it is happening now)."""
        data = {**self.data, "intent": {"name": intent, "confidence": 1.0}}
        return Parse(text=self.text, language=self.language, intent=intent, confidence=1.0, data=data)


@dataclass(frozen=True, slots=True, kw_only=True)
class Turn:
    """A turn's replies, and what the person agreed to share if they asked for a person."""

    replies: list[OutboundMessage]
    handoff: dict[str, Any] | None = None


class ReplyCollector(CollectingOutputChannel):  # type: ignore[misc]  # Rasa ships no types
    """Keeps each reply whole, response key included, for the gateway to deliver."""

    async def send_response(self, recipient_id: str, message: dict[str, Any]) -> None:
        self.messages.append(message)


# A message longer than a greeting ("hi there", "assalam alaikum") is about something else when the model
# gives that something at least this weight.
GREETING_WORDS = 3
AFTER_GREETING = 0.15
# A question asked aside ("will he know?", "can the police help?") is what a greeting opens only when
# the model is fairly sure: "hi is this the place for help with pics" is not a police question.
ASIDE_AFTER_GREETING = 0.4
ASIDE = frozenset(
    {"ask_pay", "ask_police", "ask_noticed", "ask_share", "ask_fault", "ask_trouble", "ask_reported"}
)
SMALL_TALK = frozenset({"greet", "goodbye", "affirm", "deny", "out_of_scope", "nlu_fallback", "menu"})


def quiet_rasa() -> None:
    """Embedded Rasa logs every event with user text at DEBUG; keep it at WARNING."""
    configure_structlog(logging.WARNING)
    for name in ("rasa", "rasa_sdk", "sanic", "apscheduler", "tensorflow", "absl"):
        logging.getLogger(name).setLevel(logging.WARNING)


def training_vocabulary(folder: Path) -> Counter[str]:
    """How often each word occurs in a language's NLU training files (annotations included)."""
    vocabulary: Counter[str] = Counter()
    for path in folder.glob("*.yml"):
        if path.name != "keywords.yml":
            vocabulary.update(tokens(path.read_text(encoding="utf-8")))
    return vocabulary


def _redis_parts(url: str) -> dict[str, Any]:
    parsed = urlparse(url)
    db = parsed.path.strip("/") or "0"
    return {
        "host": parsed.hostname or "localhost",
        "port": parsed.port or 6379,
        "db": int(db),
        "username": parsed.username,
        "password": parsed.password,
        "use_ssl": parsed.scheme == "rediss",
    }


class SealedRedisTrackerStore(RedisTrackerStore):  # type: ignore[misc]  # Rasa ships no types
    """Rasa's Redis tracker store, but what it SETs is a sealed token and what it GETs is opened, and
    what it stores is only the latest turns (bot/rasa/history.py).

    Saving and both retrieve paths (`retrieve`, `retrieve_full_tracker`) go through these two.
    """

    def __init__(
        self, domain: Domain, *, sealer: Sealer, history_turns: int = HISTORY_TURNS, **kwargs: Any
    ) -> None:
        super().__init__(domain, **kwargs)
        self._sealer = sealer
        self._history_turns = history_turns

    async def save(self, tracker: Any, timeout: float | None = None) -> None:
        """Overwrite without Rasa's read-and-merge, which exists so that saving the latest session
        (all `retrieve` returns) keeps older ones: we keep none. The conversation's lock means
        `tracker` is what is stored plus this turn."""
        await self.stream_events(tracker)
        key = self.key_prefix + tracker.sender_id
        self.red.set(key, self.serialise_tracker(tracker), ex=timeout or self.record_exp)

    def serialise_tracker(self, tracker: Any) -> str:
        dialogue = Dialogue(tracker.sender_id, compacted(tracker, self._history_turns))
        # decode_responses=True on Rasa's client: store the (ASCII) token as text
        return self._sealer.seal(json.dumps(dialogue.as_dict())).decode()

    def deserialise_tracker(self, sender_id: str, serialised_tracker: str | bytes) -> Any:
        return super().deserialise_tracker(sender_id, self._sealer.open(serialised_tracker))


def _no_fallback(error: Exception) -> None:
    raise StorageUnavailable(type(error).__name__) from error


def _fail_turns_on_storage_errors(agent: Agent) -> None:
    """Rasa wraps every tracker store in a FailSafeTrackerStore: a tracker it cannot read becomes a new,
    empty one, and one it cannot save is kept in process memory. The person would silently start over
    (a Redis timeout, a tracker sealed with a key this replica lacks), and the next save would overwrite
    what she had. Raise instead: the gateway keeps the message and retries the turn, then apologises."""
    store = agent.tracker_store
    if not isinstance(store, FailSafeTrackerStore):
        raise speedups.RasaSeamMissing(
            f"the agent's tracker store is a {type(store).__name__}, not Rasa's fail-safe one"
        )
    speedups.require(store, "_on_tracker_store_error", "the fail-safe store's error callback replaced here")
    store._on_tracker_store_error = _no_fallback


def _stores(settings: Settings, history_turns: int) -> tuple[TrackerStore, LockStore]:
    """Trackers (sealed, compacted) and locks in Redis when configured, else in memory (the embedded
    default).

    The domain is filled in by `Agent.load` from the model itself.
    """
    domain = Domain.empty()
    if not settings.redis_url:
        return InMemoryTrackerStore(domain), InMemoryLockStore()
    parts = _redis_parts(settings.redis_url)
    tracker_store = SealedRedisTrackerStore(
        domain,
        sealer=Sealer.from_settings(settings),
        history_turns=history_turns,
        record_exp=settings.retention_days * 24 * 3600,
        key_prefix=PREFIX,
        **parts,
    )
    lock_store = RedisLockStore(key_prefix=PREFIX, **parts)
    for store in (tracker_store, lock_store):
        bound_socket_timeouts(store, settings.redis_socket_timeout_seconds)
    return tracker_store, lock_store


class Engine:
    def __init__(
        self,
        *,
        dialogue: Agent,
        nlu: dict[str, Agent],
        keywords: dict[str, Keywords],
        vocabularies: dict[str, Counter[str]],
        default_turn: TurnContext,
        renderer: Renderer,
        tracker_store: TrackerStore,
        sender: Pseudonymizer,
    ) -> None:
        """`sender`: the name Rasa knows a conversation by (its pseudonym)."""
        self._sender = sender
        self._renderer = renderer
        self._tracker_store = tracker_store  # Rasa wraps it; erasing needs the store itself
        self._dialogue = dialogue
        self._nlu = nlu
        self._keywords = keywords
        self._vocabularies = vocabularies
        self.default_turn = default_turn

    @classmethod
    def load(cls, settings: Settings, *, history_turns: int = HISTORY_TURNS) -> Engine:
        quiet_rasa()
        speedups.apply()
        dialogue_path = settings.models_dir / DIALOGUE_MODEL
        nlu_paths = sorted(settings.models_dir.glob(f"{NLU_MODEL_PREFIX}*.tar.gz"))
        if not dialogue_path.exists() or not nlu_paths:
            raise ModelsMissing(f"no trained models in {settings.models_dir}: run `make train`")
        default_turn = TurnContext(
            language=settings.default_language, country=settings.default_country, channel="rest"
        )
        renderer = Renderer(
            texts=load_texts(),
            library=load_library(),
            catalogs=Catalogs(),
            show_unverified=settings.show_unverified,
            helpline=settings.helpline,
            discreet=settings.discreet,
        )
        nlu = {
            path.name.removeprefix(NLU_MODEL_PREFIX).removesuffix(".tar.gz"): Agent.load(path)
            for path in nlu_paths
        }
        tracker_store, lock_store = _stores(settings, history_turns)
        dialogue = Agent.load(
            dialogue_path,
            generator=CatalogNLG(renderer, default_turn),
            tracker_store=tracker_store,
            lock_store=lock_store,
            # Our actions need no domain: don't serialise it into every action call.
            action_endpoint=ActionEndpoint(settings.action_server_url, enable_selective_domain=True),
        )
        _fail_turns_on_storage_errors(dialogue)
        keywords = {lang: Keywords.load(NLU_DATA / lang / "keywords.yml") for lang in nlu}
        vocabularies = {lang: training_vocabulary(NLU_DATA / lang) for lang in nlu}
        return cls(
            dialogue=dialogue,
            nlu=nlu,
            keywords=keywords,
            vocabularies=vocabularies,
            default_turn=default_turn,
            renderer=renderer,
            tracker_store=tracker_store,
            sender=Keys.from_settings(settings).pseudonym,
        )

    @property
    def languages(self) -> list[str]:
        return list(self._nlu)

    @property
    def intents(self) -> frozenset[str]:
        """Every intent the dialogue model knows (a button payload naming another is stale or forged)."""
        return frozenset(self._dialogue.domain.intents)

    @property
    def vocabularies(self) -> dict[str, Counter[str]]:
        return dict(self._vocabularies)

    def with_digits(self, text: str) -> str:
        """Numbers written as words in any language read as digits ("i'm fourteen" -> "im 14")."""
        numbers: dict[str, int] = {}
        for keywords in self._keywords.values():
            numbers.update(keywords.numbers)
        return with_digits(text, numbers)

    def meanings(self, text: str, language: str | None = None) -> list[str]:
        """What keyword phrases say the message means: the conversation's language first, then every
        other language's (danger, leaving and erasing must work whatever language she writes in),
        except the soft signals that only mean something in her own language."""
        first = self.language_or_default(language)
        found = list(self._keywords[first].meanings(text))
        for other, keywords in self._keywords.items():
            if other != first:
                found += [m for m in keywords.meanings(text) if m not in found and m not in OWN_LANGUAGE_ONLY]
        return found

    async def erase(self, conversation_id: str) -> None:
        """Forget the conversation's tracker: slots, events, everything Rasa kept."""
        store, sender = self._tracker_store, self._sender(conversation_id)
        if isinstance(store, InMemoryTrackerStore):
            store.store.pop(sender, None)
        else:
            store.red.delete(store.key_prefix + sender)

    def own_meanings(self, text: str, language: str | None = None) -> list[str]:
        """What her own language's keyword phrases say the message means: "si", "ya", "ji" are a yes
        somewhere, and only there."""
        return list(self._keywords[self.language_or_default(language)].meanings(text))

    def language_or_default(self, language: str | None) -> str:
        return language if language in self._nlu else self.default_turn.language

    async def parse(self, text: str, language: str | None = None) -> Parse:
        language = self.language_or_default(language)
        data = await self._nlu[language].parse_message(text)
        forced = next((m for m in self.meanings(text, language) if m not in NOT_FORCED), None)
        forced = FORCED_INTENT.get(forced, forced) if forced is not None else None
        if forced is not None:
            data["intent"] = {"name": forced, "confidence": 1.0}
        elif not text.startswith("/") and not (words(text) & self._vocabularies[language].keys()):
            # Not one word the model was trained on: whatever it guesses is a guess. The
            # fallback still offers the likeliest intents ("did you mean ...").
            data["intent"] = {"name": "nlu_fallback", "confidence": 1.0}
        elif not text.startswith("/"):
            data["intent"] = _past_the_greeting(_unless_unsure(data), data, text)
            data["intent"] = _for_a_price(data["intent"], self.meanings(text, language))
        intent = data.get("intent") or {}
        return Parse(
            text=text,
            language=language,
            intent=str(intent.get("name")),
            confidence=float(intent.get("confidence") or 0.0),
            data=data,
        )

    def render(
        self,
        key: str,
        language: str | None = None,
        country: str | None = None,
        params: dict[str, Any] | None = None,
    ) -> OutboundMessage:
        """A reply the gateway sends without a turn (media, stickers, language, apologies)."""
        return self._renderer.message(
            key, self.language_or_default(language), country or self.default_turn.country, params or {}
        )

    def label(self, group: str, name: str, language: str) -> str:
        return self._renderer.label(group, name, self.language_or_default(language))

    def more_title(self, language: str | None) -> str:
        """The "More" choice's title: on SMS it sends the rest of an answer held back for its cost."""
        return self.label("intents", "more", self.language_or_default(language))

    async def handle(
        self,
        conversation_id: str,
        text: str,
        *,
        language: str | None = None,
        country: str | None = None,
        channel: str = "rest",
        message_id: str | None = None,
        replay: bool = False,
        parse: Parse | None = None,
    ) -> Turn:
        """Run one user turn through NLU and the dialogue model; return the replies in order.

        `parse` is the NLU's reading of `text` when the turn already has one (the safety stage's).
        With `replay`, a message the tracker already holds (a turn that ran before its replica died)
        is not run again: its recorded replies are returned instead.

        Raises ActionServerUnavailable when a custom action could not run (nothing of the turn is
        recorded, so it can run again).
        """
        if replay and message_id is not None:
            recorded = await self._recorded_replies(conversation_id, message_id)
            if recorded is not None:
                return recorded
        if parse is None or parse.text != text:
            parse = await self.parse(text, language)
        set_turn(
            TurnContext(
                language=parse.language,
                country=country or self.default_turn.country,
                channel=channel,
            )
        )
        collector = ReplyCollector()
        message = UserMessage(
            text=text,
            output_channel=collector,
            sender_id=self._sender(conversation_id),
            parse_data=parse.data,
            input_channel=channel,
            message_id=message_id,
        )
        try:
            await self._dialogue.handle_message(message)
        except ActionCallFailed as failure:  # the tracker was not saved: the turn can run again
            raise ActionServerUnavailable(str(failure)) from failure
        return _turn(collector.messages)

    async def slots(self, conversation_id: str) -> dict[str, Any]:
        """The dialogue's memory of the conversation (where in which playbook, which risks)."""
        tracker = await self._dialogue.tracker_store.retrieve(self._sender(conversation_id))
        return dict(tracker.current_slot_values()) if tracker is not None else {}

    async def transcript(self, conversation_id: str) -> list[tuple[str, str]]:
        """The conversation's latest turns (bot/rasa/history.py) as (person|bot, text), without button
        presses; shared only with consent."""
        tracker = await self._dialogue.tracker_store.retrieve(self._sender(conversation_id))
        lines: list[tuple[str, str]] = []
        for event in tracker.events if tracker is not None else ():
            if isinstance(event, UserUttered) and event.text and not event.text.startswith("/"):
                lines.append(("person", event.text))
            elif isinstance(event, BotUttered) and event.text:
                lines.append(("bot", event.text))
        return lines

    async def _recorded_replies(self, conversation_id: str, message_id: str) -> Turn | None:
        tracker = await self._dialogue.tracker_store.retrieve(self._sender(conversation_id))
        if tracker is None:
            return None
        events = list(tracker.events)
        for index, event in enumerate(events):
            if isinstance(event, UserUttered) and event.message_id == message_id:
                replies = []
                for later in events[index + 1 :]:
                    if isinstance(later, UserUttered):
                        break
                    if isinstance(later, BotUttered):
                        replies.append(later.message())
                return _turn(replies)
        return None


def _unless_unsure(data: dict[str, Any]) -> dict[str, Any]:
    """The model's intent, or its best guess that is not a decisive intent it is unsure of."""
    for candidate in [data.get("intent") or {}, *(data.get("intent_ranking") or ())]:
        threshold = TRUSTED_FROM.get(str(candidate.get("name")))
        if threshold is None or float(candidate.get("confidence") or 0.0) >= threshold:
            return dict(candidate)
    return {"name": "nlu_fallback", "confidence": 1.0}


def _past_the_greeting(intent: dict[str, Any], data: dict[str, Any], text: str) -> dict[str, Any]:
    """A greeting that opens a longer message is not what it is about: "السلام عليكم داير اتكلم مع
    زول" asks for a person, "bonjour j'ai besoin d'aide" for help. The likeliest intent that means
    something, if the model gives it any weight, wins over the greeting."""
    if intent.get("name") != "greet" or len(text.split()) <= GREETING_WORDS:
        return intent
    for candidate in data.get("intent_ranking") or ():
        name = candidate.get("name")
        weight = ASIDE_AFTER_GREETING if name in ASIDE else AFTER_GREETING
        if name not in SMALL_TALK and float(candidate.get("confidence") or 0.0) >= weight:
            return dict(candidate)
    return intent


def _for_a_price(intent: dict[str, Any], meanings: list[str]) -> dict[str, Any]:
    """Intimate images and a demand — money, or more images — is sextortion, whichever of the two the
    model leaned to ("he wants 1000 soles or he uploads my pics"): its steps start with "don't pay"."""
    if intent.get("name") == "intimate_images" and "demand" in meanings:
        return {**intent, "name": "sextortion"}
    return intent


def _turn(messages: list[dict[str, Any]]) -> Turn:
    """Replies in order; an action's handoff request (a custom message) is for the gateway, not the person."""
    handoff = None
    replies = []
    for message in messages:
        custom = message.get("custom")
        if isinstance(custom, dict) and "handoff" in custom:
            handoff = dict(custom["handoff"])
        else:
            replies.append(outbound(message))
    return Turn(replies=replies, handoff=handoff)
