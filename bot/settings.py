"""One typed settings object, read from the environment and validated at start-up.

Every problem is reported at once, naming the variable, so a deploying engineer fixes them
in one go.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

from bot.nlg import Helpline

ROOT = Path(__file__).resolve().parent.parent
TRUE_WORDS = frozenset({"1", "true", "yes", "on"})
FALSE_WORDS = frozenset({"", "0", "false", "no", "off"})


class SettingsError(ValueError):
    """The environment does not describe a runnable deployment."""


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

        def flag(name: str) -> bool:
            raw = env.get(name, "").strip().lower()
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
        )
        if problems:
            raise SettingsError("Configuration problems:\n- " + "\n- ".join(problems))
        return settings
