"""Two hot spots of Rasa 3.6.21 fixed in place, without changing what Rasa computes.

Profiled on one turn of an ongoing conversation (see docs/architecture.md, "Measured"):
- `RemoteAction._validate_action_result` calls `jsonschema.validate`, which first re-checks the
  schema itself: most of a turn's time. Here the validator is prepared once.
- `Event.resolve_by_type` walks every Event subclass for every stored event a tracker is rebuilt
  from (hundreds per turn). Here the name -> class table is built once; unknown names still go
  through Rasa's own lookup, so its errors and fallbacks are unchanged.
"""

from __future__ import annotations

from typing import Any

from jsonschema.validators import validator_for
from rasa.core.actions.action import RemoteAction
from rasa.shared.core.events import Event
from rasa.shared.utils.common import all_subclasses


class RasaSeamMissing(RuntimeError):
    """What a patch of ours replaces is not where Rasa 3.6.21 has it (another Rasa version): fail at
    start-up, loudly, rather than mid-conversation or silently unpatched. Not an `assert`, which
    `python -O` removes."""


def require(owner: object, name: str, what: str) -> None:
    """Stop at start-up if `owner.name` is not there to be replaced."""
    if not hasattr(owner, name):
        owner_name = getattr(owner, "__name__", type(owner).__name__)
        raise RasaSeamMissing(f"{owner_name}.{name} is missing: {what} (written for Rasa 3.6.21)")


def _prepare_action_result_validator() -> None:
    schema = RemoteAction.action_response_format_spec()
    validator = validator_for(schema)(schema)  # the draft `jsonschema.validate` would pick

    def validate(self: RemoteAction, result: dict[str, Any]) -> bool:
        validator.validate(result)
        return True

    RemoteAction._validate_action_result = validate


def _index_event_types() -> None:
    original = Event.resolve_by_type
    by_name: dict[str, type[Event]] = {}
    for cls in all_subclasses(Event):
        by_name.setdefault(cls.type_name, cls)  # the first match, as Rasa's own loop returns

    def resolve_by_type(type_name: str, default: type[Event] | None = None) -> type[Event] | None:
        found = by_name.get(type_name)
        return found if found is not None else original(type_name, default)

    Event.resolve_by_type = staticmethod(resolve_by_type)


def apply() -> None:
    """Idempotent: applying twice keeps the prepared versions."""
    require(RemoteAction, "action_response_format_spec", "the schema of an action server's answer")
    require(RemoteAction, "_validate_action_result", "the validation prepared once here")
    require(Event, "resolve_by_type", "the event lookup indexed here")
    if getattr(Event, "_safespaces_speedups", False):
        return
    _prepare_action_result_validator()
    _index_event_types()
    Event._safespaces_speedups = True
