"""`tracker token create --scope read|write|admin`."""

from __future__ import annotations

import argparse
from typing import Any

from service.auth import Scope
from service.bootstrap import bootstrap
from service.settings import Settings


def add_parser(commands: Any) -> None:
    parser = commands.add_parser("token", help="manage API tokens")
    actions = parser.add_subparsers(dest="action", required=True)
    create = actions.add_parser("create", help="create a token and print it once")
    create.add_argument("--scope", required=True, choices=["read", "write", "admin"])
    create.add_argument("--label", default="", help="what the token is for")
    create.set_defaults(run=create_token)


def create_token(settings: Settings, args: argparse.Namespace) -> int:
    container = bootstrap(settings)
    try:
        print(container.auth.create(Scope.parse(args.scope), args.label))
    finally:
        container.close()
    return 0
