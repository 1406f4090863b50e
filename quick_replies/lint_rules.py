"""Forbidden-phrase rules: YAML files, Vale-like. The bundled set is quick_replies/rules/standard.yaml; a team's
rules in `<shared library>/rules/*.yaml` add to it and replace bundled rules of the same id.

A file holds `rules:`, a list of mappings:
  id          unique; a later file's rule with the same id replaces the earlier one
  category    absolutist | blame_shifting | denying_feelings | privacy | negative | cold | hedge |
              weak_apology | personal_data | high_risk | complaint_risk
  level       error (blocks sending) | warning (asks once) | suggestion
  scope       outgoing (what the agent sends; the default) | incoming (what customers write)
  message     shown with each finding
  phrases     matched anywhere, case-insensitively; an ASCII word or number matches whole (`must` is not in
              `mustard`, `12345` not in a longer number), Chinese anywhere. English words match
              every inflection and contraction (`that's` is `that is`, `problems` is `problem`), full-width
              letters match ASCII ones (quick_replies/lint_normalize.py)
  sequences   word sequences with alternatives, optional words and gaps, e.g.
              "(that is|it is) not (our|my) (problem|fault)", "这 (个|件事)? 不归 (我们|我)? 管"
              (quick_replies/lint_sequences.py)
  near        [{first: [...], second: [...], within: N}]: a wording of one list within N characters (default
              10, at most 60) of a wording of the other, in either order (验证码 ... 发我 / 告诉我 ... 密码), across
              clause marks too (验证码收到了吗？发给我). `unless_followed_by: [订单号, 地址]`: a pair that spans
              clauses does not count when its later word is followed, within 6 characters (12 for English), by
              one of these: the verb has another object (验证码已发送，请提供订单号). In one clause the request
              stands (支付密码提供一下，姓名也要), unless the word is a conjunction (let me know when, 是否)
  patterns    regular expressions in RE2 syntax, matched case-insensitively in linear time on the text as
              typed (no backreferences or lookaround: a pattern RE2 cannot compile is refused with its file,
              line and rule)
  detector    id_card | bank_card | mobile | email: a personal-data detector (quick_replies/pii.py)
  swap        {bad wording: [approved wording, ...]}; its keys are matched as phrases too
  suggest     approved wordings for any other match of the rule; the first in the clause's language is used
  rewrite     clause: a suggestion replaces the whole clause the match is in (quick_replies/lint_clauses.py);
              wording (the default, for team rules written before): only the matched words
  unless_negated  true: a match does not count with a negation ending at most 6 characters before it in its
              clause (请勿把验证码告诉任何人), or inside it before the next clause mark (验证码千万不要告诉别人); a
              fraud warning counts as one (如果有人冒充客服让您提供验证码). The words: quick_replies/lint_clauses.py
  exceptions  phrases inside which a match, or a near word, does not count (取件码, 密码锁)
  examples    {flag: [texts the rule must flag], pass: [texts it must not], fix: [{text: ..., fixed: ...}]
              (the text after ctrl+t applies the rule's suggestion)}: the test suite runs them
A broken file or rule of a team is reported with the file, line and rule id, and the other rules still load.
Rule files must be plain YAML (no anchors or aliases: quick_replies/rule_yaml.py) of at most MAX_RULE_FILE_BYTES. The
bundled rules are a compliance control: if their directory is missing or empty, or one of their files cannot be read,
`load_rules` raises RulesUnavailable rather than lint with fewer rules than the package ships.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

import re2
import yaml

from quick_replies.lint_normalize import normalize_wording
from quick_replies.lint_sequences import Sequence, compile_sequence
from quick_replies.rule_yaml import describe_yaml_error, entry_lines, load_yaml

BUNDLED_RULES = Path(__file__).parent / "rules"
LEVELS = ("error", "warning", "suggestion")
SCOPES = ("outgoing", "incoming")
DETECTORS = ("id_card", "bank_card", "mobile", "email")
CATEGORIES = ("absolutist", "blame_shifting", "denying_feelings", "privacy", "negative", "cold", "hedge",
              "weak_apology", "personal_data", "high_risk", "complaint_risk")
CACHE_FORMAT = "rules-2"  # 2: files with aliases are refused, so a cache written before may not be trusted
MAX_RULE_FILE_BYTES = 4 * 1024 * 1024  # 10,000 rules take about 2 MB
MAX_SHOWN = 40  # characters of a file's value quoted in an error
REWRITES = ("wording", "clause")
NEAR_KEYS = ("first", "second", "within", "unless_followed_by")
MAX_NEAR = 60  # characters: a `near` wider than this is no longer about one request


@dataclass(frozen=True)
class Near:
    first: tuple[str, ...]  # normalized wordings
    second: tuple[str, ...]
    within: int
    unless_followed_by: tuple[str, ...] = ()  # a pair whose later word has its own object: 请提供订单号


@dataclass(frozen=True)
class Rule:
    id: str
    category: str
    level: str
    message: str
    scope: str = "outgoing"
    phrases: tuple[str, ...] = ()
    patterns: tuple[re2._Regexp, ...] = ()  # RE2: a team's pattern cannot take exponential time
    detector: str = ""
    swap: dict[str, tuple[str, ...]] = field(default_factory=dict, compare=False)
    exceptions: tuple[str, ...] = ()
    flag_examples: tuple[str, ...] = ()
    pass_examples: tuple[str, ...] = ()
    source: str = ""  # file the rule came from
    sequences: tuple[Sequence, ...] = ()
    near: tuple[Near, ...] = ()
    suggest: tuple[str, ...] = ()
    rewrite: str = "wording"
    unless_negated: bool = False
    fix_examples: tuple[tuple[str, str], ...] = ()  # (text, the text after applying the suggestion)

    @property
    def normal_swap(self) -> dict[str, tuple[str, ...]]:
        """The swap map keyed by normalized wording, as phrases are matched."""
        cached = self.__dict__.get("_normal_swap")
        if cached is None:
            cached = {normalize_wording(bad): good for bad, good in self.swap.items()}
            object.__setattr__(self, "_normal_swap", cached)
        return cached


@dataclass(frozen=True)
class RuleProblem:
    path: Path
    rule_id: str
    message: str
    line: int | None = None

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else str(self.path)
        return f"{where}: rule {self.rule_id}: {self.message}" if self.rule_id else f"{where}: {self.message}"


@dataclass
class RuleSet:
    rules: dict[str, Rule] = field(default_factory=dict)
    problems: list[RuleProblem] = field(default_factory=list)


class RulesUnavailable(Exception):
    """The bundled rules cannot be loaded (an incomplete install, a damaged file): nothing may be linted."""


class RuleFileError(Exception):
    """A rule file as a whole cannot be used: unreadable, not YAML, or without a `rules:` list."""


def rule_files(directories: list[Path]) -> list[Path]:
    return [path for directory in directories if Path(directory).is_dir()
            for path in sorted(Path(directory).glob("*.yaml"))]


def load_rules(directories: list[Path] | None = None, cache_dir: Path | None = None) -> RuleSet:
    """The bundled rules, then each directory's *.yaml in turn. With `cache_dir`, each file's parsed form is
    kept there as JSON until the file changes (10,000 rules: ~0.3 s to parse, ~0.1 s to read back), as
    `agent-console send` loads the rules on every run. Raises RulesUnavailable if the bundled rules cannot
    be loaded; a team's broken file is only reported in `problems`."""
    found = load_bundled_rules(cache_dir)
    for path in rule_files(list(directories or [])):
        load_rule_file(path, found, cache_dir)
    return found


