"""The `tracker` command: serve, import, export, token, rebuild (or replay), worker."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from service.commands import exchange, serving, tokens, views
from service.commands.failures import explained
from service.settings import Settings, load_settings


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
    """Runs a command; a failure it knows (a bad setting, a busy port, an unreachable store,
    a missing file) is one line naming what to change, and exit code 2 or 1."""
    parser = build_parser()
    args = parser.parse_args(argv)
    settings: Settings | None = None
    try:
        settings = load_settings(config_file=args.config)
        return int(args.run(settings, args) or 0)
    except Exception as error:
        failure = explained(error, settings)
        if failure is None:
            raise
        print(f"tracker: {failure}", file=sys.stderr, flush=True)
        return failure.code


if __name__ == "__main__":
    sys.exit(main())
