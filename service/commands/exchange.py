"""`tracker export` (the log as JSONL) and `tracker import` (restore it, batched, re-runnable)."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import marshal
import multiprocessing
import os
import re
import shutil
import sys
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import IO, Any

import orjson
from marshmallow import ValidationError
from tqdm import tqdm

from events.errors import DevelopmentRejected
from events.schemas.envelope import ImportedEventSchema
from service.bootstrap import Container, bootstrap
from service.commands.failures import CommandFailed
from service.problems import field_errors
from service.settings import Settings

MAX_REPORTED = 20
CHECK_CHUNK = 2000  # lines a checking process takes at a time
# 19 digits in a row may be an integer past 64 bits, which orjson reads as a float.
_LONG_NUMBER = re.compile(r"[0-9]{19}")


def add_parsers(commands: Any) -> None:
    export = commands.add_parser("export", help="write the whole log as JSONL, in position order")
    export.add_argument("--output", "-o", default="-", help="file to write (default: stdout)")
    export.set_defaults(run=export_log)
    restore = commands.add_parser("import", help="append the events of a JSONL export")
    restore.add_argument("file", help="a JSONL file from `tracker export` ('-' for stdin)")
    restore.add_argument("--batch-size", type=int, default=5000, help="events per transaction")
    restore.add_argument("--if-empty", action="store_true", help="only if the store has no events")
    restore.add_argument(
        "--jobs",
        type=int,
        default=os.cpu_count() or 1,
        help="processes that check the lines (default: one per core)",
    )
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
    """Checks every line first (nothing is written if any is bad), keeping what it loaded in a
    spool, then appends the spooled lines in batches: each line is parsed and checked once."""
    with _seekable_input(args.file) as source, tempfile.TemporaryFile() as spool:
        total, problems = _check_lines(source, spool, max(1, args.jobs))
        if problems:
            _report_problems(problems)
            return 1
        spool.seek(0)
        container = bootstrap(settings)
        try:
            if args.if_empty and container.record.max_position() > 0:
                print("tracker import: the store already has events; skipped", file=sys.stderr)
                return 0
            added = _append_in_batches(container, spool, total, max(1, args.batch_size))
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


def _append_in_batches(container: Container, spool: IO[bytes], total: int, size: int) -> int:
    """Every batch must be recorded no earlier than the head of the log when the import
    began (events/importing.py), so that the log's recorded_at never goes back in time."""
    not_before = container.record.latest_recorded_at()
    added = 0
    batch: list[dict[str, Any]] = []
    numbers: list[int] = []
    with tqdm(total=total, unit="ev", desc="import", file=sys.stderr, disable=None) as bar:
        for number, line in _spooled_lines(spool):
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


def _check_lines(
    source: IO[str], spool: IO[bytes], jobs: int, chunk: int = CHECK_CHUNK
) -> tuple[int, list[str]]:
    """Counts the lines and lists every problem, with its line number; while none is found,
    the loaded lines go to `spool`. Chunks of lines are checked by `jobs` processes (the
    schemas' checks are most of an import's time), in the file's order."""
    count = 0
    problems: list[str] = []
    chunks = _numbered_chunks(source, chunk)
    with (
        _checking_pool(jobs) as pool,
        tqdm(unit="line", desc="check", file=sys.stderr, disable=None) as bar,
    ):
        checked = pool.imap(_check_chunk, chunks) if pool else map(_check_chunk, chunks)
        for lines, chunk_problems, loaded in checked:
            count += lines
            problems += chunk_problems
            if not problems:
                spool.write(len(loaded).to_bytes(8, "big") + loaded)
            bar.update(lines)
    return count, problems


def _numbered_chunks(source: IO[str], size: int) -> Iterator[list[tuple[int, str]]]:
    """The file's non-blank lines with their numbers, `size` at a time."""
    chunk: list[tuple[int, str]] = []
    for number, text in enumerate(source, start=1):
        if text.strip():
            chunk.append((number, text))
            if len(chunk) == size:
                yield chunk
                chunk = []
    if chunk:
        yield chunk


def _check_chunk(chunk: list[tuple[int, str]]) -> tuple[int, list[str], bytes]:
    """One chunk's line count, problems, and its loaded lines in the spool's form."""
    schema = ImportedEventSchema()
    problems: list[str] = []
    loaded: list[tuple[int, dict[str, Any]]] = []
    for number, text in chunk:
        try:
            loaded.append((number, _spooled_form(schema.load(decoded(text)))))
        except json.JSONDecodeError as error:
            problems.append(f"line {number}: not JSON ({error.msg})")
        except RecursionError:
            problems.append(f"line {number}: nested too deeply")
        except ValidationError as error:
            problems += [
                f"line {number}: {e['field']}: {e['detail']}" for e in field_errors(error.messages)
            ]
    return len(chunk), problems, b"" if problems else marshal.dumps(loaded)


def decoded(text: str) -> Any:
    """The line's JSON value as the standard parser reads it: orjson's where the two agree
    (it is three times faster), the standard parser's for what orjson refuses or may read
    otherwise (integers past 64 bits, NaN, lone surrogates, too deep)."""
    if not _LONG_NUMBER.search(text):
        try:
            return orjson.loads(text)
        except orjson.JSONDecodeError:
            pass
    return json.loads(text)


def _spooled_form(line: dict[str, Any]) -> dict[str, Any]:
    """A loaded line in plain values, as marshal writes them (several times faster than
    pickle): the id as its text, recorded_at in ISO form; `_from_spool` takes them back."""
    line["id"] = str(line["id"])
    line["recorded_at"] = line["recorded_at"].isoformat()
    return line


def _from_spool(line: dict[str, Any]) -> dict[str, Any]:
    line["recorded_at"] = dt.datetime.fromisoformat(line["recorded_at"])
    return line


@contextmanager
def _checking_pool(jobs: int) -> Iterator[Any]:
    """Processes that check chunks of lines, or None to check them here (one job). They are
    forked before the store is opened, so they hold none of its connections."""
    if jobs == 1:
        yield None
        return
    with multiprocessing.get_context("fork").Pool(jobs) as pool:
        yield pool


def _spooled_lines(spool: IO[bytes]) -> Iterable[tuple[int, dict[str, Any]]]:
    """The lines the check loaded, each with its number in the file, in the file's order."""
    while size := int.from_bytes(spool.read(8), "big"):
        chunk: list[tuple[int, dict[str, Any]]] = marshal.loads(spool.read(size))  # our own
        for number, line in chunk:
            yield number, _from_spool(line)


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
