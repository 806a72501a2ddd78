"""NLU quality on held-out data, and every situation reachable by free text."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from bot.cli.evaluate import evaluate_heldout
from bot.rasa.engine import Engine
from bot.rasa.nlu_eval import evaluate, heldout_examples, heldout_languages, score, write_report
from bot.rasa.nlu_goals import Change, goal, report_accuracy


@pytest.mark.parametrize("language", heldout_languages())
async def test_heldout_accuracy_meets_the_goal(engine: Engine, language: str, tmp_path) -> None:
    evaluation = await evaluate(engine, language)
    report = write_report(evaluation, tmp_path)
    assert evaluation.total == len(heldout_examples(language))
    assert evaluation.accuracy >= goal(language), report.read_text()


def test_heldout_and_training_sets_do_not_overlap() -> None:
    from rasa.shared.nlu.training_data.loading import load_data

    from bot.rasa.engine import NLU_DATA

    for language in ("en",):
        trained = {
            m.get("text").lower() for m in load_data(str(NLU_DATA / language / "nlu.yml")).intent_examples
        }
        heldout = {text.lower() for text, _ in heldout_examples(language)}
        assert trained & heldout == set()


def test_scores_are_computed_per_intent() -> None:
    pairs = [("a", "a"), ("a", "b"), ("b", "b"), ("b", "b")]
    evaluation = score("xx", pairs)
    assert evaluation.accuracy == 0.75
    by_intent = {s.intent: s for s in evaluation.per_intent}
    assert by_intent["a"].precision == 1.0 and by_intent["a"].recall == 0.5
    assert by_intent["b"].precision == pytest.approx(2 / 3) and by_intent["b"].recall == 1.0
    assert evaluation.confusions == [("a", "b", 1)]


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("somebody got into my gmail and now i cant log in", "secure_account"),
        ("a guy shared my home address and phone number on twitter", "doxxing"),
        ("people keep sending me threats in my comments", "report_abuse"),
        ("my ex posted my nude photos online", "intimate_images"),
        ("he wants money or he will send my nudes to my family", "sextortion"),
        ("someone made a fake facebook account with my pictures", "impersonation"),
        ("i think there is spyware on my phone he knows where i go", "stalking"),
        ("how do i save proof of the messages for the police", "document_evidence"),
        ("he is outside my door right now", "immediate_danger"),
        ("can i talk to a real person please", "human_handoff"),
    ],
)
async def test_each_situation_is_reachable_by_free_text(engine: Engine, text: str, intent: str) -> None:
    assert (await engine.parse(text, "en")).intent == intent


@pytest.mark.parametrize(
    ("text", "platform"),
    [
        ("my insta got hacked", "instagram"),
        ("fb account stolen", "facebook"),
        ("someone is in my gmail", "google"),
        ("fake profile on twitter", "x"),
    ],
)
async def test_platform_slang_maps_to_the_canonical_platform(
    engine: Engine, text: str, platform: str
) -> None:
    entities = (await engine.parse(text, "en")).data["entities"]
    assert [e["value"] for e in entities if e["entity"] == "platform"] == [platform]


@pytest.mark.parametrize(
    ("language", "text", "intent"),
    [
        ("es", "hola buenas, necesito hablar con alguien", "human_handoff"),  # the model says greet (0.79)
        ("en", "hello good morning how are you", "greet"),  # a greeting and nothing else stays one
        ("en", "hi there", "greet"),
    ],
)
async def test_a_greeting_that_opens_a_message_gives_way_to_what_it_asks(
    engine: Engine, language: str, text: str, intent: str
) -> None:
    assert (await engine.parse(text, language)).intent == intent


async def test_gibberish_is_not_understood(engine: Engine) -> None:
    for text in ("qwpoeiru zxmcnv", "asdfgh jkl", "hjkhjk", "xkcd qqq blorp"):
        assert (await engine.parse(text, "en")).intent == "nlu_fallback", text


async def test_the_parse_tool_detects_the_language_or_takes_it(engine: Engine, monkeypatch, capsys) -> None:
    import io
    import json

    from bot.cli.serve import _parse

    lines = "me hackearon la cuenta de instagram\nmeri insta id hack ho gayi\n\nhe posted my address online\n"
    monkeypatch.setattr("sys.stdin", io.StringIO(lines))
    await _parse(engine, None)
    records = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [r["language"] for r in records] == ["es", "hi", "en"]
    assert set(records[0]) == {"text", "language", "intent", "confidence"}
    assert records[2]["intent"] == "doxxing"

    monkeypatch.setattr("sys.stdin", io.StringIO("hola\n"))
    await _parse(engine, "fr")
    assert json.loads(capsys.readouterr().out)["language"] == "fr"


def _git(root: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=root, check=True, capture_output=True)


async def test_evaluate_prints_the_change_from_the_last_committed_report_and_the_goal(
    engine: Engine, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A committed report better than the model is: the run says it is worse, from the committed
    report, not from the file on disk (which a run rewrites)."""
    reports = tmp_path / "reports"
    reports.mkdir()
    _git(tmp_path, "init", "-q")
    (reports / "nlu-en.md").write_text(
        "# Held-out NLU report: en\n\nExamples: 9. Accuracy: 0.990. Macro-F1: 0.9.\n"
    )
    _git(tmp_path, "add", "reports")
    _git(tmp_path, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "a better report")
    (reports / "nlu-en.md").write_text("Accuracy: 0.100.\n")  # uncommitted: not what is compared with
    [change] = await evaluate_heldout(engine, ["en"], reports, tmp_path)
    assert change.before == 0.99 and change.after < 0.99
    printed = capsys.readouterr().out
    assert f"change {round(change.after, 3) - 0.99:+.3f} (worse)" in printed and "the goal 0.88" in printed
    assert report_accuracy((reports / "nlu-en.md").read_text()) == pytest.approx(change.after, abs=5e-4)
    assert change.meets_goal == (change.after >= 0.88)


def test_a_run_below_the_goal_is_reported_as_missed() -> None:
    assert not Change(language="sw", before=0.885, after=0.84).meets_goal
    worse = Change(language="sw", before=0.885, after=0.84).describe()
    assert "change -0.045 (worse); BELOW the goal 0.85" in worse
    assert "change +0.000;" in Change(language="en", before=0.894, after=0.89399999).describe()
    assert Change(language="en", before=None, after=0.88).meets_goal
    assert "no committed report" in Change(language="en", before=None, after=0.88).describe()
    assert report_accuracy("Examples: 207. Accuracy: 0.894. Macro-F1: 0.930.") == 0.894
    assert report_accuracy("no accuracy here") is None
