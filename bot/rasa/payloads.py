"""Rasa's button payload form, `/intent{"entity": "value"}`: pure functions, no Rasa import."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping

_PAYLOAD = re.compile(r"^/(?P<intent>\w+)(?P<entities>\{.*\})?$", re.DOTALL)


def parse_payload(payload: str) -> tuple[str, dict[str, str]] | None:
    """The intent and entities of a `/intent{"entity": "value"}` payload; None for other text."""
    match = _PAYLOAD.match(payload.strip())
    if match is None:
        return None
    try:
        entities = json.loads(match["entities"]) if match["entities"] else {}
    except json.JSONDecodeError:
        return None
    if not isinstance(entities, dict):
        return None
    return match["intent"], {str(k): str(v) for k, v in entities.items()}


def button_payload(intent: str, entities: Mapping[str, str]) -> str:
    """Rasa's `/intent{"entity": "value"}` form, understood by every language's NLU."""
    if not entities:
        return f"/{intent}"
    return f"/{intent}{json.dumps(dict(entities), separators=(',', ':'), sort_keys=True)}"
