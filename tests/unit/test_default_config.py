"""config/default.toml documents every setting with the same default the code uses."""

from __future__ import annotations

import tomllib
from dataclasses import fields
from pathlib import Path

import pytest

from service.settings import Settings, SettingsError, load_settings

CONFIG = Path(__file__).resolve().parents[2] / "config"


def test_default_toml_lists_every_setting_with_the_code_default():
    table = tomllib.loads((CONFIG / "default.toml").read_text())["tracker"]
    names = {f.name for f in fields(Settings)}
    assert set(table) == names
    loaded = load_settings(environ={}, config_file=CONFIG / "default.toml")
    assert loaded == Settings()


def test_the_production_example_loads():
    loaded = load_settings(environ={}, config_file=CONFIG / "production.example.toml")
    assert loaded.database_url.startswith("postgresql://")
    assert loaded.require_read_token is True


def test_a_list_setting_takes_a_json_list_as_the_toml_writes_it_or_comma_separated_items():
    for value in ('["10.0.0.0/8", "fd00::/8"]', "10.0.0.0/8, fd00::/8", "10.0.0.0/8,fd00::/8,"):
        loaded = load_settings(environ={"TRACKER_WEBHOOK_ALLOWED_NETWORKS": value})
        assert loaded.webhook_allowed_networks == ("10.0.0.0/8", "fd00::/8"), value
    loaded = load_settings(environ={"TRACKER_RETRY_SCHEDULE": '["1s", "2m"]'})
    assert loaded.retry_schedule == ("1s", "2m")
    assert load_settings(environ={"TRACKER_RETRY_SCHEDULE": "[]"}).retry_schedule == ()


@pytest.mark.parametrize(
    ("name", "value", "said"),
    [
        ("TRACKER_WEBHOOK_ALLOWED_NETWORKS", "garbage", "is not a network"),
        ("TRACKER_WEBHOOK_ALLOWED_NETWORKS", '["10.0.0.0/8"', "is not a JSON list"),
        ("TRACKER_WEBHOOK_ALLOWED_NETWORKS", "[1, 2]", "is not a list of strings"),
        ("TRACKER_WEBHOOK_ALLOWED_NETWORKS", '{"a": 1}', "is not a network"),
        ("TRACKER_RETRY_SCHEDULE", "5s,soon", "is not a duration"),
        ("TRACKER_PORT", "70000", "is not a port"),
        ("TRACKER_THREADS", "0", "is not 1 or more"),
        ("TRACKER_WEBHOOK_CIRCUIT_FAILURES", "0", "is not 1 or more"),
        ("TRACKER_WEBHOOK_RESERVE", "-1", "is not 0 or more"),
        ("TRACKER_WEBHOOK_PING_TIMEOUT", "0", "is not 0.1 or more"),
    ],
)
def test_a_bad_setting_is_a_settings_error_naming_it(name: str, value: str, said: str):
    with pytest.raises(SettingsError) as raised:
        load_settings(environ={name: value})
    assert str(raised.value).startswith(f"{name}: "), raised.value
    assert said in str(raised.value)
    assert "\n" not in str(raised.value)
