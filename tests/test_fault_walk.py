"""The fault soak's verdict on a chat (bench/faults/walk.py): what counts as lost, repeated, reordered."""

from __future__ import annotations

from bench.faults.walk import SCRIPT, Outcome, Walk, apology_text

ANSWERS = tuple((f"answer {i}",) for i in range(len(SCRIPT)))
WALK = Walk(answers=ANSWERS, not_started=("not started",), apology="sorry")
EVERY = [text for (text,) in ANSWERS]


def test_a_chat_answered_in_order_passes() -> None:
    check = WALK.check(EVERY)
    assert check.outcomes == [Outcome.ANSWERED] * len(SCRIPT)
    assert (check.repeats, check.broken_at) == ([], None)
    assert check.last_text == list(range(len(SCRIPT)))


def test_a_text_sent_twice_in_a_row_was_resent() -> None:
    check = WALK.check([*EVERY[:4], EVERY[3], *EVERY[4:]])
    assert check.outcomes == [Outcome.ANSWERED] * len(SCRIPT)
    assert (check.resent, check.repeats) == ([3], [])


def test_a_text_that_comes_back_later_is_a_duplicate() -> None:
    check = WALK.check([*EVERY[:5], EVERY[3], *EVERY[5:]])
    assert (check.resent, check.repeats) == ([], [4])


def test_an_extra_answer_at_the_end_is_a_turn_run_twice() -> None:
    assert WALK.check([*EVERY, "answer 4"]).repeats == [len(SCRIPT) - 1]


def test_a_reply_never_sent_is_lost_and_the_walk_goes_on() -> None:
    check = WALK.check(EVERY[:3] + EVERY[4:])
    assert check.outcomes[3] == Outcome.LOST
    assert check.outcomes.count(Outcome.ANSWERED) == len(SCRIPT) - 1


def test_answers_swapped_are_out_of_order() -> None:
    check = WALK.check([*EVERY[:3], EVERY[4], EVERY[3], *EVERY[5:]])
    assert check.broken_at is not None
    assert Outcome.UNVERIFIED in check.outcomes


def test_after_the_apology_the_walk_stays_where_it_was() -> None:
    check = WALK.check([*EVERY[:5], "sorry", *EVERY[5:9]])
    assert check.outcomes[5] == Outcome.APOLOGY
    assert check.outcomes.count(Outcome.ANSWERED) == len(SCRIPT) - 1
    assert check.broken_at is None


def test_when_the_first_update_got_the_apology_nothing_starts() -> None:
    check = WALK.check(["sorry", *["not started"] * (len(SCRIPT) - 1)])
    assert check.outcomes == [Outcome.APOLOGY] + [Outcome.ANSWERED] * (len(SCRIPT) - 1)


def test_what_has_not_come_yet_is_missing() -> None:
    assert WALK.check(EVERY[:6]).outcomes[6:] == [Outcome.MISSING] * (len(SCRIPT) - 6)


def test_the_apology_is_the_gateways_text() -> None:
    assert apology_text().startswith("Sorry, something went wrong")
