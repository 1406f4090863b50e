"""The forbidden-phrase linter: every rule's own examples, matching that works for Chinese, rule files."""

from __future__ import annotations

import pytest

from quick_replies.lint_rules import RuleSet, load_rules, parse_rule
from quick_replies.linter import Linter, cell_offsets, has_errors

RULES = load_rules()
LINTER = Linter(RULES)
EXAMPLES = [(rule.id, rule.scope, text, True) for rule in RULES.rules.values() for text in rule.flag_examples] + [
    (rule.id, rule.scope, text, False) for rule in RULES.rules.values() for text in rule.pass_examples]


def test_the_bundled_rules_load_cleanly_and_cover_every_category():
    assert RULES.problems == []
    categories = {rule.category for rule in RULES.rules.values()}
    assert categories >= {"absolutist", "blame_shifting", "denying_feelings", "privacy", "negative", "cold",
                          "hedge", "weak_apology", "personal_data", "high_risk"}
    for rule in RULES.rules.values():
        assert rule.flag_examples and rule.pass_examples, f"{rule.id} has no examples"


@pytest.mark.parametrize("rule_id, scope, text, flagged", EXAMPLES)
def test_every_rules_inline_examples(rule_id, scope, text, flagged):
    fired = [finding.rule for finding in LINTER.lint(text, scope)]
    assert (rule_id in fired) is flagged, f"{rule_id}: {text!r} -> {fired}"


def test_an_exception_suppresses_matches_inside_it_only():
    assert not [f for f in LINTER.lint("请勿告诉任何人验证码") if f.rule == "privacy-credentials"]
    asked = LINTER.lint("请勿告诉任何人验证码。现在请告诉我验证码")
    assert [(f.rule, f.start) for f in asked if f.rule == "privacy-credentials"] == [("privacy-credentials", 14)]


def test_ascii_phrases_need_word_edges_but_chinese_ones_do_not():
    linter = Linter([parse_rule({"id": "t", "category": "cold", "level": "warning", "message": "m",
                                 "phrases": ["must", "公司规定"]}, "test")])
    assert [f.start for f in linter.lint("You must. mustard, Must-have")] == [4, 19]
    assert [f.start for f in linter.lint("按公司规定处理")] == [1]


def test_positions_are_reported_in_characters_and_terminal_cells():
    [finding] = [f for f in LINTER.lint("您好，这绝对不可能") if f.rule == "absolutist"]
    assert (finding.start, finding.end) == (4, 9)
    assert (finding.start_cell, finding.end_cell) == (8, 18)
    assert cell_offsets("ab退款") == [0, 1, 2, 4, 6]


def test_findings_carry_the_approved_wording_and_the_masked_form_for_their_span():
    text = "抱歉，这个订单不能退款。卡号6222021234567890128"
    findings = LINTER.lint(text)
    negative = next(f for f in findings if f.rule == "negative-framing")
    assert (text[negative.start:negative.end], negative.suggestions) == ("不能退款", ("我们可以为您申请补偿券",))
    card = next(f for f in findings if f.rule == "pii-bank-card")
    assert card.level == "error" and (text[card.start:card.end], card.masked) == (
        "6222021234567890128", "622202*********0128")


def test_a_card_number_failing_luhn_is_a_warning_not_an_error():
    [finding] = LINTER.lint("卡号6222021234567890127")
    assert finding.rule == "pii-bank-card" and finding.level == "warning"


def test_errors_block_and_the_rest_do_not():
    assert has_errors(LINTER.lint("麻烦把密码告诉我"))
    assert not has_errors(LINTER.lint("您的包裹也许明天到"))
    assert not has_errors(LINTER.lint("好的，已为您处理，请查收。"))


def test_incoming_rules_apply_to_customers_only():
    assert [f.category for f in LINTER.lint("我真的不想活了", "incoming")] == ["high_risk"]
    assert LINTER.lint("我真的不想活了", "outgoing") == []


def test_team_rules_extend_and_override_and_a_broken_rule_names_file_and_id(tmp_path):
    (tmp_path / "team.yaml").write_text(
        "rules:\n"
        "  - id: absolutist\n    category: absolutist\n    level: error\n    message: 团队更严格\n"
        "    phrases: [绝对]\n"
        "  - id: team-slang\n    category: cold\n    level: warning\n    message: 不要用“亲”\n    phrases: [亲]\n"
        "  - id: broken-level\n    category: cold\n    level: fatal\n    message: x\n    phrases: [x]\n"
        "  - id: broken-regex\n    category: cold\n    level: warning\n    message: x\n    patterns: ['(']\n",
        encoding="utf-8")
    (tmp_path / "garbage.yaml").write_text("rules: [unclosed", encoding="utf-8")
    rules = load_rules([tmp_path])
    problems = [str(problem) for problem in rules.problems]
    assert any("team.yaml:12: rule broken-level: level 'fatal'" in p for p in problems)
    assert any("team.yaml:17: rule broken-regex: pattern 1 cannot be used" in p for p in problems)
    assert any("garbage.yaml" in p for p in problems)
    assert rules.rules["absolutist"].level == "error" and "team-slang" in rules.rules
    assert "pii-mobile" in rules.rules, "the bundled rules still load"
    assert {f.rule for f in Linter(rules).lint("亲，绝对没问题")} == {"absolutist", "team-slang"}


def test_rules_without_anything_to_match_are_refused():
    with pytest.raises(ValueError, match="needs phrases"):
        parse_rule({"id": "empty", "category": "cold", "level": "warning", "message": "m"}, "test")
    assert isinstance(load_rules([]), RuleSet)


def test_parsed_rules_are_cached_until_the_file_changes(tmp_path):
    rules_dir, cache = tmp_path / "rules", tmp_path / "cache"
    rules_dir.mkdir()
    path = rules_dir / "team.yaml"
    path.write_text("rules:\n  - id: t1\n    category: cold\n    level: warning\n    message: m\n    phrases: [亲]\n",
                    encoding="utf-8")
    assert "t1" in load_rules([rules_dir], cache).rules
    assert list(cache.glob("rules-*.json")), "the parsed form is kept"
    path.write_text("rules:\n  - id: t2\n    category: cold\n    level: warning\n    message: m\n    phrases: [亲亲]\n",
                    encoding="utf-8")
    reloaded = load_rules([rules_dir], cache)
    assert "t2" in reloaded.rules and "t1" not in reloaded.rules, "a changed file is parsed again"
    for cached in cache.glob("rules-*.json"):
        cached.write_text("{damaged", encoding="utf-8")
    assert "t2" in load_rules([rules_dir], cache).rules, "a damaged cache file is ignored"