def load_bundled_rules(cache_dir: Path | None = None) -> RuleSet:
    def unavailable(why: str) -> RulesUnavailable:
        return RulesUnavailable(f"the bundled phrase rules cannot be loaded: {why}; reinstall agent-console")

    if not BUNDLED_RULES.is_dir():
        raise unavailable(f"{BUNDLED_RULES} is missing or not a directory")
    paths = rule_files([BUNDLED_RULES])
    if not paths:
        raise unavailable(f"{BUNDLED_RULES} holds no rule file (*.yaml)")
    found = RuleSet()
    for path in paths:
        try:
            entries = read_rule_entries(path, cache_dir)
        except RuleFileError as error:
            raise unavailable(f"{path}: {error}") from error
        add_rules(path, entries, found)
    if not found.rules:
        raise unavailable(f"no rule in {BUNDLED_RULES} could be parsed ({'; '.join(map(str, found.problems))})")
    return found


def load_rule_file(path: Path, into: RuleSet, cache_dir: Path | None = None) -> None:
    try:
        entries = read_rule_entries(path, cache_dir)
    except RuleFileError as error:
        into.problems.append(RuleProblem(path, "", str(error)))
        return
    add_rules(path, entries, into)


def read_rule_entries(path: Path, cache_dir: Path | None) -> list:
    try:
        size = path.stat().st_size
        if size > MAX_RULE_FILE_BYTES:
            raise RuleFileError(f"is {size:,} bytes, more than the {MAX_RULE_FILE_BYTES:,} a rule file may hold")
        document = read_rule_document(path, cache_dir)
    except yaml.YAMLError as error:
        raise RuleFileError(f"cannot be read: {describe_yaml_error(error)}") from error
    except UnicodeDecodeError as error:
        raise RuleFileError(f"cannot be read: not UTF-8 (byte {error.start})") from error
    except OSError as error:
        raise RuleFileError(f"cannot be read: {error.strerror or 'input/output error'}") from error
    except (ValueError, OverflowError) as error:  # a scalar PyYAML resolves but cannot build: 2020-13-45
        raise RuleFileError("cannot be read: a value cannot be built (a date that does not exist?)") from error
    entries = document.get("rules") if isinstance(document, dict) else None
    if not isinstance(entries, list):
        raise RuleFileError("expected a top-level `rules:` list")
    return entries


