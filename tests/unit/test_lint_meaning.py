"""Rules that describe meaning: `near` pairs, word sequences, English forms, negation, merged findings, and the
clause a suggestion rewrites. Unit tests of the engine with small rule sets, then the bundled rules on the cases
the issue reported."""

from __future__ import annotations

import pytest

from quick_replies.lint_rules import load_rules, parse_rule
from quick_replies.linter import Linter, apply_fix

BUNDLED = Linter(load_rules())
FIXES = [(rule.id, rule.scope, text, fixed)
         for rule in load_rules().rules.values() for text, fixed in rule.fix_examples]


def linter(**rule) -> Linter:
    return Linter([parse_rule({"id": "t", "category": "privacy", "level": "error", "message": "m"} | rule, "test")])


def spans(lint: Linter, text: str) -> list[str]:
    return [text[f.start:f.end] for f in lint.lint(text)]


def test_near_pairs_match_in_either_order_within_reach_only():
    lint = linter(near=[{"first": ["验证码"], "second": ["发我"], "within": 6}])
    assert spans(lint, "验证码123456发我") == ["验证码123456发我"]
    assert spans(lint, "发我一下验证码") == ["发我一下验证码"], "either order"
    assert spans(lint, "验证码1234567发我") == [], "seven characters apart is beyond reach"
    assert spans(lint, "验证码收到了吗？发我") == ["验证码收到了吗？发我"], "across a question mark too"


def test_a_near_pair_whose_verb_has_its_own_object_does_not_count():
    lint = linter(near=[{"first": ["密码"], "second": ["提供"], "within": 10, "unless_followed_by": ["订单号"]}])
    assert spans(lint, "密码重置成功，请提供订单号") == []
    assert spans(lint, "密码重置成功，请提供一下") == ["密码重置成功，请提供"]


def test_near_finds_a_pair_among_many_hits_in_linear_passes():
    lint = linter(near=[{"first": ["码"], "second": ["发"], "within": 2}])
    text = "码" + "。" * 5 + "码。" * 2000 + "发"
    assert [text[f.start:f.end] for f in lint.lint(text)] == ["码。发"]


def test_a_negation_before_a_request_or_inside_it_voids_it_but_not_in_another_clause():
    lint = linter(near=[{"first": ["验证码"], "second": ["告诉"]}], unless_negated=True,
                  sequences=["(send|tell) (me|us) your password"])
    assert spans(lint, "请勿把验证码告诉任何人") == []
    assert spans(lint, "验证码千万不要告诉别人") == []
    assert spans(lint, "Never send us your password.") == []
    assert spans(lint, "Please don't tell me your password.") == [], "don't is do not"
    assert spans(lint, "别担心，把验证码告诉我") == ["验证码告诉"], "别担心 negates nothing"
    assert spans(lint, "不要着急把验证码告诉我") == ["验证码告诉"]
    assert spans(lint, "我不会弄错的，请告诉我验证码") == ["告诉我验证码"], "a negation in another clause"
    assert spans(lint, "如果有人冒充客服让您告诉他验证码，请挂断") == [], "a fraud warning quotes the request"


def test_sequences_take_alternatives_optional_words_and_gaps():
    lint = linter(sequences=["这 (个|件事)? 不归 (我们|我)? 管", "(send|give) (me|us) ~12 (password|pin)"])
    assert spans(lint, "这不归管") == ["这不归管"]
    assert spans(lint, "这件事不归我们管") == ["这件事不归我们管"]
    assert spans(lint, "这 个 不归 我们 管") == ["这 个 不归 我们 管"], "a few spaces between steps"
    assert spans(lint, "send me the 6 digit PIN") == ["send me the 6 digit PIN"]
    assert spans(lint, "send me a photo of the card. PIN") == [], "a gap stays in the sentence"
    assert spans(lint, "resend me your pin") == [], "words match whole"


def test_english_words_match_in_every_form_and_contraction():
    lint = linter(sequences=["that is not our problem"], phrases=["too sensitive"])
    assert spans(lint, "That's not our problems!") == ["That's not our problems"]
    assert spans(lint, "that is NOT our problem") == ["that is NOT our problem"]
    assert spans(lint, "That’s not our problem") == ["That’s not our problem"], "a typographic apostrophe"
    assert spans(lint, "You are too   sensitive") == ["too   sensitive"], "runs of spaces are one"
    assert spans(lint, "a problem that is not ours") == []


