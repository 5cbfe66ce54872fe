"""The composition root: builds the record, the token store, the views and the webhooks from
settings. Nothing connects at import time; tests call `bootstrap` with their own settings, and
may give it parts of their own (the webhook workers, their client, their dispatch settings)."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from eventsourcing.postgres import PostgresDatastore

from events.record import Record
from events.subscriptions import Subscriptions
from events.values.parties import allow_extra_parties
from projections.catalog import ViewCatalog
from projections.database import ViewDatabase
from projections.reader import ViewReader
from projections.rebuild import Rebuilds
from projections.registry import VIEWS
from projections.runner import ViewRunner, database_of
from service.auth import Authenticator
from service.settings import Settings
from service.store.files import make_private
from service.store.locations import (
    is_postgres,
    postgres_setup,
    store_environment,
    subscriptions_environment,
)
from service.store.sqlite_pool import readers_beside_the_writer
from service.store.tokens import Sessions, Tokens, TokenStore
from service.store.views_file import close_views_file, drop_views_left_in_the_log, open_views_file
from service.webhooks.client import WebhookClient
from service.webhooks.delivery import DeliveryStore
from service.webhooks.dispatcher import DispatchSettings
from service.webhooks.endpoint import networks
from service.webhooks.pinger import PING_SLOTS
from service.webhooks.webhooks import Webhooks
from service.webhooks.workers import WebhookWorkers

WorkersFactory = Callable[[Record, Subscriptions, DeliveryStore], WebhookWorkers]


@dataclass
class Container:
    settings: Settings
    record: Record
    auth: Authenticator
    views: ViewReader
    rebuilds: Rebuilds
    subscriptions: Subscriptions
    webhooks: Webhooks
    workers: WebhookWorkers
    runner: ViewRunner | None = None

    def follow_log(self) -> None:
        """Keeps every view live in this process, finishes rebuilds left unfinished, and
        records and sends webhook deliveries."""
        self.rebuilds.resume_pending()
        self.rebuilds.rebuild_empty_views()  # before the runner, which leaves them alone then
        self.runner = ViewRunner(self.record, list(VIEWS.values())).start()
        self.workers.start()

    def close(self) -> None:
        self.workers.stop()
        self.webhooks.close()
        if self.runner is not None:
            self.runner.stop()
        self.rebuilds.stop()
        close_listeners = getattr(self.record.recorder, "close_listeners", None)
        if close_listeners:
            close_listeners()
        self.record.close()
        close_views_file(self.record)
        self.subscriptions.close()


def bootstrap(
    settings: Settings,
    *,
    dispatch: DispatchSettings | None = None,
    client: WebhookClient | None = None,
    workers: WorkersFactory | None = None,
) -> Container:
    """Everything a process needs, from settings. The webhook parts default to production's:
    `dispatch` (limits, schedule, lease) from settings, a `client` per dispatcher, and
    `workers` built from those; a test may give any of them."""
    if is_postgres(settings.database_url):
        setup: contextlib.AbstractContextManager[None] = postgres_setup(settings.database_url)
    else:
        setup = contextlib.nullcontext()
    allow_extra_parties(settings.extra_parties)  # what party fields accept besides ISO 3166
    make_private(settings)  # the data dir 0700, the store's files 0600
    with setup:
        record = Record(env=store_environment(settings))
        size_sqlite_pool(record, settings)
        open_views_file(record, settings)
        log_database = ViewDatabase(record.recorder.datastore)  # type: ignore[attr-defined]
        database = database_of(record)  # the views': on SQLite a file of their own
        if database.datastore is not log_database.datastore:
            drop_views_left_in_the_log(log_database)
        tokens, sessions = Tokens(log_database), Sessions(log_database)
        catalog = ViewCatalog(database)
        deliveries = DeliveryStore(log_database)
        create_tables(tokens, catalog, deliveries)
        sessions.create_table()
        subscriptions = Subscriptions(env=subscriptions_environment(settings))
        size_sqlite_pool(subscriptions, settings)
    if workers is None:
        workers = _production_workers(settings, dispatch, client)
    running = workers(record, subscriptions, deliveries)
    return Container(
        settings,
        record,
        Authenticator(tokens, settings.api_token, sessions),
        ViewReader(database, record.developments_at, settings.waiting_reads_bound),
        Rebuilds(record),
        subscriptions,
        Webhooks(
            record,
            subscriptions,
            deliveries,
            running,
            allowed_networks=networks(settings.webhook_allowed_networks),
            timeout=settings.webhook_ping_timeout,
            ping_slots=ping_slots(settings),
        ),
        running,
    )


def ping_slots(settings: Settings) -> int:
    """Pings in flight at once: PING_SLOTS, and never more than a quarter of the request
    threads, which wait for them."""
    return max(1, min(PING_SLOTS, settings.threads // 4))


def create_tables(tokens: TokenStore, catalog: ViewCatalog, deliveries: DeliveryStore) -> None:
    """The service's own tables beside the event store's (which the library makes): made if
    missing, so that every start may call this."""
    tokens.create_table()
    catalog.create_tables()
    for view in VIEWS:
        catalog.ensure_indexes(view)
    deliveries.create_tables()


def _production_workers(
    settings: Settings, dispatch: DispatchSettings | None, client: WebhookClient | None
) -> WorkersFactory:
    def build(
        record: Record, subscriptions: Subscriptions, deliveries: DeliveryStore
    ) -> WebhookWorkers:
        return WebhookWorkers(
            record,
            subscriptions,
            deliveries,
            dispatch or DispatchSettings.from_settings(settings),
            timeout=settings.webhook_timeout,
            disable_after=settings.webhook_disable_after,
            client=client,
        )

    return build


def size_sqlite_pool(app: Any, settings: Settings) -> None:
    """The library's SQLite pool allows 15 connections; request threads, the followers and
    the dispatcher's few worker threads may all want one at once, and a wait past its
    timeout fails the request. (Webhook attempts in flight hold no connection.) Its readers
    no longer queue behind writers (`service/store/sqlite_pool.py`)."""
    datastore = getattr(app.recorder, "datastore", None)
    pool = getattr(datastore, "pool", None)
    if pool is not None and not isinstance(datastore, PostgresDatastore):
        pool.pool_size = settings.threads + 16
        pool.max_overflow = settings.threads + 8
        if not pool.is_sqlite_memory_mode:
            datastore.pool = readers_beside_the_writer(pool)  # type: ignore[union-attr]
