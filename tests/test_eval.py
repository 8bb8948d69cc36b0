"""The NLU evaluation: the scorer on hand-made cases, and the corpus against the catalogue.

Nothing here depends on how good the rule parser is.
"""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime
from typing import Any

import pytest

from crm_core.registry import build_registry
from nlu.eval import CATALOGUE_ONLY, CORPUS, REQUIRED_KEYS, Case, jaccard, load_corpus, score
from nlu.eval.__main__ import main
from nlu.interpreter import OperationCall

NOW = "2026-12-04T10:00:00+01:00"
WRITES = {op.name for op in build_registry() if op.writes}
DESTRUCTIVE = {op.name for op in build_registry() if op.destructive}


def call(operation: str, /, **args: Any) -> OperationCall:
    return OperationCall(operation, args)


def case(*expected: OperationCall, lang: str = "en") -> Case:
    return Case("t-1", lang, "some text", datetime.fromisoformat(NOW), "Europe/Paris", (), expected)


def scored(expected: list[OperationCall], got: list[OperationCall], lang: str = "en"):
    return score([case(*expected, lang=lang)], [got], WRITES, DESTRUCTIVE)["all"]


def test_exact_match_is_right_everywhere():
    expected = call("add_contact", name="Marie Dupont", phone="+33612345678", budget_max=350000)
    tally = scored([expected], [expected])
    assert (tally.intents_right, tally.arguments_right, tally.arguments_counted) == (1, 3, 3)
    assert tally.wrong_writes == 0 and not tally.failures


def test_names_compare_without_accents_case_or_punctuation():
    tally = scored(
        [call("show_contact", contact="Hélène Müller-Joly")],
        [call("show_contact", contact="helene muller joly")],
    )
    assert tally.argument_accuracy == 1.0
    tally = scored([call("show_contact", contact="C12")], [call("show_contact", contact="#c-12")])
    assert tally.argument_accuracy == 1.0
    tally = scored([call("show_contact", contact="Marie")], [call("show_contact", contact="Mario")])
    assert tally.argument_accuracy == 0.0


def test_datetimes_compare_as_instants():
    expected = call("add_reminder", due_at="2026-12-05T10:00:00+01:00", text="call Marie")
    same = [
        "2026-12-05T09:00:00Z",
        "2026-12-05T09:00:00+00:00",
        datetime(2026, 12, 5, 9, tzinfo=UTC),
    ]
    for value in same:
        tally = scored([expected], [call("add_reminder", due_at=value, text="call Marie")])
        assert tally.arguments_right == 2, value
    for value in ["2026-12-05T10:00:00+00:00", "2026-12-05T10:00:00", "tomorrow 10am"]:
        tally = scored([expected], [call("add_reminder", due_at=value, text="call Marie")])
        assert tally.arguments_right == 1, value


def test_free_text_needs_sixty_percent_word_overlap():
    assert jaccard("appeler Marie Dupont", "Appeler marie dupont !") == 1.0
    expected = call("add_note", contact="C3", text="a b c d e")
    three_of_five = scored([expected], [call("add_note", contact="C3", text="a b c")])
    assert three_of_five.arguments_right == 2  # 3 / 5 = 0.6
    two_of_four = scored([expected], [call("add_note", contact="C3", text="a b f")])
    assert two_of_four.arguments_right == 1  # 2 / 6 < 0.6


def test_an_extra_argument_counts_wrong():
    tally = scored(
        [call("find_properties", city="Lyon")],
        [call("find_properties", city="Lyon", transaction="sale")],
    )
    assert (tally.arguments_right, tally.arguments_counted) == (1, 2)
    assert tally.failures[0].reason == "find_properties.transaction"


def test_none_and_default_values_mean_no_argument():
    tally = scored([call("list_reminders")], [call("list_reminders", period="upcoming", x=None)])
    assert (tally.arguments_right, tally.arguments_counted) == (0, 0)
    assert not tally.failures
    tally = scored([call("agenda", day="2026-12-04")], [call("agenda")])
    assert not tally.failures


