"""The rule-file reader gives exactly what PyYAML's safe loader gives (with libyaml, as before), only faster."""

from __future__ import annotations

import pytest
import yaml

from quick_replies.lint_rules import BUNDLED_RULES
from quick_replies.rule_yaml import Loader, load_yaml


def safe_load(text):
    return yaml.load(text, Loader=Loader)

SAMPLES = [
    "a: [no, yes, on, 1, -2, 1.5, .inf, ~, '', 2020-01-01, 0x10, '010', \"quoted\", 'single']\nb: {c: d}\n",
    "- x\n- - y\n  - z\n- {}\n- []\n",
    "k:\nempty:\n",
    "",
    "text: |\n  line one\n  line two\nfolded: >\n  one\n  two\n",
    "中文: [退款, 绝对不可能]\n",
    "base: &b {level: warning}\nrule: *b\n",  # anchors and aliases: handed to PyYAML
    "base: &b {level: warning}\nrule:\n  <<: *b\n  id: x\n",  # a merge key
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
