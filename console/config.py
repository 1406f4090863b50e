"""Where settings come from: command line, then environment, then the config file, then defaults."""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import platformdirs

from local_cache.sla import DEFAULT_LIMITS, SlaPolicy

APP_NAME = "agent-console"
TOKEN_ENV = "AGENT_CONSOLE_TOKEN"
BACKEND_ENV = "AGENT_CONSOLE_BACKEND"
CONFIG_ENV = "AGENT_CONSOLE_CONFIG"
CONFIG_KEYS = {"backend", "token", "agent", "data_dir", "library", "alerts", "language", "sla", "keys"}
TABLE_KEYS = {"sla", "keys"}  # [sla] limits in seconds; [keys] action = "key[,key…]"
LANGUAGES = ("en", "zh")
DEMO_PROFILE = "demo"


class ConfigError(ValueError):
    pass


@dataclass(frozen=True)
class Settings:
    backend_url: str | None  # None: the embedded reference backend
    token: str | None
    profile: str
    data_dir: Path
    shared_library: Path | None = None  # the team's quick-reply directory, from config
    alerts: str = "both"  # a new chat or a message in a background chat: bell | notify | both | off
    language: str = "en"  # of the interface: en | zh
    sla: SlaPolicy = SlaPolicy()
    keys: dict[str, str] = field(default_factory=dict)  # action id -> keys, replacing its default keys

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

    def library_dirs(self) -> list[Path]:
        """Starter first, then the team's, then the agent's own: later entries override earlier ones by id."""
        from quick_replies.library import STARTER_DIR

        return [STARTER_DIR, *([self.shared_library] if self.shared_library else []), self.personal_library]

    def __repr__(self) -> str:  # never let the token reach a log or a traceback
        return f"Settings(backend_url={self.backend_url!r}, profile={self.profile!r}, data_dir={self.data_dir!r})"


def default_config_path() -> Path:
    return platformdirs.user_config_path(APP_NAME) / "config.toml"


def default_data_dir() -> Path:
    return platformdirs.user_data_path(APP_NAME)


def load_config(path: Path) -> dict:
    """The config file is optional; a present but malformed one is an error naming the file."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise ConfigError(f"{path}: {error}") from None
    unknown = set(data) - CONFIG_KEYS
    if unknown:
        raise ConfigError(
            f"{path}: unknown setting(s) {', '.join(sorted(unknown))}; known: {', '.join(sorted(CONFIG_KEYS))}"
        )
    for key, value in data.items():
        if key in TABLE_KEYS:
            if not isinstance(value, dict):
                raise ConfigError(f"{path}: {key} must be a table ([{key}])")
        elif not isinstance(value, str):
            raise ConfigError(f"{path}: {key} must be a string")
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
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
            raise ConfigError(f"{path}: [sla] {name} must be a positive number of seconds")
    return SlaPolicy(
        first_response=float(table.get("first_response", 30)),
        limits={name: float(table.get(name, default)) for name, default in DEFAULT_LIMITS.items()},
    )


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
        alerts=alerts,
        language=language,
        sla=sla_policy(config.get("sla", {}), config_path),
        keys=dict(config.get("keys", {})),
    )