def test_full_width_and_invisible_characters_do_not_hide_a_match():
    lint = linter(phrases=["验证码", "vip"])
    assert spans(lint, "验\u200b证码") == ["验\u200b证码"]
    assert spans(lint, "ＶＩＰ会员") == ["ＶＩＰ"]


def test_numbers_in_phrases_match_whole_numbers_only():
    lint = Linter([parse_rule({"id": "c", "category": "complaint_risk", "scope": "incoming", "level": "warning",
                               "message": "m", "phrases": ["12345"]}, "test")])
    assert [f.rule for f in lint.lint("我要打12345投诉", "incoming")] == ["c"]
    assert lint.lint("订单 E2023112700012345", "incoming") == []


def test_matches_of_one_rule_that_touch_are_one_finding_with_the_specific_wording():
    lint = Linter([parse_rule({"id": "a", "category": "absolutist", "level": "warning", "message": "m",
                               "rewrite": "clause", "phrases": ["绝对", "不可能"], "swap": {"不可能": ["暂未发现"]}},
                              "test")])
    [finding] = lint.lint("您好，这绝对不可能")
    assert ("您好，这绝对不可能"[finding.start:finding.end], finding.fix_text) == ("绝对不可能", "暂未发现")


def test_a_clause_rewrite_replaces_the_clause_and_fits_case_and_punctuation():
    lint = Linter([parse_rule({"id": "b", "category": "blame_shifting", "level": "warning", "message": "m",
                               "rewrite": "clause", "phrases": ["not our problem", "不归我们管"],
                               "suggest": ["我来帮您联系负责的同事处理", "let me get this sorted for you."]}, "test")])

    def fixed(text):
        [finding] = lint.lint(text)
        return apply_fix(text, finding)

    assert fixed("亲，这个不归我们管，您问问快递") == "亲，我来帮您联系负责的同事处理，您问问快递"
    assert fixed("Sorry, that's not our problem. Bye") == "Sorry, let me get this sorted for you. Bye"
    assert fixed("That's not our problem") == "Let me get this sorted for you."
    assert fixed("Is that not our problem?") == "Let me get this sorted for you.", "a question becomes a statement"
    assert fixed("价格¥13.50，这个不归我们管") == "价格¥13.50，我来帮您联系负责的同事处理", \
        "a decimal point ends no clause"


def test_a_wording_rewrite_replaces_only_the_words_as_team_rules_did():
    lint = Linter([parse_rule({"id": "t", "category": "cold", "level": "warning", "message": "m",
                               "swap": {"亲": ["您"]}}, "test")])
    [finding] = lint.lint("亲爱的顾客")
    assert apply_fix("亲爱的顾客", finding) == "您爱的顾客"


@pytest.mark.parametrize("entry, problem", [
    ({"sequences": ["(a|)"]}, "an empty alternative"),
    ({"sequences": ["(a|b)?"]}, "at least one word that is not optional"),
    ({"sequences": ["a ~99 b"]}, "with N from 1 to 40"),
    ({"sequences": ["~3 a"]}, "~N stands between two steps"),
    ({"near": [{"first": ["a"], "within": 5}]}, "near.second"),
    ({"near": [{"first": ["a"], "second": ["b"], "within": 500}]}, "from 0 to 60"),
    ({"rewrite": "sentence", "phrases": ["a"]}, "rewrite 'sentence' is not one of"),
    ({"unless_negated": "yes", "phrases": ["a"]}, "unless_negated is true or false"),
    ({"phrases": ["a"], "examples": {"fix": ["a"]}}, "examples.fix is a list of"),
])
def test_a_rule_that_cannot_work_says_why(entry, problem):
    with pytest.raises(ValueError, match=problem):
        parse_rule({"id": "t", "category": "cold", "level": "warning", "message": "m"} | entry, "test")


