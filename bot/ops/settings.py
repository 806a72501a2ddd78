"""One typed settings object, read from the environment and validated at start-up.

Every problem is reported at once, naming the variable, so a deploying engineer fixes them
in one go.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parents[2]
TRUE_WORDS = frozenset({"1", "true", "yes", "on"})
FALSE_WORDS = frozenset({"", "0", "false", "no", "off"})
LOG_FORMATS = ("text", "json")
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
NOT_IN_URL = re.compile(r'[\x00-\x20\x7f"<>`\\]')  # never in a URL (RFC 3986), unescaped
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
BEARER_TOKEN = re.compile(r"[A-Za-z0-9._~+/=-]{32,512}")  # RFC 6750's token68, long enough to guess never


class SettingsError(ValueError):
    """The environment does not describe a runnable deployment."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Helpline:
    """The deploying organisation's own helpline, from settings."""

    name: str
    contact: str


@dataclass(frozen=True, slots=True, kw_only=True)
class RateLimits:
    """How much one sender or one network address may ask of the helpline in a sliding window.

    An address is known where the person reaches us directly (REST, web chat); provider webhooks come
    from the provider's own addresses, so there only the sender counts."""

    window_seconds: int = 3600
    new_conversations_per_address: int = 30  # a shelter's or an office's shared connection too
    handoffs_per_sender: int = 3  # asking for a person, cancelling, asking again
    handoffs_per_address: int = 10


@dataclass(frozen=True, slots=True, kw_only=True)
class TelegramSettings:
    token: str
    secret_token: str | None  # required for webhooks; polling needs none
    api_url: str
    polling: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class WhatsAppSettings:
    access_token: str
    phone_number_id: str
    app_secret: str  # verifies X-Hub-Signature-256
    verify_token: str  # answers the GET hub.challenge
    api_url: str  # Graph API base including the version, e.g. https://graph.facebook.com/v21.0
    template_name: str | None  # an approved template for messages outside the 24-hour window
    template_language: str


