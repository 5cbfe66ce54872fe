"""Settings: defaults here (mirrored in config/default.toml), a TOML file over them, then
TRACKER_* environment variables over both. Read once, by the composition root."""

from __future__ import annotations

import dataclasses
import ipaddress
import json
import os
import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from service.webhooks.retry import parse_schedule

DEFAULT_RETRY_SCHEDULE = ("0s", "5s", "5m", "30m", "2h", "5h", "10h", "14h", "20h", "24h")


CHOICES = {"log_format": ("text", "json")}
# The least value a number setting may take (the dispatcher's limits and timers).
_LEAST: dict[str, float] = {
    "webhook_concurrency": 1,
    "webhook_per_subscription": 1,
    "webhook_reserve": 0,
    "webhook_circuit_failures": 1,
    "webhook_circuit_seconds": 0.1,
    "webhook_ping_timeout": 0.1,
    "session_hours": 0.01,
    "streams_max": 0,
    "stream_heartbeat_seconds": 0.05,
}


class SettingsError(ValueError):
    """A setting has a value the service cannot use."""


@dataclass(frozen=True)
class Settings:
    database_url: str = ""
    data_dir: str = "./data"
    views_path: str = ""
    host: str = "127.0.0.1"
    port: int = 8000
    threads: int = 16
    api_token: str = ""
    require_read_token: bool = False
    cipher_key: str = ""
    max_body_bytes: int = 1_048_576
    max_batch_bytes: int = 16_777_216
    min_position_wait: float = 5.0
    max_waiting_reads: int = 2
    read_concurrency: int = 4
    ready_max_lag: int = 10_000
    store_timeout: float = 5.0
    webhook_allowed_networks: tuple[str, ...] = ()
    webhook_timeout: float = 15.0
    retry_schedule: tuple[str, ...] = DEFAULT_RETRY_SCHEDULE
    webhook_retry_after_cap: float = 3600.0
    webhook_disable_after: float = 432_000.0
    webhook_concurrency: int = 64
    webhook_per_subscription: int = 16
    webhook_reserve: int = 16
    webhook_circuit_failures: int = 5
    webhook_circuit_seconds: float = 30.0
    webhook_ping_timeout: float = 5.0
    webhook_lease_seconds: float = 60.0
    worker_id: str = ""
    streams_max: int = 100
    stream_heartbeat_seconds: float = 15.0
    log_format: str = "text"
    cors_origins: tuple[str, ...] = ()
    session_hours: float = 12.0
    extra_parties: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not 0 <= self.port <= 65535:
            raise SettingsError(f"TRACKER_PORT: {self.port} is not a port (0 to 65535)")
        if self.threads < 1:
            raise SettingsError(f"TRACKER_THREADS: {self.threads} is not 1 or more")
        for name, least in _LEAST.items():
            if getattr(self, name) < least:
                raise SettingsError(f"{_named(name)}: {getattr(self, name)} is not {least} or more")

    @property
    def data_path(self) -> Path:
        return Path(self.data_dir)

    @property
    def read_slots(self) -> int:
        """How many reads `tracker serve` runs at once: `read_concurrency`, and never more
        than half the request threads, so that the others are free to serve writes."""
        return max(1, min(self.read_concurrency, self.threads // 2))

    @property
    def waiting_reads_bound(self) -> int:
        """How many reads may wait for a position at once: `max_waiting_reads`, and never
        more than half the read slots, so that waiting reads never hold them all."""
        return max(0, min(self.max_waiting_reads, self.read_slots // 2))

    def replace(self, **changes: Any) -> Settings:
        return dataclasses.replace(self, **changes)


def load_settings(
    environ: Mapping[str, str] | None = None, config_file: str | Path | None = None
) -> Settings:
    """Defaults, then the file named by `config_file` or TRACKER_CONFIG, then TRACKER_* vars."""
    environ = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    path = config_file or environ.get("TRACKER_CONFIG")
    if path:
        values.update(_read_toml(Path(path)))
    for setting in fields(Settings):
        name = f"TRACKER_{setting.name.upper()}"
        if name in environ:
            values[setting.name] = environ[name]
    return Settings(**{k: _coerce(k, v) for k, v in values.items()})


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        document = tomllib.loads(path.read_text())
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise SettingsError(f"cannot read settings file {path}: {error}") from None
    table = document.get("tracker", document)
    known = {f.name for f in fields(Settings)}
    unknown = set(table) - known
    if unknown:
        raise SettingsError(f"unknown settings in {path}: {', '.join(sorted(unknown))}")
    return dict(table)


def _coerce(name: str, value: Any) -> Any:
    default = getattr(Settings(), name)
    if isinstance(default, tuple):
        return _to_list(name, value)
    try:
        if isinstance(default, bool):
            return _to_bool(value)
        if isinstance(default, int):
            return int(value)
        if isinstance(default, float):
            return float(value)
        if name in CHOICES and str(value) not in CHOICES[name]:
            raise ValueError(value)
        return str(value)
    except (TypeError, ValueError):
        wanted = (
            " or ".join(CHOICES[name]) if name in CHOICES else f"a valid {type(default).__name__}"
        )
        raise SettingsError(f"{_named(name)}: {value!r} is not {wanted}") from None


def _named(name: str) -> str:
    """A setting as its environment variable, the name an operator sets it by."""
    return f"TRACKER_{name.upper()}"


def _origin(item: str) -> str:
    """A browser origin: scheme, host and port if any, nothing after (no path, no slash)."""
    if not re.fullmatch(r"https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?", item):
        raise ValueError(item)
    return item


# What each item of a list setting must be, checked as the settings load: a bad item is then
# one line naming the setting, not a traceback from deep in the start.
_ITEM_CHECKS: dict[str, tuple[str, Callable[[str], object]]] = {
    "webhook_allowed_networks": (
        "a network such as 10.0.0.0/8",
        lambda item: ipaddress.ip_network(item, strict=False),
    ),
    "retry_schedule": ("a duration such as 5s, 5m or 2h", lambda item: parse_schedule([item])),
    "cors_origins": ("an origin such as https://app.example.org", _origin),
}


def _to_list(name: str, value: Any) -> tuple[str, ...]:
    """A list setting: a TOML list, or in an environment variable either a JSON list (as the
    TOML writes it, `["10.0.0.0/8"]`) or comma-separated items (`10.0.0.0/8,fd00::/8`)."""
    if isinstance(value, str) and value.strip().startswith("["):
        try:
            value = json.loads(value)
        except json.JSONDecodeError as error:
            raise SettingsError(
                f"{_named(name)}: {value!r} is not a JSON list ({error.msg}); "
                "give a JSON list or comma-separated items"
            ) from None
    if isinstance(value, str):
        value = value.split(",")
    if not isinstance(value, list | tuple) or not all(isinstance(i, str) for i in value):
        raise SettingsError(f"{_named(name)}: {value!r} is not a list of strings")
    items = tuple(item.strip() for item in value if item.strip())
    check = _ITEM_CHECKS.get(name)
    if check:
        wanted, parse = check
        for item in items:
            try:
                parse(item)
            except ValueError:
                raise SettingsError(f"{_named(name)}: {item!r} is not {wanted}") from None
    return items


def _to_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off", ""):
        return False
    raise ValueError(value)
