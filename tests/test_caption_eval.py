"""Evaluating a run: result lines joined to their items, and the report's figures, each computed
by hand for a small run."""

from __future__ import annotations

from typing import Any

import pytest

from adp_cli.captions import Evaluation, evaluate
from adp_cli.errors import UsageError
from adp_cli.tasks.wizard import WizardData, parse_wizard


def item(**fields: Any) -> WizardData:
    return parse_wizard(fields)


@pytest.fixture
def items() -> list[WizardData]:
    return [
        item(id="a", genre="Jazz", mood=["calm"], bpm=90),
        item(id="b", genre="Rock", instrumentation=[{"instrument": "Drums", "role": "rhythm"}]),
        item(id="c", genre="Folk"),
    ]


RUN: list[Any] = [
    {"index": 0, "id": "a", "phrase": "A calm jazz tune at 90 BPM."},
    {"index": 1, "id": "b", "phrase": "A rock song with a cello."},  # Drums missing, cello invented
    {"index": 2, "id": "c", "error": {"type": "api_error", "message": "boom"}},
    {"index": 3, "id": "z", "phrase": "Lost."},  # no item has id z
    {
        "index": 0,
        "id": "a",
        "variants": [
            {"phrase": "A calm jazz tune at 120 BPM.", "check": {"passed": True}},  # the tempo is wrong
            {"phrase": "a calm  JAZZ tune at 90 bpm."},  # the first phrase again
        ],
    },
    "not a result line",
]


def test_a_small_run_in_figures(items: list[WizardData]) -> None:
    assert evaluate(RUN, items).to_json() == {
        "results": 6,
        "errors": 1,
        "unmatched": 1,
        "malformed": 1,
        "items": 3,
        "phrases": 4,
        "min_recall": 0.5,
        "passed_share": 0.5,  # the first and the last phrase
        "mean_recall": 0.875,  # (1 + 0.5 + 1 + 1) / 4
        "invented_share": 0.25,
        "tempo_mismatch_share": 0.25,
        "vocabulary": 12,  # a calm jazz tune at 90 bpm rock song with cello 120
        "mean_words": 6.75,  # 7, 6, 7, 7
        "median_words": 7.0,
        "distinct_1": 0.4444,  # 12 / 27
        "distinct_2": 0.5652,  # 13 / 23
        "duplicates": 1,
        "length_histogram": {"0-9": 4, "10-19": 0, "20-29": 0, "30-39": 0, "40-49": 0, "50+": 0},
    }


def test_add_returns_the_checks_of_the_lines_phrases(items: list[WizardData]) -> None:
    evaluation = Evaluation(items)
    assert [check.invented for check in evaluation.add(RUN[1])] == [("cello",)]
    assert [check.tempo_mismatch for check in evaluation.add(RUN[4])] == [True, False]
    assert evaluation.add(RUN[2]) == []
    assert evaluation.add(RUN[3]) == []


def test_lines_join_by_id_when_both_sides_have_ids(items: list[WizardData]) -> None:
    """Index 0 but id b: the line is about the rock item, which has no calm jazz."""
    report = evaluate([{"index": 0, "id": "b", "phrase": "A calm jazz tune."}], items)
    assert (report.items, report.mean_recall, report.invented_share) == (1, 0.0, 1.0)


def test_lines_join_by_index_when_the_items_have_no_ids() -> None:
    anonymous = [item(genre="Jazz"), item(genre="Rock")]
    report = evaluate([{"index": 1, "id": "anything", "phrase": "A rock song."}], anonymous)
    assert (report.items, report.unmatched, report.mean_recall) == (1, 0, 1.0)


def test_items_may_be_a_mapping_from_index() -> None:
    report = evaluate([{"index": 7, "phrase": "A rock song."}, {"index": 0, "phrase": "A rock song."}], {7: item(genre="Rock")})
    assert (report.items, report.unmatched, report.mean_recall) == (1, 1, 1.0)


def test_where_two_items_share_an_id_the_first_is_that_ids_item() -> None:
    twins = [item(id=1, genre="Jazz"), item(id=1, genre="Rock")]
    assert evaluate([{"index": 1, "id": 1, "phrase": "A jazz tune."}], twins).mean_recall == 1.0


def test_the_median_of_an_even_count_and_the_length_bins() -> None:
    lengths = [0, 9, 10, 49, 50, 120]
    lines = [{"index": 0, "phrase": " ".join(["word"] * length) or "..."} for length in lengths]
    report = evaluate(lines, [item()])
    assert report.median_words == 29.5
    assert report.mean_words == 238 / 6
    assert dict(report.length_histogram) == {"0-9": 2, "10-19": 1, "20-29": 0, "30-39": 0, "40-49": 1, "50+": 2}
    assert report.vocabulary == 1
    assert report.duplicates == 0


def test_distinct_n_counts_pairs_only_within_a_phrase() -> None:
    report = evaluate([{"index": 0, "phrase": "a b"}, {"index": 0, "phrase": "b a"}], [item()])
    assert (report.distinct_1, report.distinct_2) == (2 / 4, 2 / 2)


def test_the_minimum_recall_sets_what_passes(items: list[WizardData]) -> None:
    line = {"index": 1, "id": "b", "phrase": "A rock song."}  # 1 of 2 tags
    assert evaluate([line], items).passed_share == 1.0
    assert evaluate([line], items, min_recall=0.75).passed_share == 0.0


def test_an_empty_run_reports_zeros() -> None:
    report = evaluate([], [])
    assert (report.results, report.phrases, report.mean_recall, report.median_words, report.distinct_2) == (0, 0, 0.0, 0.0, 0.0)
    assert dict(report.length_histogram) == {"0-9": 0, "10-19": 0, "20-29": 0, "30-39": 0, "40-49": 0, "50+": 0}


@pytest.mark.parametrize(
    "line",
    [
        {"index": 0},
        {"index": 0, "phrase": 5},
        {"index": 0, "variants": [{"phrase": None}, "x"]},
        ["index", 0],
    ],
)
def test_a_line_with_no_phrase_is_malformed(line: Any) -> None:
    report = evaluate([line], [item()])
    assert (report.malformed, report.phrases) == (1, 0)


def test_a_minimum_recall_outside_zero_to_one_is_refused_before_any_line() -> None:
    with pytest.raises(UsageError, match="between 0 and 1"):
        Evaluation([], min_recall=2.0)
