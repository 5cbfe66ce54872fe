"""The `tracker` command: serve, import, export, token, rebuild (or replay), worker."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from service.commands import exchange, serving, tokens, views
from service.settings import SettingsError, load_settings


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="tracker", description=__doc__)
    parser.add_argument("--config", help="a TOML settings file (default: TRACKER_CONFIG)")
    commands = parser.add_subparsers(dest="command", required=True)
    serving.add_parser(commands)
    exchange.add_parsers(commands)
    tokens.add_parser(commands)
    views.add_parsers(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        settings = load_settings(config_file=args.config)
    except SettingsError as error:
        print(f"tracker: {error}", file=sys.stderr)
        return 2
    return int(args.run(settings, args) or 0)


if __name__ == "__main__":
    sys.exit(main())
