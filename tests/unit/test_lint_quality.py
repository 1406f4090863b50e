"""The bundled rules measured on the labelled corpora (tests/lint_corpus.py scores them; benchmarks/lint_quality.py
prints the same figures per category). Quality, not speed: these assert what the issue promises."""

from __future__ import annotations

import pytest

from quick_replies.lint_rules import CATEGORIES, load_rules
from quick_replies.linter import Linter
from tests.lint_corpus import CORPORA, category_levels, load_cases, score

RULES = load_rules()
LINTER = Linter(RULES)
LEVELS = category_levels(RULES.rules.values())


@pytest.mark.parametrize("corpus", CORPORA, ids=lambda path: path.stem)
def test_every_error_is_caught_warnings_nearly_all_and_clean_messages_stay_clean(corpus):
    result = score(LINTER, load_cases(corpus))
    figures = result.summary(LEVELS)
    missed_errors = [(case.text, category) for case, category, _ in result.misses if LEVELS[category] == "error"]
    assert missed_errors == [], "a privacy request, personal data or a high-risk message got through"
    assert figures["recall_warning"] >= 0.95, [(case.text, category) for case, category, _ in result.misses]
    assert figures["false_alarm_rate"] <= 0.01, [(case.text, found) for case, found in result.false_alarms]


def test_the_corpora_are_large_and_cover_every_category_in_both_languages():
    cases = [case for corpus in CORPORA for case in load_cases(corpus)]
    flagged = [case for case in cases if case.expect]
    assert len(flagged) >= 300 and len(cases) - len(flagged) >= 150
    for category in set(CATEGORIES):
        labelled = [case.text for case in flagged if category in case.expect]
        chinese = [text for text in labelled if any("\u4e00" <= ch <= "\u9fff" for ch in text)]
        assert len(chinese) >= 10 and len(labelled) - len(chinese) >= 5, category


def test_scoring_counts_a_miss_and_a_false_alarm():
    class Quiet:
        def lint(self, text, scope):
            return []

    cases = load_cases(CORPORA[0])
    result = score(Quiet(), cases)
    assert result.summary(LEVELS)["recall_error"] == 0.0 and result.false_alarms == []