@dataclass(frozen=True, slots=True, kw_only=True)
class TwilioSettings:
    account_sid: str
    auth_token: str
    sender: str  # TWILIO_FROM: +E.164 for SMS, whatsapp:+E.164 for WhatsApp via Twilio
    api_url: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Settings:
    host: str = "127.0.0.1"
    port: int = 5005
    redis_url: str | None = None
    action_server_url: str = "http://127.0.0.1:5055/webhook"
    models_dir: Path = ROOT / "models"
    default_language: str = "en"
    default_country: str | None = None
    show_unverified: bool = False
    helpline: Helpline | None = None
    retention_days: int = 30
    evidence_max_days: int = 365  # the longest she may keep her record (bot/evidence/keeping.py)
    insights_min_count: int = 10  # published insight counts below this are withheld (never below 5)
    secret_key: str = ""  # keys the pseudonyms in logs, records and key names; required with Redis
    telegram: TelegramSettings | None = None
    whatsapp: WhatsAppSettings | None = None
    twilio: TwilioSettings | None = None
    public_url: str | None = None  # how providers reach us; Twilio signs requests over it
    web_chat: bool = True  # the local web chat at / (demos, staff training)
    handoff_hours: Path | None = None  # the helpline's weekly schedule (YAML); None: always open
    minutes_per_person: int = 5  # expected wait per person ahead in the queue, until measured
    long_wait_minutes: int = 10  # staff are alerted when someone has waited this long
    encryption_keys: tuple[str, ...] = ()  # Fernet keys, newest first; none: a local key is made
    discreet: bool = False  # neutral first lines, so a notification preview reveals nothing
    # Ask, once, whether a sentence it did not understand may be kept, scrubbed, to improve the NLU
    # (docs/inbox.md); in discreet mode only if inbox_in_discreet_mode allows it too.
    inbox_ask: bool = False
    inbox_in_discreet_mode: bool = False
    sms_fold: bool = True  # SMS in Latin-script languages folded into GSM-7 (locales/sms-folding.yml)
    log_format: str = "text"  # text for people, json (one object per line) for a log pipeline
    log_level: str = "INFO"
    rest_token: str | None = None  # required as a bearer token on the REST channel when set
    http_keepalive_seconds: float = 75.0  # an idle keep-alive connection is closed after this
    http_read_timeout_seconds: float = 30.0  # a request's body must arrive within this
    quick_exit_url: str = "https://www.google.com/"  # where the web chat's "Leave quickly" goes
    limits: RateLimits = RateLimits()
    # Proxies whose X-Forwarded-For is believed (nginx): the client's address for rate limits.
    trusted_proxies: tuple[IPNetwork, ...] = ()
    redis_max_connections: int = 50  # the pool's cap: a wait for a free connection, never a new one
    redis_pool_timeout_seconds: float = 5.0  # how long a command waits for a free connection
    # Connect and read timeout of Rasa's synchronous Redis calls, which block the event loop meanwhile.
    redis_socket_timeout_seconds: float = 2.0

    @property
    def cookie_secure(self) -> bool:
        """Cookies (staff console, web chat) are Secure unless the app explicitly runs on plain-HTTP
        localhost: a PUBLIC_URL of http://localhost…, or no PUBLIC_URL and a loopback HOST (`make run`).
        A PUBLIC_URL of plain HTTP elsewhere gets Secure cookies too: sign-in there is meant to fail."""
        if self.public_url is None:
            return not _is_loopback(self.host)
        parsed = urlparse(self.public_url)
        return not (parsed.scheme == "http" and _is_loopback(parsed.hostname or ""))

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Settings:
        problems: list[str] = []
        defaults = cls()

        def integer(name: str, default: int, low: int, high: int) -> int:
            raw = env.get(name, "").strip()
            if not raw:
                return default
            if not raw.isdigit() or not low <= int(raw) <= high:
                problems.append(f"{name} must be a whole number from {low} to {high}, got {raw!r}")
                return default
            return int(raw)

        def flag(name: str, default: bool = False) -> bool:
            raw = env.get(name, "").strip().lower()
            if not raw:
                return default
            if raw not in TRUE_WORDS | FALSE_WORDS:
                problems.append(f"{name} must be true or false, got {raw!r}")
            return raw in TRUE_WORDS

        redis_url = env.get("REDIS_URL", "").strip() or None
        if redis_url and urlparse(redis_url).scheme not in {"redis", "rediss"}:
            problems.append("REDIS_URL must look like redis://host:6379/0")
        action_url = env.get("ACTION_SERVER_URL", "").strip() or defaults.action_server_url
        if urlparse(action_url).scheme not in {"http", "https"}:
            problems.append("ACTION_SERVER_URL must be an http(s) URL")
        country = env.get("DEFAULT_COUNTRY", "").strip().upper() or None
        if country and not re.fullmatch(r"[A-Z]{2}", country):
            problems.append(f"DEFAULT_COUNTRY must be an ISO 3166 code such as KE, got {country!r}")
        language = env.get("DEFAULT_LANGUAGE", "").strip() or defaults.default_language
        name, contact = (
            env.get("HELPLINE_NAME", "").strip(),
            env.get("HELPLINE_CONTACT", "").strip(),
        )
        if bool(name) != bool(contact):
            problems.append("HELPLINE_NAME and HELPLINE_CONTACT go together: set both or neither")
        telegram = _telegram(env, problems)
        whatsapp = _whatsapp(env, problems)
        twilio = _twilio(env, problems)
        public_url = env.get("PUBLIC_URL", "").strip().rstrip("/") or None
        if public_url is not None:
            _url(env, "PUBLIC_URL", public_url, problems)
        if twilio is not None and public_url is None:
            problems.append("PUBLIC_URL is required with Twilio: its signatures cover the URL")
        hours = env.get("HANDOFF_HOURS", "").strip()
        if hours and not Path(hours).is_file():
            problems.append(f"HANDOFF_HOURS must name the helpline's schedule file, got {hours!r}")
        log_format = env.get("LOG_FORMAT", "").strip().lower() or defaults.log_format
        if log_format not in LOG_FORMATS:
            problems.append(f"LOG_FORMAT must be text or json, got {log_format!r}")
        log_level = env.get("LOG_LEVEL", "").strip().upper() or defaults.log_level
        if log_level not in LOG_LEVELS:
            problems.append(f"LOG_LEVEL must be one of {', '.join(LOG_LEVELS)}, got {log_level!r}")
        keys = tuple(k.strip() for k in env.get("ENCRYPTION_KEYS", "").split(",") if k.strip())
        for index, key in enumerate(keys, start=1):
            if not _is_fernet_key(key):
                problems.append(f"ENCRYPTION_KEYS: key {index} is not a Fernet key (32 urlsafe-base64 bytes)")
        rest_token = env.get("REST_TOKEN", "").strip() or None
        if rest_token is not None and not BEARER_TOKEN.fullmatch(rest_token):
            problems.append(
                "REST_TOKEN must be 32 to 512 characters of A-Z a-z 0-9 . _ ~ + / = - "
                "(python -c 'import secrets; print(secrets.token_urlsafe(32))')"
            )
        trusted_proxies = _networks(env, "TRUSTED_PROXIES", problems)
        limits = RateLimits(
            window_seconds=integer("LIMIT_WINDOW_SECONDS", defaults.limits.window_seconds, 60, 7 * 24 * 3600),
            new_conversations_per_address=integer(
                "LIMIT_NEW_CONVERSATIONS_PER_ADDRESS",
                defaults.limits.new_conversations_per_address,
                1,
                100_000,
            ),
            handoffs_per_sender=integer(
                "LIMIT_HANDOFFS_PER_SENDER", defaults.limits.handoffs_per_sender, 1, 1000
            ),
            handoffs_per_address=integer(
                "LIMIT_HANDOFFS_PER_ADDRESS", defaults.limits.handoffs_per_address, 1, 100_000
            ),
        )
        quick_exit_url = _url(env, "QUICK_EXIT_URL", defaults.quick_exit_url, problems)
        if NOT_IN_URL.search(quick_exit_url):
            problems.append("QUICK_EXIT_URL may not hold spaces, control characters, quotes, < or >")
        settings = cls(
            host=env.get("HOST", "").strip() or defaults.host,
            port=integer("PORT", defaults.port, 1, 65535),
            redis_url=redis_url,
            action_server_url=action_url,
            models_dir=Path(env.get("MODELS_DIR", "").strip() or defaults.models_dir),
            default_language=language,
            default_country=country,
            show_unverified=flag("CONTENT_SHOW_UNVERIFIED"),
            helpline=Helpline(name=name, contact=contact) if name and contact else None,
            retention_days=integer("RETENTION_DAYS", defaults.retention_days, 1, 3650),
            evidence_max_days=integer("EVIDENCE_MAX_DAYS", defaults.evidence_max_days, 30, 3650),
            insights_min_count=integer("INSIGHTS_MIN_COUNT", defaults.insights_min_count, 5, 1000),
            secret_key=env.get("SECRET_KEY", "").strip(),
            telegram=telegram,
            whatsapp=whatsapp,
            twilio=twilio,
            public_url=public_url,
            web_chat=flag("WEB_CHAT", default=True),
            handoff_hours=Path(hours) if hours else None,
            minutes_per_person=integer("HANDOFF_MINUTES_PER_PERSON", defaults.minutes_per_person, 1, 240),
            long_wait_minutes=integer("HANDOFF_LONG_WAIT_MINUTES", defaults.long_wait_minutes, 1, 240),
            encryption_keys=keys,
            discreet=flag("DISCREET_MODE"),
            inbox_ask=flag("INBOX_ASK"),
            inbox_in_discreet_mode=flag("INBOX_IN_DISCREET_MODE"),
            sms_fold=flag("SMS_FOLD", default=True),
            log_format=log_format,
            log_level=log_level,
            rest_token=rest_token,
            http_keepalive_seconds=integer("HTTP_KEEPALIVE_SECONDS", 75, 1, 3600),
            http_read_timeout_seconds=integer("HTTP_READ_TIMEOUT_SECONDS", 30, 1, 3600),
            quick_exit_url=quick_exit_url,
            limits=limits,
            trusted_proxies=trusted_proxies,
            redis_max_connections=integer("REDIS_MAX_CONNECTIONS", defaults.redis_max_connections, 4, 10_000),
            redis_pool_timeout_seconds=integer(
                "REDIS_POOL_TIMEOUT_SECONDS", int(defaults.redis_pool_timeout_seconds), 1, 60
            ),
            redis_socket_timeout_seconds=integer(
                "REDIS_SOCKET_TIMEOUT_SECONDS", int(defaults.redis_socket_timeout_seconds), 1, 60
            ),
        )
        if problems:
            raise SettingsError("Configuration problems:\n- " + "\n- ".join(problems))
        return settings


