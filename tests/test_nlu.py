"""NLU quality on held-out data, and every situation reachable by free text."""

from __future__ import annotations

import pytest

from bot.rasa.engine import Engine
from bot.rasa.nlu_eval import evaluate, heldout_examples, heldout_languages, score, write_report

# The goals of the conversation issue, on phrasings written independently of the training data.
GOALS = {"en": 0.88}
DEFAULT_GOAL = 0.85


@pytest.mark.parametrize("language", heldout_languages())
async def test_heldout_accuracy_meets_the_goal(engine: Engine, language: str, tmp_path) -> None:
    evaluation = await evaluate(engine, language)
    report = write_report(evaluation, tmp_path)
    assert evaluation.total == len(heldout_examples(language))
    assert evaluation.accuracy >= GOALS.get(language, DEFAULT_GOAL), report.read_text()


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
