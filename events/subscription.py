"""The subscription aggregate: an endpoint and the filters that say which developments it hears
of, its signing secrets, and its status (active, paused, disabled, deleted)."""

from __future__ import annotations

import base64
import datetime as dt
import secrets
from dataclasses import dataclass
from typing import Any

from eventsourcing.domain import BaseAggregate, CanMutateAggregate, MetaDomainEvent

from events.catalogue import type_matches
from events.errors import RecordError
from events.values.dates import parse_occurred
from events.values.groupings import names_party

ROTATION_OVERLAP = dt.timedelta(hours=24)
ACTIVE, PAUSED, DISABLED, DELETED = "active", "paused", "disabled", "deleted"
STATUSES = (ACTIVE, PAUSED, DISABLED, DELETED)


class SubscriptionNotFound(RecordError):
    def __init__(self, subscription_id: str) -> None:
        super().__init__(f"No subscription '{subscription_id}'.")
        self.subscription_id = subscription_id


class GroupingsWithoutParties(RecordError):
    """`include_groupings` adds the groupings of the parties given: with none it would mean
    nothing, and the subscriber would hear of everything while thinking otherwise."""

    def __init__(self) -> None:
        super().__init__("include_groupings needs parties to take the groupings of.")


def new_secret() -> str:
    """A Standard Webhooks secret: whsec_ and 32 random bytes in base64."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


@dataclass(frozen=True)
class Filters:
    """Which developments a subscription (or a live stream) hears of; an empty list means no
    restriction. With `include_groupings`, a country among `parties` also hears of the
    developments of the groupings it belonged to on their dates, as every read's
    `include_groupings=true` does."""

    types: tuple[str, ...] = ()
    parties: tuple[str, ...] = ()
    subjects: tuple[str, ...] = ()
    include_groupings: bool = False

    def matches(self, development: dict[str, Any]) -> bool:
        """A correction or retraction matches the filters its subject's kind matches, so that
        a subscriber to 'agreement.*' hears when an agreement's development is corrected; its
        parties and dates are its own, as the log read by party takes them."""
        kind = development["type"]
        names = [kind]
        if kind.startswith("development."):
            names.append(development["subject"].split(":", 1)[0] + ".")
        if self.types and not any(type_matches(p, name) for p in self.types for name in names):
            return False
        if self.parties and not self.names_a_party(development):
            return False
        return not self.subjects or development["subject"] in self.subjects

    def names_a_party(self, development: dict[str, Any]) -> bool:
        """Whether the development names one of the parties or (with include_groupings) a
        grouping one of them belonged to on its dates; the dates are only read when the
        parties named do not settle it."""
        named = development["parties"]
        if not set(self.parties).isdisjoint(named):
            return True
        if not self.include_groupings:
            return False
        earliest, latest = occurred_days(development)
        return any(
            names_party(party, named, earliest, latest, groupings=True) for party in self.parties
        )

    def checked(self) -> Filters:
        """The filters, when they make sense (else GroupingsWithoutParties)."""
        if self.include_groupings and not self.parties:
            raise GroupingsWithoutParties()
        return self

    def as_json(self) -> dict[str, Any]:
        return {
            "types": list(self.types),
            "parties": list(self.parties),
            "subjects": list(self.subjects),
            "include_groupings": self.include_groupings,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Filters:
        """Filters as stored; a subscription made before `include_groupings` has none, and
        keeps hearing of what names its parties only."""
        return cls(
            tuple(data.get("types", ())),
            tuple(data.get("parties", ())),
            tuple(data.get("subjects", ())),
            bool(data.get("include_groupings", False)),
        )


def occurred_days(development: dict[str, Any]) -> tuple[str, str]:
    """The earliest and latest ISO days a development occurred on: from its `occurred_range`
    when it carries one (as read from the log), else from its EDTF `occurred` (as recorded)."""
    found = development.get("occurred_range")
    if found is None:
        dates = parse_occurred(development["occurred"])
        return dates.earliest.isoformat(), dates.latest.isoformat()
    return found["earliest"], found["latest"]


class Subscription(BaseAggregate[str]):
    """An endpoint that is sent the developments its filters match."""

    def __init__(self, url: str, filters: dict[str, Any], secret: str, description: str) -> None:
        self.url = url
        self.filters = filters
        self.description = description
        self.secret = secret
        self.previous_secret: str | None = None
        self.previous_secret_until: dt.datetime | None = None
        self.status = ACTIVE
        self.disabled_reason: str | None = None

    class Event(CanMutateAggregate[str], metaclass=MetaDomainEvent):
        originator_id: str
        originator_version: int
        timestamp: dt.datetime

    class Created(Event):
        url: str
        filters: dict[str, Any]
        secret: str
        description: str

        def mutate(self, aggregate: Any) -> Any:
            subscription = Subscription.__new__(Subscription)
            subscription.__base_init__(self.originator_id, self.originator_version, self.timestamp)
            Subscription.__init__(
                subscription, self.url, self.filters, self.secret, self.description
            )
            return subscription

    class Changed(Event):
        changes: dict[str, Any]

        def apply(self, aggregate: Subscription) -> None:
            for name, value in self.changes.items():
                setattr(aggregate, name, value)

    class Paused(Event):
        def apply(self, aggregate: Subscription) -> None:
            aggregate.status = PAUSED

    class Resumed(Event):
        def apply(self, aggregate: Subscription) -> None:
            aggregate.status = ACTIVE
            aggregate.disabled_reason = None

    class SecretRotated(Event):
        secret: str

        def apply(self, aggregate: Subscription) -> None:
            aggregate.previous_secret = aggregate.secret
            aggregate.previous_secret_until = self.timestamp + ROTATION_OVERLAP
            aggregate.secret = self.secret

    class Disabled(Event):
        reason: str

        def apply(self, aggregate: Subscription) -> None:
            aggregate.status = DISABLED
            aggregate.disabled_reason = self.reason

    class Deleted(Event):
        def apply(self, aggregate: Subscription) -> None:
            aggregate.status = DELETED

    @classmethod
    def create(cls, url: str, filters: Filters, description: str = "") -> Subscription:
        subscription_id = f"subscription:{secrets.token_hex(12)}"
        event = cls.Created(  # type: ignore[call-arg]
            originator_id=subscription_id,
            originator_version=1,
            timestamp=cls.Created.create_timestamp(),
            url=url,
            filters=filters.as_json(),
            secret=new_secret(),
            description=description,
        )
        subscription: Subscription = event.mutate(None)
        subscription.pending_events.append(event)
        return subscription

    @property
    def matcher(self) -> Filters:
        return Filters.from_json(self.filters)

    def secrets_now(self, now: dt.datetime) -> list[str]:
        """The secrets to sign with: the current one, and the previous one for 24 h."""
        found = [self.secret]
        if self.previous_secret and self.previous_secret_until and now < self.previous_secret_until:
            found.append(self.previous_secret)
        return found

    def change(self, **changes: Any) -> None:
        self.check_not_deleted()
        if changes:
            self.trigger_event(self.Changed, changes=changes)

    def pause(self) -> None:
        self.check_not_deleted()
        if self.status != PAUSED:
            self.trigger_event(self.Paused)

    def resume(self) -> None:
        self.check_not_deleted()
        if self.status != ACTIVE:
            self.trigger_event(self.Resumed)

    def rotate_secret(self) -> str:
        self.check_not_deleted()
        secret = new_secret()
        self.trigger_event(self.SecretRotated, secret=secret)
        return secret

    def disable(self, reason: str) -> None:
        if self.status == ACTIVE:
            self.trigger_event(self.Disabled, reason=reason)

    def delete(self) -> None:
        self.check_not_deleted()
        self.trigger_event(self.Deleted)

    def check_not_deleted(self) -> None:
        if self.status == DELETED:
            raise SubscriptionNotFound(self.id)