def test_numbers_and_phones_are_normalised():
    expected = call("add_contact", name="A B", phone="+33612345678", budget_max=350000)
    got = call("add_contact", name="a b", phone="+33 6 12 34 56 78", budget_max="350000")
    assert scored([expected], [got]).argument_accuracy == 1.0


def test_empty_expectation_is_right_only_when_nothing_is_produced():
    assert scored([], []).intent_accuracy == 1.0
    read = scored([], [call("show_contact", contact="Marie")])
    assert read.intent_accuracy == 0.0 and read.wrong_writes == 0
    write = scored([], [call("delete_contact", contact="Marie")])
    assert write.intent_accuracy == 0.0
    assert (write.wrong_writes, write.wrong_destructive) == (1, 1)


def test_intent_is_the_multiset_of_names():
    expected = [call("add_contact", name="X"), call("add_reminder", due_at=NOW, text="t")]
    assert scored(expected, list(reversed(expected))).intent_accuracy == 1.0
    assert scored(expected, expected[:1]).intent_accuracy == 0.0
    assert scored(expected[:1], [expected[0], expected[0]]).wrong_writes == 1


def test_wrong_write_for_another_operation():
    tally = scored([call("find_contacts", query="x")], [call("add_contact", name="x")])
    assert tally.wrong_writes == 1
    tally = scored([call("add_note", text="x")], [call("add_note", text="y")])
    assert tally.wrong_writes == 0  # the right operation with a wrong argument


def test_calls_of_the_same_name_are_paired_at_best():
    expected = [call("add_note", deal="D1", text="one"), call("add_note", deal="D2", text="two")]
    got = [call("add_note", deal="D2", text="two"), call("add_note", deal="D1", text="one")]
    assert scored(expected, got).argument_accuracy == 1.0


def test_languages_are_tallied_apart():
    cases = [case(lang="fr"), case(call("agenda"), lang="en")]
    tallies = score(cases, [[], []], WRITES)
    assert (tallies["fr"].intents_right, tallies["en"].intents_right) == (1, 0)
    assert tallies["all"].messages == 2


def test_the_command_always_exits_zero(capsys: pytest.CaptureFixture[str]):
    assert main(["--verbose"]) == 0
    out = capsys.readouterr().out
    assert "intent" in out and "wrong writes" in out


# --- the corpus ------------------------------------------------------------------------------


def corpus_rows() -> list[dict[str, Any]]:
    return [json.loads(line) for line in CORPUS.read_text(encoding="utf-8").splitlines()]


def allowed_arguments() -> dict[str, frozenset[str]]:
    registry = {op.name: frozenset(op.input_model.model_fields) for op in build_registry()}
    return {**registry, **CATALOGUE_ONLY}


def test_corpus_lines_are_complete_and_balanced():
    rows = corpus_rows()
    assert len(rows) >= 220
    ids = [row["id"] for row in rows]
    assert len(set(ids)) == len(ids)
    for row in rows:
        assert row.keys() >= REQUIRED_KEYS, row.get("id")
        assert datetime.fromisoformat(row["now"]).tzinfo is not None
        for ref, label in row.get("recent", []):
            assert ref[:1] in "CPDR" and label
    languages = Counter(row["lang"] for row in rows)
    assert set(languages) == {"fr", "en"}
    assert abs(languages["fr"] - languages["en"]) <= len(rows) // 20
    assert sum(1 for row in rows if not row["expected"]) >= len(rows) // 20
    assert len(load_corpus()) == len(rows)


def test_corpus_uses_catalogue_operations_and_arguments():
    allowed = allowed_arguments()
    for row in corpus_rows():
        for expected in row["expected"]:
            assert expected["name"] in allowed, (row["id"], expected["name"])
            unknown = set(expected["input"]) - allowed[expected["name"]]
            assert not unknown, (row["id"], unknown)


def test_corpus_expectations_pass_the_input_models():
    registry = build_registry()
    for row in corpus_rows():
        now = datetime.fromisoformat(row["now"])
        context = {"tz": row["tz"], "now": now, "region": "FR"}
        for expected in row["expected"]:
            if expected["name"] in registry:
                model = registry.get(expected["name"]).input_model
                model.model_validate(expected["input"], context=context)
