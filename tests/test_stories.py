"""Every story in tests/stories/ through the real models and action server, turn by turn."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.rasa.engine import Engine

from .conftest import Conversation

STORIES = [
    story
    for path in sorted((Path(__file__).parent / "stories").glob("*.yml"))
    for story in yaml.safe_load(path.read_text(encoding="utf-8"))["stories"]
]


@pytest.mark.parametrize("story", STORIES, ids=[s["story"] for s in STORIES])
async def test_story(story: dict[str, Any], engine: Engine, conversation_id: str) -> None:
    conversation = Conversation(engine, conversation_id, story.get("country"))
    for number, turn in enumerate(story["steps"], start=1):
        keys = await conversation.say(turn["user"])
        assert keys == turn["bot"], f"turn {number} ({turn['user']!r})"
