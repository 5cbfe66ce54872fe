"""config/default.toml documents every setting with the same default the code uses."""

from __future__ import annotations

import tomllib
from dataclasses import fields
from pathlib import Path

from service.settings import Settings, load_settings

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
