"""Which channels run: REST always; each provider when its credentials are configured."""

from __future__ import annotations

from redis.asyncio import Redis

from bot.channels.base import Channel
from bot.channels.rest import RestChannel
from bot.channels.telegram import TelegramChannel
from bot.channels.twilio import TwilioChannel
from bot.channels.whatsapp import WhatsAppChannel
from bot.settings import Settings


def configured_channels(settings: Settings, redis: Redis) -> list[Channel]:
    channels: list[Channel] = [RestChannel(redis)]
    if settings.web_chat:
        channels.append(RestChannel(redis, name="web", path="/webhooks/web/webhook"))
    if settings.telegram is not None:
        channels.append(
            TelegramChannel(
                token=settings.telegram.token,
                secret_token=settings.telegram.secret_token,
                api_url=settings.telegram.api_url,
                polling=settings.telegram.polling,
                redis=redis,
            )
        )
    if settings.whatsapp is not None:
        channels.append(WhatsAppChannel(settings.whatsapp, redis))
    if settings.twilio is not None:
        assert settings.public_url is not None, "validated with the settings"
        channels.append(TwilioChannel(settings.twilio, settings.public_url, redis))
    return channels