def add_rules(path: Path, entries: list, into: RuleSet) -> None:
    broken: list[RuleProblem] = []
    for number, entry in enumerate(entries, start=1):
        rule_id = entry.get("id") if isinstance(entry, dict) else None
        shown_id = rule_id if _showable(rule_id) else f"#{number}"
        try:
            rule = parse_rule(entry, str(path))
        except (ValueError, TypeError) as error:
            broken.append(RuleProblem(path, shown_id, str(error), number))  # line: the entry's number for now
            continue
        into.rules[rule.id] = rule
    if broken:
        lines = _entry_lines(path)  # only on a problem: a second parse of a large file takes a while
        into.problems.extend(RuleProblem(p.path, p.rule_id, p.message, lines.get(p.line)) for p in broken)


def _entry_lines(path: Path) -> dict[int, int]:
    try:
        return dict(enumerate(entry_lines(path.read_text(encoding="utf-8")), start=1))
    except (OSError, ValueError, yaml.YAMLError):
        return {}


def read_rule_document(path: Path, cache_dir: Path | None):
    if cache_dir is None:
        return load_yaml(path.read_text(encoding="utf-8"))
    stat = path.stat()
    stamp = f"{CACHE_FORMAT}|{stat.st_mtime_ns}|{stat.st_size}"
    cached = Path(cache_dir) / f"rules-{hashlib.blake2b(str(path.resolve()).encode(), digest_size=12).hexdigest()}.json"
    try:
        stored = json.loads(cached.read_text(encoding="utf-8"))
        if stored.get("stamp") == stamp:
            return stored["document"]
    except (OSError, ValueError, AttributeError, KeyError):
        pass  # missing, stale or damaged: parse the YAML
    document = load_yaml(path.read_text(encoding="utf-8"))
    try:
        cached.parent.mkdir(parents=True, exist_ok=True)
        temporary = cached.with_suffix(f".{os.getpid()}.tmp")
        temporary.write_text(json.dumps({"stamp": stamp, "document": document}, ensure_ascii=False), encoding="utf-8")
        os.replace(temporary, cached)
    except (OSError, TypeError, ValueError):
        pass  # not JSON-shaped (dates, ...) or not writable: parse the YAML next time too
    return document


