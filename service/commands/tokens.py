"""`tracker token create --scope read|write|admin`, `tracker token list`, `tracker token
revoke ID`."""

from __future__ import annotations

import argparse
import sys
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
    listing = actions.add_parser("list", help="list tokens: id, scope, label, made, last used")
    listing.set_defaults(run=list_tokens)
    revoke = actions.add_parser("revoke", help="revoke a token (its page sessions end)")
    revoke.add_argument("id", help="the token's id, as `tracker token list` shows it")
    revoke.set_defaults(run=revoke_token)


def create_token(settings: Settings, args: argparse.Namespace) -> int:
    container = bootstrap(settings)
    try:
        print(container.auth.create(Scope.parse(args.scope), args.label))
    finally:
        container.close()
    return 0


def list_tokens(settings: Settings, args: argparse.Namespace) -> int:
    container = bootstrap(settings)
    try:
        for row in container.auth.tokens.listed():
            used = row.last_used_at or "never used"
            print(f"{row.id}\t{row.scopes}\t{row.label or '-'}\t{row.created_at}\t{used}")
    finally:
        container.close()
    return 0


def revoke_token(settings: Settings, args: argparse.Namespace) -> int:
    container = bootstrap(settings)
    try:
        if not container.auth.revoke(args.id):
            print(f"tracker: no token {args.id!r} (see `tracker token list`)", file=sys.stderr)
            return 1
        print(f"revoked {args.id}")
    finally:
        container.close()
    return 0
