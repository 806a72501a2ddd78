"""Which channels run: REST always, the web chat unless turned off; each provider when its credentials
are configured."""

from __future__ import annotations

from collections.abc import Callable

from redis.asyncio import Redis

from bot.channels.base import Channel
from bot.channels.rest import RestChannel
from bot.channels.telegram import TelegramChannel
from bot.channels.twilio import TwilioChannel
from bot.channels.whatsapp import WhatsAppChannel
from bot.ops.settings import Settings
from bot.storage.keys import Keys
from bot.storage.sealing import Sealer
from bot.storage.wakeups import Wakeups
from bot.webchat import WebChatChannel


def configured_channels(
    settings: Settings,
    redis: Redis,
    secret: str,
    more: Callable[[str | None], str] = lambda language: "More",
) -> list[Channel]:
    """`secret` keys the web chat's sender ids and the SMS keys' pseudonyms: the same on every replica
    (SECRET_KEY with Redis). `more` titles the "More" choice in a language (the web chat's SMS preview
    offers it as the outbox does)."""
    wakeups = Wakeups(redis)  # one subscription for every long poll of the process
    keys, sealer = Keys.from_secret(secret), Sealer.from_settings(settings)
    channels: list[Channel] = [
        RestChannel(redis, wakeups, sealer=sealer, keys=keys, token=settings.rest_token)
    ]
    if settings.web_chat:
        channels.append(
            WebChatChannel(
                redis,
                wakeups,
                secret,
                cookie_secure=settings.cookie_secure,
                quick_exit_url=settings.quick_exit_url,
                fold=settings.sms_fold,
                more=more,
                sealer=sealer,
                keys=keys,
            )
        )
    if settings.telegram is not None:
        channels.append(
            TelegramChannel(
                token=settings.telegram.token,
                secret_token=settings.telegram.secret_token,
                api_url=settings.telegram.api_url,
                polling=settings.telegram.polling,
                redis=redis,
                keys=keys,
            )
        )
    if settings.whatsapp is not None:
        channels.append(WhatsAppChannel(settings.whatsapp, redis, keys))
    if settings.twilio is not None:
        assert settings.public_url is not None, "validated with the settings"
        channels.append(
            TwilioChannel(
                settings.twilio,
                settings.public_url,
                redis,
                pseudonym=keys.pseudonym,
                retention_seconds=settings.retention_days * 24 * 3600,
                fold=settings.sms_fold,
            )
        )
    return channels
