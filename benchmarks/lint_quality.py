"""How well the bundled phrase rules catch what agents and customers write: per-category precision and recall on
the labelled corpora.

- tests/fixtures/lint_corpus.yaml: the tuning corpus (the rules were fitted to it; the suite holds them to the
  targets there: every error-level case caught, warnings >= 95%, false alarms on clean messages <= 1%).
- tests/fixtures/lint_corpus_holdout.yaml: held out, never tuned on: how the rules generalise.
Same-run baseline: the same rules with their `sequences` and `near` removed (phrases, patterns and detectors
only), which is what the rules could say before they could describe meaning.

Usage: python benchmarks/lint_quality.py [--misses]
The last line printed is one JSON object with every figure (the tuning corpus's at the top level).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from quick_replies.lint_rules import load_rules  # noqa: E402
from quick_replies.linter import Linter  # noqa: E402
from tests.lint_corpus import CORPUS, HELD_OUT, category_levels, load_cases, score  # noqa: E402


def report(name: str, linter: Linter, path: Path, levels: dict[str, str], misses: bool) -> dict:
    result = score(linter, load_cases(path))
    figures = result.summary(levels)
    print(f"\n{name}: {path.name}, {figures['cases']} cases ({figures['clean_cases']} clean)")
    print(f"  recall: errors {figures['recall_error']:.1%}, warnings {figures['recall_warning']:.1%}, "
          f"suggestions {figures['recall_suggestion']:.1%}; false alarms {figures['false_alarm_rate']:.1%} "
          "of clean messages")
    print(f"  {'category':18} {'level':10} {'labels':>6} {'recall':>7} {'precision':>9}")
    for category, row in figures["categories"].items():
        precision = "-" if row["precision"] is None else f"{row['precision']:.1%}"
        print(f"  {category:18} {row['level']:10} {row['labels']:>6} {row['recall']:>7.1%} {precision:>9}")
    if misses:
        for case, category, found in result.misses:
            print(f"  MISS {category} (found {', '.join(found) or 'nothing'}): {case.text}")
        for case, found in result.false_alarms:
            print(f"  FALSE ALARM {', '.join(found)}: {case.text}")
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--misses", action="store_true", help="list every missed label and false alarm")
    args = parser.parse_args()
    rules = load_rules()
    levels = category_levels(rules.rules.values())
    linter = Linter(rules)
    phrases_only = Linter([dataclasses.replace(rule, sequences=(), near=()) for rule in rules.rules.values()
                           if rule.phrases or rule.patterns or rule.detector])
    figures = report("bundled rules", linter, CORPUS, levels, args.misses)
    baseline = report("baseline, phrases only", phrases_only, CORPUS, levels, False)
    figures["baseline_phrases_only"] = {key: baseline[key] for key in
                                        ("recall_error", "recall_warning", "recall_suggestion", "false_alarm_rate")}
    if HELD_OUT.exists():
        held_out = report("bundled rules, held out", linter, HELD_OUT, levels, args.misses)
        held_baseline = report("baseline, phrases only, held out", phrases_only, HELD_OUT, levels, False)
        figures["held_out"] = held_out
        figures["held_out_baseline_phrases_only"] = {key: held_baseline[key] for key in
                                                     ("recall_error", "recall_warning", "recall_suggestion",
                                                      "false_alarm_rate")}
    print(json.dumps(figures, ensure_ascii=False))


if __name__ == "__main__":
    main()