def parse_rule(entry, source: str) -> Rule:
    if not isinstance(entry, dict):
        raise ValueError("a rule is a mapping")
    rule_id = _text(entry, "id")
    level = entry.get("level", "warning")
    scope = entry.get("scope", "outgoing")
    category = _text(entry, "category")
    detector = str(entry.get("detector", ""))
    if level not in LEVELS:
        raise ValueError(f"level {_shown(level)} is not one of {', '.join(LEVELS)}")
    if scope not in SCOPES:
        raise ValueError(f"scope {_shown(scope)} is not one of {', '.join(SCOPES)}")
    if category not in CATEGORIES:
        raise ValueError(f"category {_shown(category)} is not one of {', '.join(CATEGORIES)}")
    if detector and detector not in DETECTORS:
        raise ValueError(f"detector {_shown(detector)} is not one of {', '.join(DETECTORS)}")
    swap = entry.get("swap") or {}
    if not isinstance(swap, dict):
        raise ValueError("swap maps a wording to its approved replacements")
    swaps = {str(bad): tuple(_strings(good if isinstance(good, list) else [good], "swap"))
             for bad, good in swap.items()}
    phrases = tuple(dict.fromkeys([*_strings(entry.get("phrases", []), "phrases"), *swaps]))
    patterns = tuple(compile_pattern(p, n) for n, p in enumerate(_strings(entry.get("patterns", []), "patterns"), 1))
    sequences = tuple(compile_sequence(text) for text in _strings(entry.get("sequences", []), "sequences"))
    near = tuple(_near(spec) for spec in _list_of(entry.get("near", []), "near"))
    if not (phrases or patterns or detector or sequences or near):
        raise ValueError("needs phrases, sequences, near, patterns, swap or a detector")
    rewrite = entry.get("rewrite", "wording")
    if rewrite not in REWRITES:
        raise ValueError(f"rewrite {_shown(rewrite)} is not one of {', '.join(REWRITES)}")
    unless_negated = entry.get("unless_negated", False)
    if not isinstance(unless_negated, bool):
        raise ValueError("unless_negated is true or false")
    examples = entry.get("examples") or {}
    if not isinstance(examples, dict):
        raise ValueError("examples maps flag and pass to lists of texts")
    return Rule(
        id=rule_id, category=category, level=level, message=_text(entry, "message"), scope=scope,
        phrases=phrases, patterns=patterns, detector=detector, swap=swaps,
        exceptions=tuple(_strings(entry.get("exceptions", []), "exceptions")),
        flag_examples=tuple(_strings(examples.get("flag", []), "examples.flag")),
        pass_examples=tuple(_strings(examples.get("pass", []), "examples.pass")),
        source=source, sequences=sequences, near=near,
        suggest=tuple(_strings(entry.get("suggest", []), "suggest")), rewrite=rewrite, unless_negated=unless_negated,
        fix_examples=tuple(_fix_example(item) for item in _list_of(examples.get("fix", []), "examples.fix")),
    )


def _near(spec) -> Near:
    if not isinstance(spec, dict):
        raise ValueError("each `near` is a mapping of first, second and within")
    unknown = sorted(str(key) for key in spec if key not in NEAR_KEYS)
    if unknown:
        raise ValueError(f"near: {_shown(unknown[0])} is not one of {', '.join(NEAR_KEYS)}")
    within = spec.get("within", 10)
    if not isinstance(within, int) or isinstance(within, bool) or not 0 <= within <= MAX_NEAR:
        raise ValueError(f"near: within is a number of characters from 0 to {MAX_NEAR}")
    first, second = (tuple(dict.fromkeys(normalize_wording(w) for w in _strings(spec.get(key), f"near.{key}")))
                     for key in ("first", "second"))
    if not first or not second:
        raise ValueError("near: first and second each need at least one wording")
    if not all(first) or not all(second):
        raise ValueError("near: a wording is empty once spaces and invisible characters are dropped")
    objects = tuple(normalize_wording(wording) for wording in
                    _strings(spec.get("unless_followed_by", []), "near.unless_followed_by"))
    return Near(first, second, within, tuple(filter(None, objects)))


def _fix_example(item) -> tuple[str, str]:
    if not isinstance(item, dict) or not all(isinstance(item.get(key), str) for key in ("text", "fixed")):
        raise ValueError("examples.fix is a list of {text: ..., fixed: ...}")
    return item["text"], item["fixed"]


def _list_of(values, key: str) -> list:
    if not isinstance(values, list):
        raise ValueError(f"`{key}` is a list")
    return values


def compile_pattern(pattern: str, number: int = 1):
    """RE2, case-insensitive: matching takes time linear in the text whatever the pattern."""
    options = re2.Options()
    options.case_sensitive = False
    options.log_errors = False  # RE2 would write to stderr, under the console's screen
    try:
        return re2.compile(pattern, options)
    except re2.error as error:
        why = error.args[0].decode("utf-8", "replace") if error.args and isinstance(error.args[0], bytes) else ""
        why = why.split(":")[0] or "not valid"
        raise ValueError(f"pattern {number} cannot be used ({why}; RE2 syntax: no backreferences or "
                         "lookaround)") from None


def _showable(value) -> bool:
    return isinstance(value, str) and 0 < len(value) <= MAX_SHOWN and value.isprintable()


def _shown(value) -> str:
    """A value from a file, for an error: quoted if short printable text, else only its kind."""
    if _showable(value):
        return f"'{value}'"
    if isinstance(value, str):
        return f"(a text of {len(value)} characters)"
    return f"(a {type(value).__name__})"


def _text(entry: dict, key: str) -> str:
    value = entry.get(key)
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"`{key}` is required text")
    return value


def _strings(values, key: str) -> list[str]:
    if not isinstance(values, list) or not all(isinstance(v, str) and v for v in values):
        raise ValueError(f"`{key}` is a list of non-empty texts")
    return values
