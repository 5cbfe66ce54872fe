"""`make bench`: every benchmark on SQLite (and PostgreSQL when reachable), one table.

BENCH_SCALE=large runs at 1,000,000 events; BENCH_EVENTS=n sets the size directly;
BENCH_ONLY=append,rebuild,webhooks,reads,search,pages,streams,import picks some of them
(`replay`, rebuild's former name, still works); BENCH_STORES=sqlite (or postgres) picks the
stores; BENCH_APPEND_SERVERS=waitress,granian,gunicorn adds the append figures of the API
alone on each of those servers. Each figure is also printed as soon as it is measured, so a
long run that is stopped keeps what it measured."""

from __future__ import annotations

import os
import sys

from bench import append, importing, pages, reads, rebuild, search, streams, webhooks
from bench.report import Figure, print_table, write_json
from bench.stores import Store, filled_store, kinds

SIZES = {"default": 10_000, "large": 1_000_000}
APPENDS = {"default": 500, "large": 5_000}  # saved by the library for the baseline
APPEND_SECONDS = {"default": 4, "large": 15}  # each wrk run against the server
BENCHMARKS = ("append", "rebuild", "webhooks", "reads", "search", "pages", "streams", "import")
FORMER_NAMES = {"replay": "rebuild"}  # BENCH_ONLY still takes them


def main() -> int:
    scale = os.environ.get("BENCH_SCALE", "default")
    events = int(os.environ.get("BENCH_EVENTS", SIZES.get(scale, SIZES["default"])))
    only = [b for b in os.environ.get("BENCH_ONLY", "").split(",") if b]
    chosen = [FORMER_NAMES.get(b, b) for b in only] or list(BENCHMARKS)
    stores = [s for s in os.environ.get("BENCH_STORES", "").split(",") if s]
    figures: list[Figure] = []

    def measured(new: list[Figure]) -> None:
        for figure in new:
            say(
                f"  {figure.name} [{figure.store}]: {figure.value:,.1f} {figure.unit}, "
                f"baseline {figure.baseline:,.1f} ({figure.verdict})"
            )
        figures.extend(new)

    for kind in [k for k in kinds() if not stores or k in stores]:
        if "append" in chosen:
            say(f"{kind}: appends with 1, 8 and 32 clients ...")
            measured(
                append.measure(
                    kind,
                    APPENDS.get(scale, APPENDS["default"]),
                    APPEND_SECONDS.get(scale, APPEND_SECONDS["default"]),
                    [s for s in os.environ.get("BENCH_APPEND_SERVERS", "").split(",") if s],
                )
            )
        if "rebuild" in chosen:
            say(f"{kind}: generating {events:,} events (or copying them) ...")
            with filled_store(kind, events) as store:
                measured(rebuild.measure(store.container, kind, events))
        if "webhooks" in chosen:
            say(f"{kind}: webhook latency and throughput ...")
            with Store.url(kind) as url:
                measured(webhooks.measure(url, kind))
            measured(webhooks.throughput(kind))
        if "streams" in chosen:
            say(f"{kind}: stream fan-out to {streams.STREAMS} open streams ...")
            measured(streams.measure(kind))
        if "import" in chosen:
            say(f"{kind}: tracker import of {events:,} events ...")
            measured(importing.measure(kind, events))
        if "reads" in chosen and kind == "sqlite":
            say(f"{kind}: reads over {events:,} events ...")
            measured(reads.measure(kind, events))
        if "search" in chosen and kind == "sqlite":
            say(f"{kind}: search over {events:,} events ...")
            measured(search.measure(kind, events))
        if "pages" in chosen and kind == "sqlite":
            say(f"{kind}: pages and pages of lists over {events:,} events ...")
            measured(pages.measure(kind, events))
    print_table(figures)
    print(f"\nwritten to {write_json(figures, scale)}")
    return 0


def say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


if __name__ == "__main__":
    sys.exit(main())
