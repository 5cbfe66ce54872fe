"""`tracker rebuild` (views from the start of the log, with progress; `tracker replay` is its
former name, kept as an alias) and `tracker worker`."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from typing import Any

from tqdm import tqdm

from projections.rebuild import rebuild_together
from projections.registry import VIEWS
from projections.runner import ViewRunner
from service import logs
from service.bootstrap import bootstrap
from service.settings import Settings


def add_parsers(commands: Any) -> None:
    rebuild = commands.add_parser(
        "rebuild", aliases=["replay"], help="rebuild views from the start of the log"
    )
    rebuild.add_argument(
        "--view",
        choices=sorted(VIEWS),
        action="append",
        help="a view to rebuild (repeatable; default: all)",
    )
    rebuild.set_defaults(run=rebuild_views)
    worker = commands.add_parser(
        "worker", help="keep the views live outside the API process (scale-out)"
    )
    worker.set_defaults(run=run_worker)


def rebuild_views(settings: Settings, args: argparse.Namespace) -> int:
    names = args.view or sorted(VIEWS)
    container = bootstrap(settings)
    try:
        catalog = container.views.catalog
        generations = {name: catalog.begin_rebuild(name) for name in names}
        runner = ViewRunner(container.record, [VIEWS[n] for n in names], generations=generations)
        head = container.record.max_position()
        with tqdm(total=head, unit="ev", desc="rebuild", file=sys.stderr, disable=None) as bar:

            def progress(position: int) -> None:
                bar.total = max(bar.total or 0, container.record.max_position())
                bar.update(position - bar.n)

            rebuild_together(container.record, catalog, runner, progress)
        print(
            f"tracker rebuild: rebuilt {', '.join(names)} to position "
            f"{min(runner.positions().values(), default=0)}",
            file=sys.stderr,
        )
    finally:
        container.close()
    return 0


def run_worker(settings: Settings, args: argparse.Namespace) -> int:
    logs.configure(settings.log_format)
    container = bootstrap(settings)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    container.follow_log()
    print("tracker worker: following the log", file=sys.stderr, flush=True)
    try:
        stop.wait()
    finally:
        container.close()
    return 0
