"""`tracker export` (the log as JSONL) and `tracker import` (restore it, batched, re-runnable)."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import sys
import tempfile
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import IO, Any

from marshmallow import ValidationError
from tqdm import tqdm

from events.errors import DevelopmentRejected
from events.schemas.envelope import ImportedEventSchema
from service.bootstrap import Container, bootstrap
from service.commands.failures import CommandFailed
from service.problems import field_errors
from service.settings import Settings

MAX_REPORTED = 20


def add_parsers(commands: Any) -> None:
    export = commands.add_parser("export", help="write the whole log as JSONL, in position order")
    export.add_argument("--output", "-o", default="-", help="file to write (default: stdout)")
    export.set_defaults(run=export_log)
    restore = commands.add_parser("import", help="append the events of a JSONL export")
    restore.add_argument("file", help="a JSONL file from `tracker export` ('-' for stdin)")
    restore.add_argument("--batch-size", type=int, default=500, help="events per transaction")
    restore.add_argument("--if-empty", action="store_true", help="only if the store has no events")
    restore.set_defaults(run=import_log)


def export_log(settings: Settings, args: argparse.Namespace) -> int:
    container = bootstrap(settings)
    try:
        _write_export(container, args.output)
    except BrokenPipeError:  # `tracker export | head` closed the pipe: not an error
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    finally:
        container.close()
    return 0


def _write_export(container: Container, output: str) -> None:
    total = container.record.max_position()
    with (
        _open_output(output) as out,
        tqdm(total=total, unit="ev", desc="export", file=sys.stderr, disable=None) as bar,
    ):
        for event in container.record.export():
            out.write(json.dumps(event, ensure_ascii=False, separators=(",", ":")) + "\n")
            bar.n = event["position"]
            bar.update(0)


def import_log(settings: Settings, args: argparse.Namespace) -> int:
    """Checks every line first (nothing is written if any is bad), then appends in batches."""
    with _seekable_input(args.file) as source:
        total, problems = _check_lines(source)
        if problems:
            _report_problems(problems)
            return 1
        source.seek(0)
        container = bootstrap(settings)
        try:
            if args.if_empty and container.record.max_position() > 0:
                print("tracker import: the store already has events; skipped", file=sys.stderr)
                return 0
            added = _append_in_batches(container, source, total, max(1, args.batch_size))
        except _ImportStopped as stopped:
            _report_problems(stopped.problems)
            print(
                f"tracker import: stopped; {stopped.added} events imported before", file=sys.stderr
            )
            return 1
        finally:
            container.close()
    print(f"tracker import: {added} imported, {total - added} already held", file=sys.stderr)
    return 0


class _ImportStopped(Exception):
    def __init__(self, problems: list[str], added: int) -> None:
        super().__init__(problems)
        self.problems = problems
        self.added = added


def _append_in_batches(container: Container, source: IO[str], total: int, size: int) -> int:
    """Every batch must be recorded no earlier than the head of the log when the import
    began (events/importing.py), so that the log's recorded_at never goes back in time."""
    not_before = container.record.latest_recorded_at()
    added = 0
    batch: list[dict[str, Any]] = []
    numbers: list[int] = []
    with tqdm(total=total, unit="ev", desc="import", file=sys.stderr, disable=None) as bar:
        for number, line in _loaded_lines(source):
            batch.append(line)
            numbers.append(number)
            if len(batch) == size:
                added += _restore(container, batch, added, not_before, numbers)
                bar.update(len(batch))
                batch, numbers = [], []
        if batch:
            added += _restore(container, batch, added, not_before, numbers)
            bar.update(len(batch))
    return added


def _restore(
    container: Container,
    batch: list[dict[str, Any]],
    added: int,
    not_before: dt.datetime | None,
    numbers: list[int],
) -> int:
    """One batch; `numbers` are its lines' numbers in the file, for the problems."""
    try:
        return container.record.restore(batch, not_before=not_before, numbers=numbers)
    except DevelopmentRejected as rejected:
        problems = [f"{path}: {' '.join(m)}" for path, m in rejected.problems.items()]
        raise _ImportStopped(problems, added) from None


def _report_problems(problems: list[str]) -> None:
    for problem in problems[:MAX_REPORTED]:
        print(f"tracker import: {problem}", file=sys.stderr)
    if len(problems) > MAX_REPORTED:
        print(f"tracker import: ... and {len(problems) - MAX_REPORTED} more", file=sys.stderr)
    print("tracker import: nothing was imported", file=sys.stderr)


def _check_lines(source: IO[str]) -> tuple[int, list[str]]:
    """Counts the lines and lists every problem, with its line number."""
    schema = ImportedEventSchema()
    count, problems = 0, []
    for number, text in enumerate(source, start=1):
        if not text.strip():
            continue
        count += 1
        try:
            schema.load(json.loads(text))
        except json.JSONDecodeError as error:
            problems.append(f"line {number}: not JSON ({error.msg})")
        except ValidationError as error:
            problems += [
                f"line {number}: {e['field']}: {e['detail']}" for e in field_errors(error.messages)
            ]
    return count, problems


def _loaded_lines(source: IO[str]) -> Iterator[tuple[int, dict[str, Any]]]:
    """Each line with its number in the file."""
    schema = ImportedEventSchema()
    for number, text in enumerate(source, start=1):
        if text.strip():
            yield number, schema.load(json.loads(text))


@contextmanager
def _seekable_input(file: str) -> Iterator[IO[str]]:
    """The file, or standard input spooled to a temporary file so it can be read twice."""
    if file != "-":
        with _opened(file, "r", "the FILE of tracker import") as handle:
            yield handle
        return
    with tempfile.TemporaryFile("w+", encoding="utf-8") as spool:
        shutil.copyfileobj(sys.stdin, spool)
        spool.seek(0)
        yield spool


@contextmanager
def _open_output(file: str) -> Iterator[IO[str]]:
    if file == "-":
        yield sys.stdout
        sys.stdout.flush()
    else:
        with _opened(file, "w", "--output of tracker export") as handle:
            yield handle


@contextmanager
def _opened(file: str, mode: str, argument: str) -> Iterator[IO[str]]:
    """The file, or a one-line failure naming the argument that gave it."""
    with ExitStack() as stack:
        try:
            handle = stack.enter_context(Path(file).open(mode, encoding="utf-8"))
        except OSError as error:
            doing = "read" if mode == "r" else "write"
            raise CommandFailed(f"cannot {doing} {file}: {error.strerror}", argument, 2) from None
        yield handle
