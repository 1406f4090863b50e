"""Where settings come from: command line, then environment, then the config file, then defaults."""

from __future__ import annotations

import math
import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import platformdirs

from local_cache.chatwoot_address import NotAChatwootUrl, chatwoot_account
from local_cache.outbox import MAX_MESSAGE_CHARS
from local_cache.sla import DEFAULT_LIMITS, SlaPolicy
from quick_replies.fuzzy_pinyin import PAIRS as FUZZY_PAIRS
from widgets.i18n import LANGUAGES  # the interface's languages: config offers what the widgets can show

APP_NAME = "agent-console"
TOKEN_ENV = "AGENT_CONSOLE_TOKEN"
BACKEND_ENV = "AGENT_CONSOLE_BACKEND"
CONFIG_ENV = "AGENT_CONSOLE_CONFIG"
CONFIG_KEYS = {"backend", "token", "agent", "data_dir", "library", "starter", "alerts", "language", "sla", "keys",
               "fuzzy_pinyin", "satisfaction_invite", "idle_close_minutes"}
# [sla] limits in seconds; [keys] action = "key[,key…]"; [fuzzy_pinyin] pair = true | false
TABLE_KEYS = {"sla", "keys", "fuzzy_pinyin"}
BOOLEAN_KEYS = {"starter"}  # starter = false: no bundled starter library (a team with its own)
# idle_close_minutes: a chat quiet this long after the agent's reply is offered for closing (0: never)
NUMBER_KEYS = {"idle_close_minutes"}
MAX_IDLE_MINUTES = 24 * 60
DEMO_PROFILE = "demo"
MAX_CONFIG_BYTES = 1024 * 1024  # a config file is a few lines; more is not one
MAX_LIMIT_SECONDS = 30 * 24 * 3600  # an SLA limit beyond 30 days is a typo (and inf broke the chat list)


FUZZY_PAIRS_ON = frozenset(FUZZY_PAIRS)


class ConfigError(ValueError):
    pass


@dataclass(frozen=True)
class Settings:
    backend_url: str | None  # None: the embedded reference backend
    token: str | None
    profile: str
    data_dir: Path
    shared_library: Path | None = None  # the team's quick-reply directory, from config
    starter: bool = True  # whether the bundled starter library is read, below the team's
    fuzzy_pinyin: frozenset[str] = FUZZY_PAIRS_ON  # the fuzzy pinyin pairs switched on
    alerts: str = "both"  # a new chat or a message in a background chat: bell | notify | both | off
    language: str = "en"  # of the interface: en | zh
    sla: SlaPolicy = SlaPolicy()
    keys: dict[str, str] = field(default_factory=dict)  # action id -> keys, replacing its default keys
    satisfaction_invite: str = ""  # sent to the customer as a chat is closed; empty: none (the default)
    idle_close_minutes: float = 30.0
    warnings: tuple[str, ...] = ()  # said once on stderr before the command runs

    @property
    def personal_library(self) -> Path:
        return self.data_dir / "library"

    @property
    def search_cache(self) -> Path:
        """Where the quick-reply search index is kept between starts."""
        return self.data_dir / "cache"

    def rule_dirs(self) -> list[Path]:
        """The team's phrase rules, which extend and override the bundled ones."""
        return [self.shared_library / "rules"] if self.shared_library else []

    @property
    def chatwoot_replies(self) -> Path | None:
        """Where a Chatwoot account's canned responses are kept as a library layer (local_cache/chatwoot_canned)."""
        account = chatwoot_account(self.backend_url) if self.backend_url else None
        if account is None:
            return None
        # A folder name on every platform (no ':' on Windows): host, port and account, with anything else as '_'.
        return self.data_dir / "chatwoot-canned" / re.sub(r"[^A-Za-z0-9._-]", "_",
                                                          account.server_id.removeprefix("chatwoot:"))

    def library_dirs(self) -> list[Path]:
        """Starter first (unless switched off), then Chatwoot's canned responses (on Chatwoot), the team's, then
        the agent's own: later entries override earlier ones by id and by shortcut."""
        from quick_replies.library import STARTER_DIR

        return [*([STARTER_DIR] if self.starter else []), *([self.chatwoot_replies] if self.chatwoot_replies else []),
                *([self.shared_library] if self.shared_library else []), self.personal_library]

    def __repr__(self) -> str:  # never let the token reach a log or a traceback
        return f"Settings(backend_url={self.backend_url!r}, profile={self.profile!r}, data_dir={self.data_dir!r})"


