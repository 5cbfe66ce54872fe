"""APScheduler is the clock for periodic webhook work: due retries, the auto-disable sweep,
and trimming old attempt logs. (Expired leases need no job: a lease past its time is due.)"""

from __future__ import annotations

import logging

from apscheduler.schedulers.background import BackgroundScheduler

from events.subscriptions import Subscriptions
from service.webhooks.delivery import DeliveryStore, now_micros
from service.webhooks.dispatcher import Dispatcher

log = logging.getLogger(__name__)
ATTEMPT_LOG_DAYS = 30


def start_clock(
    dispatcher: Dispatcher,
    subscriptions: Subscriptions,
    store: DeliveryStore,
    disable_after: float,
) -> BackgroundScheduler:
    scheduler = BackgroundScheduler(daemon=True)
    scheduler.add_job(
        dispatcher.wake, "interval", seconds=1, id="due-retries", max_instances=1, coalesce=True
    )
    scheduler.add_job(
        disable_failing,
        "interval",
        seconds=60,
        id="auto-disable",
        args=(subscriptions, store, disable_after),
        max_instances=1,
        coalesce=True,
    )
    scheduler.add_job(
        store.trim_attempts_older_than_days,
        "interval",
        hours=1,
        id="trim-attempts",
        args=(ATTEMPT_LOG_DAYS,),
        max_instances=1,
        coalesce=True,
    )
    scheduler.start()
    return scheduler


def disable_failing(subscriptions: Subscriptions, store: DeliveryStore, after: float) -> list[str]:
    """Disables subscriptions that have been failing for longer than `after` seconds,
    recording subscription.disabled; their deliveries wait until re-enabled."""
    reason = f"Deliveries failed for more than {after / 86400:g} days."
    disabled = []
    for subscription_id in store.failing_since(now_micros() - int(after * 1e6)):
        if subscriptions.disable(subscription_id, reason):
            disabled.append(subscription_id)
            log.warning("webhooks: disabled %s after continuous failures", subscription_id)
    return disabled
