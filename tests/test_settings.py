from __future__ import annotations

import pytest

from bot.ops.settings import RateLimits, Settings, SettingsError


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


def test_rest_token_and_http_limits_are_read_and_checked() -> None:
    token = "a" * 43
    env = {"REST_TOKEN": token, "HTTP_KEEPALIVE_SECONDS": "20", "HTTP_READ_TIMEOUT_SECONDS": "10"}
    settings = Settings.from_env(env)
    assert settings.rest_token == token
    assert (settings.http_keepalive_seconds, settings.http_read_timeout_seconds) == (20, 10)
    assert Settings.from_env({}).rest_token is None  # `make run`: the REST channel stays open
    with pytest.raises(SettingsError) as raised:
        Settings.from_env({"REST_TOKEN": "short", "HTTP_KEEPALIVE_SECONDS": "0"})
    assert "REST_TOKEN" in str(raised.value) and "HTTP_KEEPALIVE_SECONDS" in str(raised.value)


@pytest.mark.parametrize(
    ("env", "secure"),
    [
        ({}, False),  # make run: http://127.0.0.1:5005
        ({"HOST": "::1"}, False),
        ({"PUBLIC_URL": "http://localhost:5005"}, False),
        ({"HOST": "0.0.0.0"}, True),  # behind a proxy, without PUBLIC_URL
        ({"PUBLIC_URL": "http://helpline.example.org"}, True),
        ({"PUBLIC_URL": "https://helpline.example.org"}, True),
    ],
)
def test_cookies_are_secure_unless_explicitly_on_plain_http_localhost(
    env: dict[str, str], secure: bool
) -> None:
    assert Settings.from_env(env).cookie_secure is secure


def test_the_quick_exit_url_is_an_http_url_and_google_by_default() -> None:
    assert Settings.from_env({}).quick_exit_url == "https://www.google.com/"
    url = "https://weather.example/today?city=Nairobi"
    assert Settings.from_env({"QUICK_EXIT_URL": f" {url} "}).quick_exit_url == url
    for wrong in ("javascript:alert(1)", "weather.example", "https://", 'https://a.example/"><b>'):
        with pytest.raises(SettingsError) as raised:
            Settings.from_env({"QUICK_EXIT_URL": wrong})
        assert "QUICK_EXIT_URL" in str(raised.value)


def test_trusted_proxies_limits_and_the_redis_pool_are_read_and_checked() -> None:
    env = {
        "TRUSTED_PROXIES": "10.0.0.0/8, 172.28.0.10,2001:db8::/32",
        "LIMIT_WINDOW_SECONDS": "600",
        "LIMIT_NEW_CONVERSATIONS_PER_ADDRESS": "5",
        "LIMIT_HANDOFFS_PER_SENDER": "2",
        "LIMIT_HANDOFFS_PER_ADDRESS": "4",
        "REDIS_MAX_CONNECTIONS": "20",
        "REDIS_POOL_TIMEOUT_SECONDS": "3",
        "REDIS_SOCKET_TIMEOUT_SECONDS": "4",
    }
    settings = Settings.from_env(env)
    assert [str(n) for n in settings.trusted_proxies] == ["10.0.0.0/8", "172.28.0.10/32", "2001:db8::/32"]
    assert settings.limits == RateLimits(
        window_seconds=600, new_conversations_per_address=5, handoffs_per_sender=2, handoffs_per_address=4
    )
    assert (settings.redis_max_connections, settings.redis_pool_timeout_seconds) == (20, 3)
    assert settings.redis_socket_timeout_seconds == 4
    defaults = Settings.from_env({})
    assert defaults.trusted_proxies == () and defaults.limits == RateLimits()
    assert defaults.redis_socket_timeout_seconds == 2
    with pytest.raises(SettingsError) as raised:
        Settings.from_env(
            {
                "TRUSTED_PROXIES": "nginx",
                "LIMIT_HANDOFFS_PER_SENDER": "0",
                "REDIS_SOCKET_TIMEOUT_SECONDS": "0",
            }
        )
    problems = str(raised.value)
    assert "TRUSTED_PROXIES: 'nginx'" in problems and "LIMIT_HANDOFFS_PER_SENDER" in problems
    assert "REDIS_SOCKET_TIMEOUT_SECONDS" in problems
