"""Request bodies parsed strictly, so that nothing the store, a view or another client's
transaction cannot take gets past the boundary. A body is refused, each problem named by its
place in the body, when it

- nests deeper than MAX_DEPTH (the standard parser recurses: 5,000 levels were a 500);
- holds a number longer than MAX_NUMBER_DIGITS digits, or one JSON has no value for
  (`1e999999999`, NaN): integers of thousands of digits cost quadratic time to convert;
- repeats a key in one object: which value was meant is ambiguous;
- holds a string (or key) with a lone UTF-16 surrogate or a NUL: neither can be stored as
  UTF-8 text, so they failed inside the shared transaction, taking its other appends with it.

Syntax errors stay `json.JSONDecodeError`, as the standard parser raises them.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

MAX_DEPTH = 20  # a batched correction of a meeting's participants is 8 deep
MAX_NUMBER_DIGITS = 40  # beyond any count, position or amount in minor units the record holds

UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
# Strings and the punctuation that opens, separates and closes containers: enough to find the
# path at which a body too deep for the parser crosses MAX_DEPTH.
_TOKENS = re.compile(r'"(?:[^"\\]|\\.)*"\s*:?|[\[\]{},]', re.DOTALL)

Path = tuple[str | int, ...]


class UnacceptableBody(ValueError):
    """Well-formed JSON the record will not take; `problems` maps each place to its reasons."""

    def __init__(self, problems: dict[Path, list[str]]) -> None:
        super().__init__("; ".join(f"{_dotted(p)}: {', '.join(m)}" for p, m in problems.items()))
        self.problems = problems


class _Number:
    """A number literal refused while parsing; reported with its place after."""

    def __init__(self, reason: str) -> None:
        self.reason = reason


class _Object(dict[str, Any]):
    """An object whose literal repeated keys."""

    repeated: list[str]


def parse_body(raw: bytes | str) -> Any:
    """The body's JSON value, or UnacceptableBody naming every place it cannot be taken."""
    text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
    try:
        value = json.loads(
            text,
            object_pairs_hook=_object,
            parse_int=_integer,
            parse_float=_float,
            parse_constant=_constant,
        )
    except RecursionError:
        raise UnacceptableBody({_too_deep_at(text): [_deeper_than()]}) from None
    if not _plainly_acceptable(value, 0):
        problems = _problems(value)
        if problems:
            raise UnacceptableBody(problems)
    return value


def _plainly_acceptable(node: Any, depth: int) -> bool:
    """Whether the value has none of the problems `_problems` looks for, found without
    naming places (which cost most of the walk of a batch): plain JSON values only, containers
    less than MAX_DEPTH deep, no text that cannot be stored. False means: walk it properly."""
    kind = type(node)
    if kind is str:
        return not UNSTORABLE.search(node)
    if kind is dict:
        return depth < MAX_DEPTH and all(
            not UNSTORABLE.search(key) and _plainly_acceptable(child, depth + 1)
            for key, child in node.items()
        )
    if kind is list:
        return depth < MAX_DEPTH and all(_plainly_acceptable(c, depth + 1) for c in node)
    return node is None or kind is int or kind is float or kind is bool


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    found = dict(pairs)
    if len(found) == len(pairs):
        return found
    marked = _Object(found)
    seen: set[str] = set()
    repeated: set[str] = set()
    for key, _ in pairs:
        (repeated if key in seen else seen).add(key)
    marked.repeated = sorted(repeated)
    return marked


def _integer(literal: str) -> int | _Number:
    if len(literal.lstrip("-")) > MAX_NUMBER_DIGITS:
        return _Number(f"Numbers have at most {MAX_NUMBER_DIGITS} digits.")
    return int(literal)


def _float(literal: str) -> float | _Number:
    number = float(literal) if len(literal) <= MAX_NUMBER_DIGITS + 8 else math.inf
    if not math.isfinite(number):
        return _Number(f"Numbers have at most {MAX_NUMBER_DIGITS} digits and a finite value.")
    return number


def _constant(literal: str) -> _Number:
    return _Number(f"'{literal}' is not a JSON number.")


def _problems(value: Any) -> dict[Path, list[str]]:
    problems: dict[Path, list[str]] = {}
    stack: list[tuple[Path, Any]] = [((), value)]
    while stack:
        path, node = stack.pop()
        if len(path) >= MAX_DEPTH and isinstance(node, dict | list):
            problems.setdefault(path, []).append(_deeper_than())
        elif isinstance(node, dict):
            if isinstance(node, _Object):
                for key in node.repeated:
                    problems.setdefault((*path, key), []).append("The key is given more than once.")
            for key, child in node.items():
                if UNSTORABLE.search(key):
                    problems.setdefault((*path, key), []).append(_unstorable("key"))
                stack.append(((*path, key), child))
        elif isinstance(node, list):
            stack.extend(((*path, index), child) for index, child in enumerate(node))
        elif isinstance(node, str):
            if UNSTORABLE.search(node):
                problems.setdefault(path, []).append(_unstorable("text"))
        elif isinstance(node, _Number):
            problems.setdefault(path, []).append(node.reason)
    return problems


def _unstorable(what: str) -> str:
    return f"The {what} holds a NUL or a lone UTF-16 surrogate, which cannot be stored."


def _deeper_than() -> str:
    return f"The body nests objects and lists more than {MAX_DEPTH} levels deep."


def _too_deep_at(text: str) -> Path:
    """The place where a body too deep to parse crosses MAX_DEPTH (the parser gave up before
    building anything to walk). The body is already known to nest that deep."""
    path: list[str | int] = []
    for token in _TOKENS.finditer(text):
        mark = token.group()
        if mark in "[{":
            if len(path) >= MAX_DEPTH:
                break
            path.append(0 if mark == "[" else "")
        elif mark in "]}":
            if path:
                path.pop()
        elif mark == ",":
            if path and isinstance(path[-1], int):
                path[-1] += 1
        elif mark.endswith(":") and path:
            path[-1] = json.loads(mark.rstrip(": \t\r\n"), strict=False)
    return tuple(path)


def _dotted(path: Path) -> str:
    return ".".join(str(p) for p in path) or "(body)"
