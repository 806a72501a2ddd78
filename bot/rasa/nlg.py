"""One natural-language generator for every channel and language.

Actions send response keys with parameters (never text). `Renderer` turns a key into the text and
buttons of the conversation's language, drawing playbook steps and phone numbers from content/ and
leaving out unverified items unless the deployment allows them. `CatalogNLG` adapts it to Rasa.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from functools import cache
from typing import Any

from babel import Locale, UnknownLocaleError
from babel.dates import format_date, format_time, get_day_names, get_timezone, get_timezone_location
from babel.languages import get_territory_language_info
from rasa.core.nlg.generator import NaturalLanguageGenerator

from bot.language.i18n import Catalogs
from bot.ops.settings import Helpline
from bot.pipeline.messages import Choice, OutboundMessage
from bot.rasa.payloads import button_payload
from bot.rasa.turn_context import TurnContext, current_turn
from content.model import Hours, Library, Resource
from content.texts import Button, Template, Texts

log = logging.getLogger(__name__)

EMERGENCY_KINDS = ("emergency",)
HELPLINE_KINDS = ("gbv_helpline", "digital_helpline", "ncii", "cyber")
MINORS_KINDS = ("child", "minors_ncii")
CRISIS_KINDS = ("crisis",)
POLICE_KINDS = ("police_report",)
# Where someone who cannot speak can still reach help: these kinds' text, chat and web contacts.
SILENT_KINDS = ("emergency", "gbv_helpline", "crisis", "child")
SILENT_CONTACTS = frozenset({"sms", "whatsapp", "web", "ussd"})
COUNTRY_BUTTONS = 4  # likely countries offered when asking where she is; she can also type one


FIRST_STRONG_ISOLATE, POP_DIRECTIONAL_ISOLATE = "\u2068", "\u2069"


@cache
def is_rtl(language: str) -> bool:
    try:
        return bool(Locale.parse(language).text_direction == "rtl")
    except (UnknownLocaleError, ValueError):
        return False


def isolate(value: str, language: str) -> str:
    """Keep a number, URL or Latin name in its own order inside right-to-left text.

    Without isolates, "+20 100 752 5600" or "https://x.y/a-b" is reordered by the bidi algorithm
    when it sits in Arabic text; an isolate makes it one left-to-right island on every client.
    """
    if not is_rtl(language) or not any(ch.isascii() and ch.isalnum() for ch in value):
        return value
    return f"{FIRST_STRONG_ISOLATE}{value}{POP_DIRECTIONAL_ISOLATE}"


class UnknownResponse(KeyError):
    """An action asked for a response key that responses.yml does not define."""


class NeedsCountry(Exception):
    """The reply depends on where she is and we don't know: ask, with this template instead."""

    def __init__(self, template: str) -> None:
        super().__init__(template)
        self.template = template


@cache
def likely_countries(language: str, countries: tuple[str, ...]) -> tuple[str, ...]:
    """Countries with content where the language is spoken, by the share of people who speak it."""
    shares = []
    for country in countries:
        info = get_territory_language_info(country).get(language)
        if info is not None:
            shares.append((float(info.get("population_percent") or 0), country))
    return tuple(country for _, country in sorted(shares, reverse=True))


