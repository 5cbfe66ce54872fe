"""Who may call a route, declared on the view itself.

Every view says what it needs: `@requires(Scope.READ)` (open, unless
`TRACKER_REQUIRE_READ_TOKEN` is set), `@requires(Scope.WRITE)`, `@requires(Scope.ADMIN)`, or
`@public` (never a token: health, metrics, the docs). The request guard reads the declaration,
the OpenAPI document states it as each operation's `security`, and `check_declared` refuses
to build an app with a route that declares nothing, so a new route cannot get its access by
accident.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Iterator
from typing import Any, TypeVar

from flask import Flask

from service.auth import Scope

__all__ = [
    "Scope",
    "check_declared",
    "declared_scope",
    "declares_query",
    "public",
    "requires",
    "takes_batches",
]

F = TypeVar("F", bound=Callable[..., Any])
DECLARED = "required_scope"  # attribute on a view function: a Scope, or None for public
BATCHES = "takes_batches"  # attribute on a view function: True where batches are posted
QUERY = "declares_query"  # attribute on a view function: True where it reads its own query
BEARER = "bearerAuth"
_UNDECLARED = object()


class UndeclaredAccess(RuntimeError):
    """A route that does not say who may call it."""


def requires(scope: Scope) -> Callable[[F], F]:
    """Declares the scope a view needs (a wider scope includes the narrower)."""

    def declare(view: F) -> F:
        return _declare(view, scope)

    return declare


def public(view: F) -> F:
    """Declares a view that never needs a token."""
    return _declare(view, None)


def _declare(view: F, scope: Scope | None) -> F:
    setattr(view, DECLARED, scope)
    # flask-smorest copies `_apidoc` through its decorators and hands it to the doc callback.
    view._apidoc = {**getattr(view, "_apidoc", {}), DECLARED: _name(scope)}  # type: ignore[attr-defined]
    return view


def takes_batches(view: F) -> F:
    """Declares a view whose body may be as large as a batch (TRACKER_MAX_BATCH_BYTES)."""
    setattr(view, BATCHES, True)
    return view


def declares_query(view: F) -> F:
    """Declares a view that reads and checks its query itself (a page, which answers a bad
    parameter with a page of its own rather than the API's problem)."""
    setattr(view, QUERY, True)
    return view


def reads_own_query(view: Callable[..., Any] | None, method: str) -> bool:
    """Whether the view answering this method declared `declares_query`."""
    return view is not None and _declared(view, method, QUERY) is True


def declared_scope(app: Flask, endpoint: str, method: str) -> Scope | None:
    """The scope a route declares for a method; UndeclaredAccess when it declares none."""
    found = _declared(app.view_functions[endpoint], method, DECLARED)
    if found is _UNDECLARED:
        if method == "OPTIONS":  # answered by Flask for a route without GET: as a read
            return Scope.READ
        raise UndeclaredAccess(f"{method} of the route '{endpoint}' declares no scope.")
    return found  # type: ignore[return-value]


def accepts_batches(view: Callable[..., Any] | None, method: str) -> bool:
    """Whether the view answering this method declared `takes_batches`."""
    return view is not None and _declared(view, method, BATCHES) is True


def _declared(view: Callable[..., Any], method: str, attribute: str) -> object:
    return getattr(handler_of(view, method), attribute, _UNDECLARED)


def handler_of(view: Callable[..., Any], method: str) -> Callable[..., Any] | None:
    """The function answering `method`: the view, or its MethodView's method (HEAD and
    OPTIONS as GET when the view has none of its own)."""
    view_class = getattr(view, "view_class", None)
    if view_class is None:
        return view
    handler = getattr(view_class, method.lower(), None)
    if handler is None and method in ("HEAD", "OPTIONS"):
        handler = getattr(view_class, "get", None)
    return handler


def check_declared(app: Flask) -> None:
    """Refuses an app any of whose routes declares no scope for one of its methods."""
    for endpoint, method in routes(app):
        declared_scope(app, endpoint, method)


def routes(app: Flask) -> Iterator[tuple[str, str]]:
    """Every (endpoint, method) the app answers."""
    for rule in app.url_map.iter_rules():
        for method in sorted(rule.methods or ()):
            yield rule.endpoint, method


def open_library_routes(app: Flask, endpoints: Iterable[str]) -> None:
    """Routes a library adds (the OpenAPI document and its UI, static files) are public."""
    for endpoint in endpoints:
        view = app.view_functions[endpoint]

        @functools.wraps(view)
        def route(*args: Any, _view: Callable[..., Any] = view, **kwargs: Any) -> Any:
            return _view(*args, **kwargs)

        app.view_functions[endpoint] = public(route)


def security(doc: dict[str, Any], doc_info: dict[str, Any], *, app: Flask, **_: Any) -> Any:
    """A flask-smorest doc callback: the operation's `security` from the view's declaration
    (none for public routes and for reads while reads need no token)."""
    name = doc_info.get(DECLARED)
    if name is None and DECLARED not in doc_info:
        return doc  # undeclared: check_declared refuses the app anyway
    open_reads = not app.extensions["tracker"].settings.require_read_token
    if name is None or (name == "read" and open_reads):
        doc["security"] = []
    else:
        doc["security"] = [{BEARER: [name]}]
    return doc


def _name(scope: Scope | None) -> str | None:
    return None if scope is None else scope.name.lower()