def default_config_path() -> Path:
    return platformdirs.user_config_path(APP_NAME) / "config.toml"


def default_data_dir() -> Path:
    return platformdirs.user_data_path(APP_NAME)


def token_exposure(path: Path, config: dict) -> str | None:
    """A token in a file other users can read is a token they can use: say so (ssh refuses such keys)."""
    if os.name == "nt":  # Windows reports every file as 0o666: who may read it is in its ACL, not the mode bits
        return None
    try:
        others_may_read = "token" in config and path.stat().st_mode & 0o077
    except OSError:
        return None
    if others_may_read:
        return f"{path} holds a token and other users can read it; chmod 600 {path}"
    return None


def load_config(path: Path) -> dict:
    """The config file is optional; a present but malformed one is an error naming the file."""
    try:
        if path.stat().st_size > MAX_CONFIG_BYTES:
            raise ConfigError(f"{path}: larger than {MAX_CONFIG_BYTES:,} bytes: not a config file")
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except OSError as error:
        raise ConfigError(f"{path}: cannot be read: {error.strerror or 'input/output error'}") from None
    except UnicodeDecodeError as error:
        raise ConfigError(f"{path}: not UTF-8 (byte {error.start})") from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path}: {error}") from None  # tomllib says where, never quoting the file
    except RecursionError:
        raise ConfigError(f"{path}: values nested too deeply to be a config file") from None
    unknown = set(data) - CONFIG_KEYS
    if unknown:
        raise ConfigError(
            f"{path}: unknown setting(s) {', '.join(sorted(unknown))}; known: {', '.join(sorted(CONFIG_KEYS))}"
        )
    for key, value in data.items():
        if key in TABLE_KEYS:
            if not isinstance(value, dict):
                raise ConfigError(f"{path}: {key} must be a table ([{key}])")
        elif key in BOOLEAN_KEYS:
            if not isinstance(value, bool):
                raise ConfigError(f"{path}: {key} must be true or false")
        elif key in NUMBER_KEYS:
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= MAX_IDLE_MINUTES:
                raise ConfigError(f"{path}: {key} must be a number of minutes from 0 (never) to {MAX_IDLE_MINUTES}")
        elif not isinstance(value, str):
            raise ConfigError(f"{path}: {key} must be a string")
        elif "\x00" in value:
            raise ConfigError(f"{path}: {key} holds a NUL character")
    for action, keys in data.get("keys", {}).items():
        if not isinstance(keys, str) or not keys.strip():
            raise ConfigError(f"{path}: [keys] {action} must be a key name such as \"f6\" or \"ctrl+o,f6\"")
    return data


def sla_policy(table: dict, path: Path) -> SlaPolicy:
    """[sla] first_response, urgent, important, normal: seconds; anything left out keeps its default."""
    known = {"first_response", *DEFAULT_LIMITS}
    for name, value in table.items():
        if name not in known:
            raise ConfigError(f"{path}: [sla] {name} is not a limit; known: {', '.join(sorted(known))}")
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value <= 0:
            raise ConfigError(f"{path}: [sla] {name} must be a positive number of seconds")
        if value > MAX_LIMIT_SECONDS:
            raise ConfigError(f"{path}: [sla] {name} must be at most {MAX_LIMIT_SECONDS} seconds (30 days)")
    return SlaPolicy(
        first_response=float(table.get("first_response", 30)),
        limits={name: float(table.get(name, default)) for name, default in DEFAULT_LIMITS.items()},
    )


def fuzzy_pinyin_pairs(table: dict, path: Path) -> frozenset[str]:
    """[fuzzy_pinyin] "s/sh" = false, ...: the pairs switched on; anything left out stays on."""
    for name, value in table.items():
        if name not in FUZZY_PAIRS:
            raise ConfigError(f"{path}: [fuzzy_pinyin] {name[:40]!r} is not a pair; known: {', '.join(FUZZY_PAIRS)}")
        if not isinstance(value, bool):
            raise ConfigError(f"{path}: [fuzzy_pinyin] {name[:40]!r} must be true or false")
    return frozenset(name for name in FUZZY_PAIRS if table.get(name, True))