class Renderer:
    def __init__(
        self,
        *,
        texts: Texts,
        library: Library,
        catalogs: Catalogs,
        show_unverified: bool,
        helpline: Helpline | None,
        discreet: bool = False,
    ) -> None:
        self._texts = texts
        self._library = library
        self._catalogs = catalogs
        self._show_unverified = show_unverified
        self._helpline = helpline
        self._discreet = discreet

    def render(self, key: str, params: Mapping[str, Any], turn: TurnContext) -> dict[str, Any]:
        template = self._texts.responses.get(key)
        if template is None:
            raise UnknownResponse(key)
        _ = self._translator(turn.language)
        if template.quote is not None:
            params = {**params, "quote": template.quote}
        fields: dict[str, Any] = {k: v for k, v in params.items() if k != "choices"}
        if "platform" in params:
            fields["platform_name"] = _(self._texts.label("platforms", params["platform"] or "other"))
        try:
            for use in sorted(template.uses):
                fields.update(getattr(self, f"_fill_{use}")(params, turn))
        except NeedsCountry as needs:
            return self._ask_country(needs.template, turn)
        text = self._translated(template, template.wording(self._discreet), fields, turn).format_map(fields)
        buttons = [self._button(b, turn) for b in template.buttons]
        buttons[:0] = [self._choice(choice, turn) for choice in params.get("choices") or ()]
        sms = self._sms(template, template.sms_wording(self._discreet), fields, turn)
        return {
            "text": text,
            "buttons": buttons,
            "asks": template.asks,
            "language": turn.language,
            "sms": sms if sms != text else None,
        }

    def message(
        self, key: str, language: str, country: str | None, params: Mapping[str, Any]
    ) -> OutboundMessage:
        """A reply sent outside a turn (the gateway's and the helpline desk's)."""
        turn = TurnContext(language=language, country=country, channel="gateway")
        return outbound({**self.render(key, params, turn), "utter_action": key})

    def _translated(
        self, template: Template, wording: str, fields: Mapping[str, Any], turn: TurnContext
    ) -> str:
        """A wording in the turn's language; one that agrees with a number in the form for that number."""
        singular = template.singulars.get(wording)
        if singular is None or template.count is None:
            return self._catalogs.gettext(turn.language, wording)
        return self._catalogs.ngettext(turn.language, singular, wording, int(fields[template.count]))

    def _sms(self, template: Template, wording: str, fields: Mapping[str, Any], turn: TurnContext) -> str:
        """The SMS wording, filled with the SMS forms of its fields: a field `sms_x` stands for `x`."""
        if not wording:
            return ""  # said by another reply's SMS wording; gettext("") would be the catalog header
        short = {
            name.removeprefix("sms_"): value for name, value in fields.items() if name.startswith("sms_")
        }
        return self._translated(template, wording, fields, turn).format_map({**fields, **short})

    def _ask_country(self, key: str, turn: TurnContext) -> dict[str, Any]:
        """Where are you? With the countries most likely for her language, and "another country"."""
        template = self._texts.responses[key]
        text = self._catalogs.gettext(turn.language, template.wording(self._discreet))
        countries = tuple(sorted({r.country for r in self._library.resources} - {"international"}))
        buttons = [
            self._button(
                Button(label=name, intent="set_country", entities={"country": code}), turn, translate=False
            )
            for code in likely_countries(turn.language, countries)[:COUNTRY_BUTTONS]
            for name in [str(Locale.parse(turn.language).territories.get(code, code))]
        ]
        other = Button(label=self._texts.label("intents", "other_country"), intent="change_country")
        buttons.append(self._button(other, turn))
        return {"text": text, "buttons": buttons, "asks": "country", "language": turn.language}

    def label(self, group: str, name: str, language: str) -> str:
        return self._catalogs.gettext(language, self._texts.label(group, name))

    def _translator(self, language: str) -> Any:
        return lambda message: self._catalogs.gettext(language, message)

    def _button(self, button: Button, turn: TurnContext, *, translate: bool = True) -> dict[str, str]:
        title = self._catalogs.gettext(turn.language, button.label) if translate else button.label
        return {"title": title, "payload": button_payload(button.intent, button.entities)}

    def _choice(self, choice: Mapping[str, Any], turn: TurnContext) -> dict[str, str]:
        """A button an action chose at run time: an intent, or a platform to name."""
        entities = choice.get("entities") or {}
        if "platform" in entities:
            label = self._texts.label("platforms", entities["platform"])
        else:
            label = self._texts.label("intents", choice["intent"])
        button = Button(label=label, intent=choice["intent"], entities=entities)
        return self._button(button, turn)

    def _fill_playbook(self, params: Mapping[str, Any], turn: TurnContext) -> dict[str, Any]:
        _ = self._translator(turn.language)
        playbook = self._library.playbooks[params["playbook"]]
        return {
            "title": _(playbook.title),
            "recap": _(playbook.recap),
            "total": len(playbook.steps),
            "position": int(params.get("step") or 0) + 1,
            "done_count": len(params.get("done") or ()),
            "skipped_count": len(params.get("skipped") or ()),
        }

    def _fill_step(self, params: Mapping[str, Any], turn: TurnContext) -> dict[str, Any]:
        _ = self._translator(turn.language)
        playbook = self._library.playbooks[params["playbook"]]
        index = int(params["step"])
        platform = params.get("platform")
        step = playbook.steps[index].for_platform(
            platform, show_unverified=self._show_unverified, minor=bool(params.get("minor"))
        )
        link_line = ""
        if step.link and (step.source.verified or self._show_unverified):
            line = _(self._texts.responses["link_line"].text)
            link_line = "\n" + line.format(link=isolate(step.link, turn.language))
        app_line = ""
        pointer = playbook.steps[index].in_app_pointer(platform, show_unverified=self._show_unverified)
        if pointer is not None:  # she named her app, and its own checked wording is not ours to show
            name = isolate(_(self._texts.label("platforms", str(platform))), turn.language)
            app_line = "\n" + _(self._texts.responses[f"in_app_{pointer}"].text).format(platform_name=name)
        return {
            "position": index + 1,
            "total": len(playbook.steps),
            "step_text": _(step.text),
            "sms_step_text": _(step.sms or step.text),
            "more_text": _(step.more),
            "link_line": link_line,
            "app_line": app_line,
        }

    def _fill_emergency(self, params: Mapping[str, Any], turn: TurnContext) -> dict[str, Any]:
        if turn.country is None:
            raise NeedsCountry("emergency_where")
        lines = self._resource_lines(turn, EMERGENCY_KINDS, dated=False)
        fallback = self._texts.fallbacks["no_emergency_number"]
        return {"emergency_lines": lines or "- " + self._catalogs.gettext(turn.language, fallback)}

    def _fill_crisis(self, params: Mapping[str, Any], turn: TurnContext) -> dict[str, Any]:
        """A line that listens to people thinking of suicide; else emergency and helplines."""
        if turn.country is None:
            raise NeedsCountry("self_harm_where")
        lines = self._resource_lines(turn, CRISIS_KINDS, dated=True)
        if not lines:
            fallback = self._catalogs.gettext(turn.language, self._texts.fallbacks["no_crisis_line"])
            emergency = self._fill_emergency(params, turn)["emergency_lines"]
            lines = f"{fallback}\n{emergency}"
        return {"crisis_lines": lines}

    def _fill_police(self, params: Mapping[str, Any], turn: TurnContext) -> dict[str, Any]:
        if turn.country is None:
            raise NeedsCountry("answer_police_where_minor" if params.get("minor") else "answer_police_where")
        lines = self._resource_lines(turn, POLICE_KINDS, dated=True)
        fallback = self._catalogs.gettext(turn.language, self._texts.fallbacks["no_police_route"])
        return {"police_lines": lines or fallback}

    def _fill_silent(self, params: Mapping[str, Any], turn: TurnContext) -> dict[str, Any]:
        """Text, chat and web ways to reach help, for someone who cannot speak right now."""
        lines = self._resource_lines(
            turn,
            SILENT_KINDS,
            dated=False,
            only=lambda r: any(c.type in SILENT_CONTACTS for c in r.contacts),
            contacts=SILENT_CONTACTS,
        )
        fallback = self._catalogs.gettext(turn.language, self._texts.fallbacks["no_silent_route"])
        return {"silent_lines": lines or "- " + fallback}

    def _fill_quote(self, params: Mapping[str, Any], turn: TurnContext) -> dict[str, Any]:
        """A playbook step's own sourced words, quoted in an answer ("should I pay?"); on SMS its SMS
        wording, as the step itself is sent there."""
        playbook, _, step_id = str(params["quote"]).partition(".")
        wording = next(s for s in self._library.playbooks[playbook].steps if s.id == step_id).generic
        _ = self._translator(turn.language)
        return {"quote_text": _(wording.text), "sms_quote_text": _(wording.sms or wording.text)}

    def _fill_told(self, params: Mapping[str, Any], turn: TurnContext) -> dict[str, Any]:
        """Whether her app tells the reported account who reported: its own help's words, or no claim."""
        fact = self._library.told.get(params.get("platform") or "")
        if fact is None or not (fact.source.verified or self._show_unverified):
            return {"told_line": self._catalogs.gettext(turn.language, self._texts.fallbacks["no_told"])}
        return {"told_line": self._translator(turn.language)(fact.text)}

    def _fill_helplines(self, params: Mapping[str, Any], turn: TurnContext) -> dict[str, Any]:
        lines = []
        if self._helpline is not None:
            lines.append(f"- {self._helpline.name}: {self._helpline.contact}")
        local = self._resource_lines(turn, HELPLINE_KINDS, dated=True)
        if local:
            lines.append(local)
        if not lines:
            fallback = self._texts.fallbacks["no_helpline"]
            lines.append(self._catalogs.gettext(turn.language, fallback))
        return {"helpline_lines": "\n".join(lines)}

    def _fill_minors(self, params: Mapping[str, Any], turn: TurnContext) -> dict[str, Any]:
        lines = self._resource_lines(turn, MINORS_KINDS, dated=True, include_international=True)
        return {"minors_lines": lines or self._fill_helplines(params, turn)["helpline_lines"]}

    def _fill_around_the_clock(self, params: Mapping[str, Any], turn: TurnContext) -> dict[str, Any]:
        """Lines open day and night in the person's country, for when the helpline is closed."""
        lines = self._resource_lines(
            turn, HELPLINE_KINDS, dated=True, only=lambda r: r.hours is not None and r.hours.always
        )
        try:
            emergency = self._fill_emergency(params, turn)["emergency_lines"]
        except NeedsCountry:  # the helpline's closing reply asks nothing: say it plainly
            emergency = "- " + self._catalogs.gettext(
                turn.language, self._texts.fallbacks["no_emergency_number"]
            )
        return {"around_the_clock_lines": "\n".join(filter(None, (emergency, lines)))}

    def _hours(self, hours: Hours, language: str) -> str:
        """Opening hours in the person's locale: day names, times and time zone from babel."""
        if hours.always:
            return self.label("hours", "always", language)
        if len(hours.days) == 7:
            days = self.label("hours", "every_day", language)
        else:
            names = get_day_names("abbreviated", locale=language)
            contiguous = hours.days == tuple(range(hours.days[0], hours.days[-1] + 1))
            if contiguous and len(hours.days) > 2:
                days = f"{names[hours.days[0]]}–{names[hours.days[-1]]}"
            else:
                days = ", ".join(names[d] for d in hours.days)
        assert hours.opens is not None and hours.closes is not None, "parsed with both"
        span = (
            f"{format_time(hours.opens, format='short', locale=language)}–"
            f"{format_time(hours.closes, format='short', locale=language)}"
        )
        text = f"{days} {span}"
        if hours.timezone:
            text += f", {get_timezone_location(get_timezone(hours.timezone), locale=language)}"
        return text

    def _resource_lines(
        self,
        turn: TurnContext,
        kinds: Sequence[str],
        *,
        dated: bool,
        include_international: bool = False,
        only: Callable[[Resource], bool] = lambda resource: True,
        contacts: frozenset[str] | None = None,
    ) -> str:
        """One line per resource we may show; `dated` adds when its number was last checked."""
        resources = [
            r
            for r in self._library.resources_for(
                turn.country, kinds, include_international=include_international
            )
            if (r.source.verified or self._show_unverified) and only(r)
        ]
        return "\n".join(self._resource_line(r, turn, dated, contacts) for r in resources)

    def _resource_line(
        self, resource: Resource, turn: TurnContext, dated: bool, types: frozenset[str] | None = None
    ) -> str:
        language = turn.language
        contacts = ", ".join(
            f"{self._catalogs.gettext(language, self._texts.label('contact_types', c.type))} "
            f"{isolate(c.value, language)}"
            for c in resource.contacts
            if types is None or c.type in types
        )
        hours = f" ({isolate(self._hours(resource.hours, language), language)})" if resource.hours else ""
        name = self._catalogs.gettext(language, resource.title) if resource.title else resource.name
        line = f"- {isolate(name, language)}: {contacts}{hours}"
        if dated and resource.source.checked is not None:
            checked = format_date(resource.source.checked, format="medium", locale=language)
            template = self._catalogs.gettext(language, self._texts.responses["resource_checked"].text)
            line += " · " + template.format(date=checked)
        return line


class CatalogNLG(NaturalLanguageGenerator):  # type: ignore[misc]  # Rasa ships no types
    """Rasa's NLG port, rendering every response through `Renderer` in the turn's language."""

    def __init__(self, renderer: Renderer, default_turn: TurnContext) -> None:
        self._renderer = renderer
        self._default_turn = default_turn

    async def generate(
        self, utter_action: str, tracker: Any, output_channel: str, **kwargs: Any
    ) -> dict[str, Any] | None:
        turn = current_turn(self._default_turn)
        try:
            return self._renderer.render(utter_action, kwargs, turn)
        except UnknownResponse:
            log.error("nlg.unknown_response key=%s", utter_action)
            return None


def outbound(message: dict[str, Any]) -> OutboundMessage:
    """A rendered reply (Rasa's message form) as the channels send it."""
    choices = tuple(Choice(title=b["title"], payload=b["payload"]) for b in message.get("buttons") or ())
    return OutboundMessage(
        text=message.get("text") or "",
        choices=choices,
        key=message.get("utter_action"),
        asks=message.get("asks"),
        language=message.get("language"),
        sms=message.get("sms"),
    )