def test_a_broken_sequence_in_a_team_file_names_file_line_and_rule_and_the_rest_still_load(tmp_path):
    (tmp_path / "team.yaml").write_text(
        "rules:\n"
        "  - id: ok\n    category: cold\n    level: warning\n    message: m\n    sequences: ['(亲|亲亲) 您好']\n"
        "  - id: broken\n    category: cold\n    level: warning\n    message: m\n    sequences: ['(a|b']\n",
        encoding="utf-8")
    rules = load_rules([tmp_path])
    assert [str(p) for p in rules.problems] == [f"{tmp_path / 'team.yaml'}:7: rule broken: sequence '(a|b': cannot "
                                                "read it from character 1"]
    assert [f.rule for f in Linter(rules).lint("亲亲您好")] == ["ok"]


@pytest.mark.parametrize("rule_id, scope, text, fixed", FIXES)
def test_every_rules_suggestion_gives_the_text_its_examples_show(rule_id, scope, text, fixed):
    [finding] = [f for f in BUNDLED.lint(text, scope) if f.rule == rule_id]
    assert apply_fix(text, finding) == fixed
    assert rule_id not in [f.rule for f in BUNDLED.lint(fixed, scope)], "the suggestion itself passes the rule"


def test_every_bundled_rule_that_suggests_shows_its_fix():
    for rule in load_rules().rules.values():
        if rule.scope == "outgoing" and (rule.swap or rule.suggest or rule.detector):
            assert rule.fix_examples, f"{rule.id} suggests wording but shows no text after applying it"


@pytest.mark.parametrize("text, categories", [
    ("您把收到的验证码123456发我一下", {"privacy"}),
    ("That's not our problem, it's the tech team's fault.", {"blame_shifting"}),
    ("You're being too sensitive.", {"denying_feelings"}),
    ("不可能，这不归我们管，你自己看，我也没办法", {"absolutist", "blame_shifting", "cold", "negative"}),
])
def test_the_reported_messages_are_caught(text, categories):
    assert {f.category for f in BUNDLED.lint(text)} >= categories


def test_the_reported_suggestion_reads_as_a_sentence():
    [finding] = BUNDLED.lint("这个不归我们管")
    assert apply_fix("这个不归我们管", finding) == "我来帮您联系负责的同事处理"


@pytest.mark.parametrize("text", ["再不处理我就打12315", "我要给差评", "我要找媒体曝光你们",
                                  "I'm filing a chargeback."])
def test_complaint_risk_is_marked_on_incoming_messages_apart_from_high_risk(text):
    assert {f.category for f in BUNDLED.lint(text, "incoming")} == {"complaint_risk"}
    assert BUNDLED.lint(text, "outgoing") == [] or "complaint_risk" not in {f.category for f in BUNDLED.lint(text)}


@pytest.mark.parametrize("text", [
    "验证码多少", "密码多少", "你的密码是啥", "您的验证码给一下", "验证码回我一下", "验证码私我", "请把验证码填在这里",
    "我需要您的验证码", "把您的PIN码告诉我", "卡背后的三位数发我", "您刚刚收到的六位数发给我", "请把yzm发我",
    "mima告诉我",
    "驗證碼發我", "验 证 码 发 我", "支付密码提供一下，姓名也要", "验证码发我订单号一起", "Send me the code.",
    "Drop the verification code in the chat.", "Can I have your password?", "Send me the password, address too.",
])
def test_credential_requests_in_the_wordings_a_hostile_tester_found_are_refused(text):
    assert "privacy" in {f.category for f in BUNDLED.lint(text) if f.level == "error"}, text


@pytest.mark.parametrize("text", [
    "验证码收不到的话，请告诉我您的手机型号", "修改密码后，请告诉我是否可以正常登录",
    "输入验证码后页面报错，麻烦截图给我看一下提示",
    "密码锁的型号发我看一下", "Please reset your password and let me know when it's done.",
    "Your password was changed successfully. Let me know if you need anything else.",
    "The PIN pad at the store was broken; please tell me which store it was.",
    "为保障资金安全，退款只会原路退回，不会要求您转账或提供银行卡密码", "What's the coupon code you used?",
])
def test_safe_messages_about_codes_and_passwords_are_not_refused(text):
    assert "privacy" not in {f.category for f in BUNDLED.lint(text)}, text