def _is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _networks(env: Mapping[str, str], name: str, problems: list[str]) -> tuple[IPNetwork, ...]:
    """Comma-separated addresses or CIDR blocks."""
    networks = []
    for part in (p.strip() for p in env.get(name, "").split(",")):
        if not part:
            continue
        try:
            networks.append(ipaddress.ip_network(part, strict=False))
        except ValueError:
            problems.append(f"{name}: {part!r} is not an IP address or CIDR block (such as 10.0.0.0/8)")
    return tuple(networks)


def _is_fernet_key(key: str) -> bool:
    try:
        return len(base64.urlsafe_b64decode(key.encode())) == 32
    except (binascii.Error, ValueError):
        return False


def _url(env: Mapping[str, str], name: str, default: str, problems: list[str]) -> str:
    value = env.get(name, "").strip() or default
    if urlparse(value).scheme not in {"http", "https"} or not urlparse(value).netloc:
        problems.append(f"{name} must be an http(s) URL, got {value!r}")
    return value


def _telegram(env: Mapping[str, str], problems: list[str]) -> TelegramSettings | None:
    token = env.get("TELEGRAM_TOKEN", "").strip()
    if not token:
        return None
    if not re.fullmatch(r"\d+:[\w-]{20,}", token):
        problems.append("TELEGRAM_TOKEN does not look like a bot token (123456:ABC...)")
    mode = env.get("TELEGRAM_MODE", "").strip().lower() or "webhook"
    if mode not in {"webhook", "polling"}:
        problems.append(f"TELEGRAM_MODE must be webhook or polling, got {mode!r}")
    secret = env.get("TELEGRAM_SECRET_TOKEN", "").strip() or None
    if mode == "webhook" and secret is None:
        problems.append("TELEGRAM_SECRET_TOKEN is required for webhooks (or TELEGRAM_MODE=polling)")
    if secret is not None and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", secret):
        problems.append("TELEGRAM_SECRET_TOKEN may hold only A-Z, a-z, 0-9, _ and -, up to 256")
    return TelegramSettings(
        token=token,
        secret_token=secret,
        api_url=_url(env, "TELEGRAM_API_URL", "https://api.telegram.org", problems),
        polling=mode == "polling",
    )