def check_backend_url(url: str, source: str) -> None:
    """A URL the HTTP client can use, or a one-line error naming where it came from (never quoting it: it may
    hold a password, or escape sequences)."""
    def refuse(why: str) -> ConfigError:
        return ConfigError(f"{source}: {why}; expected a URL such as http://127.0.0.1:8000 (the reference API) "
                           "or chatwoot+https://HOST/ACCOUNT_ID (a Chatwoot account)")

    if not url.isprintable() or any(c.isspace() for c in url):
        raise refuse("the URL holds spaces or control characters")
    try:
        account = chatwoot_account(url)
    except NotAChatwootUrl:
        raise refuse("a chatwoot+ URL needs the account id after the host") from None
    if account is not None:
        url = account.base_url
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise refuse("the URL is malformed or its port is not a number from 1 to 65535") from None
    if parts.scheme not in ("http", "https"):
        raise refuse("the URL must begin with http://, https:// or chatwoot+https://")
    if not parts.hostname:
        raise refuse("the URL has no host")
    if port == 0:
        raise refuse("port 0 is not a port to connect to")
    try:
        httpx.URL(url)  # what the client will make of it (an IDNA host it cannot encode, ...)
    except (httpx.InvalidURL, ValueError, UnicodeError):
        raise refuse("the URL is malformed") from None


def satisfaction_invite(text: str, path: Path) -> str:
    text = text.strip()
    if len(text) > MAX_MESSAGE_CHARS:
        raise ConfigError(f"{path}: satisfaction_invite is {len(text):,} characters; a message takes "
                          f"{MAX_MESSAGE_CHARS:,}")
    return text


def locale_language() -> str:
    """zh when the environment's locale is Chinese, else en."""
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(name)
        if value:
            return "zh" if value.lower().startswith("zh") else "en"
    return "en"


ALERT_CHOICES = ("bell", "notify", "both", "off")


def resolve_settings(
    *,
    backend: str | None,
    token: str | None,
    agent: str | None,
    data_dir: Path | None,
    config_path: Path | None,
) -> Settings:
    config_path = config_path or Path(os.environ.get(CONFIG_ENV) or default_config_path())
    config = load_config(config_path)
    backend_url = backend or os.environ.get(BACKEND_ENV) or config.get("backend")
    if backend_url:
        source = "--backend" if backend else f"${BACKEND_ENV}" if os.environ.get(BACKEND_ENV) else \
            f"backend in {config_path}"
        check_backend_url(backend_url, source)
    token = token or os.environ.get(TOKEN_ENV) or config.get("token")
    if backend_url and not token:
        raise ConfigError(
            f"--backend {backend_url} needs a token: --token, ${TOKEN_ENV}, or 'token' in {config_path}"
        )
    alerts = str(config.get("alerts", "both"))
    if alerts not in ALERT_CHOICES:
        raise ConfigError(f"alerts = {alerts!r} in {config_path}: use one of {', '.join(ALERT_CHOICES)}")
    language = str(config.get("language") or locale_language())
    if language not in LANGUAGES:
        raise ConfigError(f"language = {language!r} in {config_path}: use one of {', '.join(LANGUAGES)}")
    return Settings(
        backend_url=backend_url,
        token=token,
        profile=agent or config.get("agent") or (DEMO_PROFILE if not backend_url else "default"),
        data_dir=Path(data_dir or config.get("data_dir") or default_data_dir()).expanduser(),
        shared_library=Path(config["library"]).expanduser() if config.get("library") else None,
        starter=config.get("starter", True),
        fuzzy_pinyin=fuzzy_pinyin_pairs(config.get("fuzzy_pinyin", {}), config_path),
        alerts=alerts,
        language=language,
        sla=sla_policy(config.get("sla", {}), config_path),
        keys=dict(config.get("keys", {})),
        satisfaction_invite=satisfaction_invite(config.get("satisfaction_invite", ""), config_path),
        idle_close_minutes=float(config.get("idle_close_minutes", 30)),
        warnings=tuple(filter(None, [token_exposure(config_path, config)])),
    )
