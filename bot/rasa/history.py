"""How much of a conversation is stored: its latest turns, and the slots as they stood before them.

Rasa stores, loads, replays and sends to the action server a conversation's every event on every
turn, so turn 300 costs many times turn 10 and storage grows for the whole retention period. Our
dialogue needs little of that: one rule per intent, with the state in slots (data/rules.yml,
actions/progress.py). What reads the history:
- the rules and actions: the slots and the current message;
- the two-stage fallback (`actions.conversation.consecutive_fallbacks`): the latest
  not-understood messages in a row;
- the replay of a crashed turn (`Engine._recorded_replies`): the latest turn's events;
- the transcript a person may agree to share with the helpline (`Engine.transcript`).
So a stored conversation keeps its latest HISTORY_TURNS turns of the current session (Rasa's
`retrieve` reads no older session) and the turns before them become one session start that sets
the slots they left, which is how Rasa itself carries slots into a new session. Slot events that
change nothing are not stored either.
"""

from __future__ import annotations

from typing import Any

from rasa.shared.core.constants import ACTION_LISTEN_NAME, ACTION_SESSION_START_NAME
from rasa.shared.core.events import ActionExecuted, Event, SessionStarted, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

# Enough for the helpline to read how the person got here (the summary says where she is); a longer
# run of not-understood messages than this restarts the two-stage fallback's count.
HISTORY_TURNS = 20


def compacted(tracker: DialogueStateTracker, turns: int = HISTORY_TURNS) -> list[Event]:
    """The events to store: the latest `turns` user turns after a snapshot of the slots before them,
    without slot events that change nothing."""
    events: list[Any] = list(tracker.events)
    starts = [index for index, event in enumerate(events) if isinstance(event, UserUttered)]
    cut = starts[-turns] if len(starts) > turns else 0
    state = tracker.init_copy()  # replays what is dropped: the last snapshot and a turn or so
    state.update_with_events(events[:cut], domain=None, override_timestamp=False)
    kept = _snapshot(state, at=events[cut - 1].timestamp) if cut else []
    for event in events[cut:]:
        if not _changes_nothing(state, event):
            state.update(event)
            kept.append(event)
    return kept


def _snapshot(state: DialogueStateTracker, at: float) -> list[Event]:
    """A session start that sets the slots `state` holds."""
    slots = [
        SlotSet(name, slot.value, timestamp=at)
        for name, slot in state.slots.items()
        if slot.value != slot.initial_value
    ]
    return [
        ActionExecuted(ACTION_SESSION_START_NAME, timestamp=at),
        SessionStarted(timestamp=at),
        *slots,
        ActionExecuted(ACTION_LISTEN_NAME, timestamp=at),
    ]


def _changes_nothing(state: DialogueStateTracker, event: Event) -> bool:
    """A slot event setting the value the slot already has: our actions return every slot every
    time, so most of a turn's events are these."""
    return (
        isinstance(event, SlotSet) and event.key in state.slots and state.get_slot(event.key) == event.value
    )
