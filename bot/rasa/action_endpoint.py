"""The action server as Rasa calls it, except that a failed call fails the whole turn.

Rasa's processor catches every Exception a custom action raises, logs it and carries on without the
action's events and replies. With the action server down or failing, a person's message got no answer
at all, and her tracker recorded a turn that never happened (measured by the fault soak, bench/faults).
Here a failed call raises `ActionCallFailed`, a BaseException, which Rasa's `except Exception` lets
through: the turn stops before its tracker is saved, `Engine.handle` raises `ActionServerUnavailable`,
and the gateway keeps the message and runs the turn again later (bot/pipeline/gateway.py).
"""

from __future__ import annotations

from typing import Any

import aiohttp
from rasa.utils.endpoints import ClientResponseError, EndpointConfig


class ActionServerUnavailable(RuntimeError):
    """A custom action of the turn could not run; nothing of the turn was recorded."""


class ActionCallFailed(BaseException):
    """Only for crossing Rasa's processor; `Engine.handle` raises ActionServerUnavailable instead."""


class ActionEndpoint(EndpointConfig):  # type: ignore[misc]  # Rasa ships no types
    async def request(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return await super().request(*args, **kwargs)
        except ClientResponseError as error:
            if error.status == 400:
                raise  # the action rejected itself: Rasa's own ActionExecutionRejection handles it
            raise ActionCallFailed(f"action server answered HTTP {error.status}") from error
        except (TimeoutError, aiohttp.ClientError) as error:
            raise ActionCallFailed(f"action server unreachable: {type(error).__name__}") from error