def _required(env: Mapping[str, str], names: tuple[str, ...], problems: list[str]) -> list[str]:
    """All of a channel's variables, or none: naming exactly the ones missing."""
    values = [env.get(name, "").strip() for name in names]
    if any(values) and not all(values):
        missing = [name for name, value in zip(names, values, strict=True) if not value]
        problems.append(f"{', '.join(missing)} missing: set all of {', '.join(names)} or none")
    return values


def _whatsapp(env: Mapping[str, str], problems: list[str]) -> WhatsAppSettings | None:
    names = ("WHATSAPP_ACCESS_TOKEN", "WHATSAPP_PHONE_NUMBER_ID", "WHATSAPP_APP_SECRET",
             "WHATSAPP_VERIFY_TOKEN")  # fmt: skip
    token, number_id, app_secret, verify_token = _required(env, names, problems)
    if not all((token, number_id, app_secret, verify_token)):
        return None
    if not number_id.isdigit():
        problems.append("WHATSAPP_PHONE_NUMBER_ID must be the numeric id Meta shows")
    return WhatsAppSettings(
        access_token=token,
        phone_number_id=number_id,
        app_secret=app_secret,
        verify_token=verify_token,
        api_url=_url(env, "WHATSAPP_API_URL", "https://graph.facebook.com/v21.0", problems),
        template_name=env.get("WHATSAPP_TEMPLATE_NAME", "").strip() or None,
        template_language=env.get("WHATSAPP_TEMPLATE_LANGUAGE", "").strip() or "en",
    )


def _twilio(env: Mapping[str, str], problems: list[str]) -> TwilioSettings | None:
    names = ("TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "TWILIO_FROM")
    sid, auth_token, sender = _required(env, names, problems)
    if not all((sid, auth_token, sender)):
        return None
    if not re.fullmatch(r"AC[0-9a-fA-F]{32}", sid):
        problems.append("TWILIO_ACCOUNT_SID must look like AC followed by 32 hex digits")
    if not re.fullmatch(r"(whatsapp:)?\+\d{6,15}|MG[0-9a-fA-F]{32}", sender):
        problems.append("TWILIO_FROM must be +E.164, whatsapp:+E.164 or a Messaging Service SID")
    return TwilioSettings(
        account_sid=sid,
        auth_token=auth_token,
        sender=sender,
        api_url=_url(env, "TWILIO_API_URL", "https://api.twilio.com", problems),
    )
