"""Why a staff action on the desk cannot be done, told to staff in their console's language.

Each error keeps its English text (a catalog id, marked with N_ where it is raised) and the values
for its placeholders apart, so the console's error handler can translate the text first and fill it
in after (bot/handoff/console_auth.py); `str(error)` is the English, for logs and tests.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from bot.language.i18n import N_, Translate

if TYPE_CHECKING:
    from bot.handoff.safe_time import SafeWindow


def english(text: str) -> str:
    return text


class DeskError(Exception):
    """A staff action that cannot be done; the message is safe to show to staff."""

    def __init__(self, text: str, **params: object) -> None:
        self.text = text
        self.params = params
        super().__init__(self.translated(english))

    def translated(self, translate: Translate, language: str = "en") -> str:
        """The text in `translate`'s language, filled in (a text without parameters is left as it is:
        braces in it are not placeholders)."""
        text = translate(self.text)
        return text.format(**self.params) if self.params else text


class NotFound(DeskError):
    pass


class NotAllowed(DeskError):
    pass


class Conflict(DeskError):
    pass


class OutsideSafeTime(Conflict):
    """Writing now would reach her outside the time she said is safe; staff may override explicitly."""

    def __init__(self, window: SafeWindow, at: datetime) -> None:
        self.window = window
        self.at = at
        super().__init__(
            N_("It is outside the time she said is safe ({reading}; now {now}). Override to send anyway.")
        )

    def translated(self, translate: Translate, language: str = "en") -> str:
        return translate(self.text).format(
            reading=self.window.describe(translate, language),
            now=self.window.local_now(self.at, translate, language),
        )
