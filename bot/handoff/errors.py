"""Why a staff action on the desk cannot be done: each message is safe to show to staff."""

from __future__ import annotations


class DeskError(Exception):
    """A staff action that cannot be done; the message is safe to show to staff."""


class NotFound(DeskError):
    pass


class NotAllowed(DeskError):
    pass


class Conflict(DeskError):
    pass


class OutsideSafeTime(Conflict):
    """Writing now would reach her outside the time she said is safe; staff may override explicitly."""