@pytest.mark.parametrize("text", ["你们这个价格真是跳楼价", "安眠药枕头有货吗", "我在天台上晾衣服时看到快递到了",
                                  "快递员把箱子砸了，里面东西碎了", "这款刀具带刀鞘吗"])
def test_shopping_talk_does_not_send_a_chat_to_the_safety_queue(text):
    assert "high_risk" not in {f.category for f in BUNDLED.lint(text, "incoming")}, text


@pytest.mark.parametrize("text", ["我不是想投诉，就是问一下快递到哪了", "请问投诉入口在哪里？我想表扬一下客服小王",
                                  "我在315路公交站附近", "地址是12345号楼", "I saw this on Facebook and loved it.",
                                  "My lawyer friend recommended your store."])
def test_neutral_customer_messages_are_not_complaint_risks(text):
    assert "complaint_risk" not in {f.category for f in BUNDLED.lint(text, "incoming")}, text


@pytest.mark.parametrize("text, fixed", [
    ("您太敏感了吧，别人都没问题", "非常理解您的心情，我们会认真排查这个问题"),
    ("That's not our problem, it's the tech team's fault.", "Let me get this sorted for you."),
])
def test_applying_every_suggestion_never_says_the_same_thing_twice(text, fixed):
    for _ in range(5):
        usable = [f for f in BUNDLED.lint(text) if f.has_fix]
        if not usable:
            break
        text = apply_fix(text, usable[0])
    assert text == fixed


@pytest.mark.parametrize("unit", ["不归我们管 ", "that is not our problem ", "send password order number ", "可能 ",
                                  "验证码发我订单号", "不要"])
def test_a_long_message_of_repeated_findings_is_checked_in_one_pass(unit):
    # Each finding walked to its clause's edges and each near pair scanned every object: 32 KiB of 不归我们管 took
    # 54 s. A subprocess with a timeout only ends a hung test; the assertion is about what comes back.
    import subprocess
    import sys

    from tests.package_under_test import OUTSIDE_TREE, package_env
    probe = ("import sys, json\n"
             "from quick_replies.lint_rules import load_rules\n"
             "from quick_replies.linter import Linter\n"
             "text = sys.argv[1] * (131072 // len(sys.argv[1]))\n"
             "print(json.dumps(sorted({f.rule for f in Linter(load_rules()).lint(text)})))")
    result = subprocess.run([sys.executable, "-c", probe, unit], capture_output=True, text=True, cwd=OUTSIDE_TREE,
                            env=package_env(), timeout=120, check=True)
    assert result.stdout.strip().startswith("["), result.stderr


def test_a_near_rule_with_nothing_to_pair_or_an_unknown_key_is_refused():
    with pytest.raises(ValueError, match="at least one wording"):
        parse_rule({"id": "t", "category": "cold", "level": "warning", "message": "m",
                    "near": [{"first": [], "second": [], "within": 5}]}, "test")
    with pytest.raises(ValueError, match="'distance' is not one of first, second"):
        parse_rule({"id": "t", "category": "cold", "level": "warning", "message": "m",
                    "near": [{"first": ["a"], "second": ["b"], "distance": 3}]}, "test")


def test_a_long_broken_sequence_is_named_not_quoted():
    with pytest.raises(ValueError, match=r"sequence \(5002 characters\): cannot read it"):
        parse_rule({"id": "t", "category": "cold", "level": "warning", "message": "m",
                    "sequences": ["(" + "a|" * 2500 + "b"]}, "test")


@pytest.mark.parametrize("text", ["验证码不会过期，发我一下", "验证码别删，发给我"])
def test_a_negation_in_another_clause_inside_a_pair_does_not_void_the_request(text):
    assert "privacy" in {f.category for f in BUNDLED.lint(text) if f.level == "error"}


def test_a_half_width_comma_between_chinese_characters_ends_a_clause():
    text = "这个不归我们管,你找快递吧"
    finding = next(f for f in BUNDLED.lint(text) if text[f.start:f.end] == "不归我们管")
    assert apply_fix(text, finding) == "我来帮您联系负责的同事处理,你找快递吧"


def test_a_question_mark_after_spaces_still_becomes_a_full_stop():
    [finding] = BUNDLED.lint("Is that not our problem ?")
    assert apply_fix("Is that not our problem ?", finding) == "Let me get this sorted for you."
