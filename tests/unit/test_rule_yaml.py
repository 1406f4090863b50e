"""The rule-file reader gives exactly what PyYAML's safe loader gives (with libyaml, as before), only faster, and
refuses what a shared rule file may not use: anchors and aliases (alias bombs), deep nesting."""

from __future__ import annotations

import pytest
import yaml

from quick_replies.lint_rules import BUNDLED_RULES
from quick_replies.rule_yaml import MAX_DEPTH, Loader, UnsafeYaml, describe_yaml_error, entry_lines, load_yaml


def safe_load(text):
    return yaml.load(text, Loader=Loader)

SAMPLES = [
    "a: [no, yes, on, 1, -2, 1.5, .inf, ~, '', 2020-01-01, 0x10, '010', \"quoted\", 'single']\nb: {c: d}\n",
    "- x\n- - y\n  - z\n- {}\n- []\n",
    "k:\nempty:\n",
    "",
    "text: |\n  line one\n  line two\nfolded: >\n  one\n  two\n",
    "中文: [退款, 绝对不可能]\n",
    "tagged: !!str 123\n",
    "? [a, b]\n: c\n",  # an unhashable key: PyYAML's error
    "a: 1\n---\nb: 2\n",  # two documents: PyYAML's error
    "rules: [unclosed",
]


@pytest.mark.parametrize("text", SAMPLES)
def test_same_result_or_same_error_as_safe_load(text):
    try:
        expected = safe_load(text)
    except yaml.YAMLError as error:
        with pytest.raises(type(error)):
            load_yaml(text)
        return
    assert load_yaml(text) == expected


def test_the_bundled_rules_read_the_same():
    for path in BUNDLED_RULES.glob("*.yaml"):
        text = path.read_text(encoding="utf-8")
        assert load_yaml(text) == safe_load(text) == yaml.safe_load(text)


@pytest.mark.parametrize("text, line", [
    ("base: &b {level: warning}\nrule: *b\n", 1),
    ("a: 1\nbase: &b {level: warning}\nrule:\n  <<: *b\n  id: x\n", 2),  # a merge key needs an alias
    ("rules:\n  - x\n  - &s scalar\n", 3),
    ("tagged: !!str 123\nb: &x [1]\nc: *x\n", 2),  # a tag hands the file to PyYAML: refused all the same
])
def test_anchors_and_aliases_are_refused_with_their_line(text, line):
    with pytest.raises(UnsafeYaml, match=f"^line {line}: anchors and aliases"):
        load_yaml(text)


def test_an_alias_bomb_is_refused_before_it_expands():
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{n}: &a{n} [{', '.join([f'*a{n - 1}'] * 9)}]" for n in range(1, 10)]
    with pytest.raises(UnsafeYaml, match="^line 1: "):
        load_yaml("\n".join(lines) + "\nrules: *a9\n")


@pytest.mark.parametrize("text", ["[" * 40 + "]" * 40, "a: 1\n---\n" + "[" * 40 + "]" * 40,
                                  "x: " + "{a: " * 40 + "}" * 40], ids=["plain", "handed-to-pyyaml", "mappings"])
def test_deep_nesting_is_refused_not_a_recursion_error(text):
    with pytest.raises(UnsafeYaml, match=f"^line [13]: nested deeper than {MAX_DEPTH} levels"):
        load_yaml(text)


def test_very_deep_nesting_is_a_yaml_error_with_its_line():
    with pytest.raises(yaml.YAMLError) as caught:
        load_yaml("[" * 100_000 + "]" * 100_000)
    assert describe_yaml_error(caught.value).startswith("line 1, column ")


def test_errors_name_the_line_and_never_quote_the_file():
    hostile = "rules: [\x1b]52;c;aGk=\x07 unclosed"
    with pytest.raises(yaml.YAMLError) as caught:
        load_yaml(hostile)
    described = describe_yaml_error(caught.value)
    assert described.startswith("character 9: ") and "\x1b" not in described and "aGk=" not in described
    with pytest.raises(yaml.YAMLError) as caught:
        load_yaml("rules:\n  - id: \u202e[red]x\n  bad: [")
    described = describe_yaml_error(caught.value)
    assert described.startswith("line 3, column ") and "[red]" not in described and "\u202e" not in described


def test_entry_lines_point_at_each_rule():
    text = "version: 1\nrules:\n  - id: a\n    level: x\n  - {id: b}\n\n  - id: c\nother: [1, 2]\n"
    assert entry_lines(text) == [3, 5, 7]
