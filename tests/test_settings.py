from __future__ import annotations

import pytest

from bot.settings import Settings, SettingsError


def test_embedded_defaults_need_no_environment() -> None:
    settings = Settings.from_env({})
    assert settings.port == 5005
    assert settings.redis_url is None
    assert settings.show_unverified is False
    assert settings.helpline is None


def test_values_are_read_and_normalised() -> None:
    settings = Settings.from_env(
        {
            "PORT": "8080",
            "REDIS_URL": "redis://r:6379/2",
            "DEFAULT_COUNTRY": "ke",
            "CONTENT_SHOW_UNVERIFIED": "yes",
            "HELPLINE_NAME": "Line",
            "HELPLINE_CONTACT": "123",
        }
    )
    assert settings.port == 8080
    assert settings.default_country == "KE"
    assert settings.show_unverified is True
    assert settings.helpline is not None and settings.helpline.contact == "123"


def test_every_problem_is_named_at_once() -> None:
    with pytest.raises(SettingsError) as raised:
        Settings.from_env(
            {
                "PORT": "eighty",
                "REDIS_URL": "http://x",
                "DEFAULT_COUNTRY": "Kenya",
                "HELPLINE_NAME": "Line",
                "CONTENT_SHOW_UNVERIFIED": "maybe",
            }
        )
    message = str(raised.value)
    for name in (
        "PORT",
        "REDIS_URL",
        "DEFAULT_COUNTRY",
        "HELPLINE_CONTACT",
        "CONTENT_SHOW_UNVERIFIED",
    ):
        assert name in message
