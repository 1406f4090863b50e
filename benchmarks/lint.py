"""The phrase linter per outgoing message, with a large team rule set.

Writes 10,000 generated phrase rules (Chinese and English, 2-8 characters, one phrase each, a third with a swap
and an exception) as a YAML rules directory next to the bundled rules, times loading them (parse + build),
then lints 2,000 generated 500-character messages (mixed Chinese and English, some with flagged phrases and
personal data) and times each. Same-run baseline: one Python `re` alternation of every phrase over the same
messages.

Usage: python benchmarks/lint.py [--phrases 10000] [--messages 2000]
The last line printed is one JSON object with every figure.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.percentiles import p99  # noqa: E402
from quick_replies.lint_rules import load_rules  # noqa: E402
from quick_replies.linter import Linter  # noqa: E402

CHINESE = (
    "的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动同工也能下过子说产种"
    "面而方后多定行学法所民得经十三之进着等部度家电力里如水化高自二理起小物现实加量都两体制机当使点从业本"
    "去把性好应开它合还因由其些然前外天政四日那社义事平形相全表间样与关各重新线内数正心反你明看原又么利比"
    "或但质气第向道命此变条只没结解问意建月公无系军很情者最立代想已通并提直题党程展五果料象员革位入常文总"
    "次品式活设及管特件长求老头基资边流路级少图山统接知较将组见计别她手角期根论运农指几九区强放决西被干做"
    "必战先回则任取据处理府研质你们"
)
ENGLISH = ("refund order delivery address return exchange quality issue resend coupon member points invoice payment "
           "charge account login password verify android iphone cannot failed delay tracking parcel pickup size "
           "color stock price discount gift package damaged photo proof review business days support").split()


def generate_rules(count: int, seed: int = 11) -> dict:
    """`count` rules of one phrase each; every third swaps it for an approved wording and has an exception."""
    rng = random.Random(seed)
    rules = []
    for number in range(count):
        if rng.random() < 0.6:
            phrase = "".join(rng.choice(CHINESE) for _ in range(rng.randint(2, 6)))
        else:
            phrase = " ".join(rng.choice(ENGLISH) for _ in range(rng.randint(1, 2))) + rng.choice("xyzq")
        rule = {"id": f"team-{number}", "category": "cold", "level": rng.choice(["warning", "suggestion"]),
                "message": "team wording rule", "examples": {"flag": [phrase], "pass": ["ok"]}}
        if number % 3 == 0:
            rule |= {"swap": {phrase: ["approved wording"]}, "exceptions": [phrase + "除外"]}
        else:
            rule["phrases"] = [phrase]
        rules.append(rule)
    return {"rules": rules}


def generate_messages(count: int, phrases: list[str], seed: int = 13) -> list[str]:
    rng = random.Random(seed)
    messages = []
    for _ in range(count):
        parts: list[str] = []
        while sum(map(len, parts)) < 500:
            roll = rng.random()
            if roll < 0.02:
                parts.append(rng.choice(phrases))
            elif roll < 0.025:
                parts.append(rng.choice(["卡号6222021234567890128", "手机13812345678", "a.b@example.com"]))
            elif roll < 0.6:
                parts.append("".join(rng.choice(CHINESE) for _ in range(rng.randint(2, 8))) + "，")
            else:
                parts.append(rng.choice(ENGLISH) + " ")
        messages.append("".join(parts)[:500])
    return messages


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--phrases", type=int, default=10_000)
    parser.add_argument("--messages", type=int, default=2_000)
    args = parser.parse_args()

    document = generate_rules(args.phrases)
    phrases = [p for rule in document["rules"] for p in [*rule.get("phrases", []), *rule.get("swap", {})]]
    messages = generate_messages(args.messages, phrases)
    with tempfile.TemporaryDirectory() as directory, tempfile.TemporaryDirectory() as cache:
        (Path(directory) / "team.yaml").write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
        started = time.perf_counter()
        Linter(load_rules([Path(directory)], Path(cache)))  # the first start after the file changed: parses YAML
        load_cold_s = time.perf_counter() - started
        started = time.perf_counter()
        rules = load_rules([Path(directory)], Path(cache))  # every start after that (and every `send`)
        linter = Linter(rules)
        load_s = time.perf_counter() - started
    assert not rules.problems, rules.problems

    timings, flagged = [], 0
    for message in messages:
        started = time.perf_counter()
        findings = linter.lint(message)
        timings.append((time.perf_counter() - started) * 1000)
        flagged += bool(findings)

    alternation = re.compile("|".join(re.escape(p) for p in sorted(phrases, key=len, reverse=True)), re.IGNORECASE)
    baseline = []
    for message in messages[:200]:
        started = time.perf_counter()
        list(alternation.finditer(message))
        baseline.append((time.perf_counter() - started) * 1000)

    figures = {
        "rules": len(rules.rules),
        "phrases": len(phrases),
        "messages": len(messages),
        "message_chars": 500,
        "p50_ms": round(statistics.median(timings), 3),
        "p99_ms": round(p99(timings), 3),
        "load_s": round(load_s, 3),
        "load_cold_s": round(load_cold_s, 3),
        "messages_flagged": flagged,
        "baseline_re_alternation_p99_ms": round(p99(baseline), 3),
    }
    print(f"{figures['rules']} rules ({figures['phrases']} team phrase rules + the bundled rules and PII detectors), "
          f"{len(messages)} messages of 500 characters ({flagged} with findings)")
    print(f"lint per message: p50 {figures['p50_ms']} ms, p99 {figures['p99_ms']} ms")
    print(f"load: {figures['load_s']} s from the parsed-rules cache, {figures['load_cold_s']} s parsing the YAML "
          "(the first start after a rules file changed)")
    print(f"baseline, phrases only as one re alternation: p99 {figures['baseline_re_alternation_p99_ms']} ms")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
