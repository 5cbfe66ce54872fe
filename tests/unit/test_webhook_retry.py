"""The retry policy is a pure function of the attempt number and the receiver's answer."""

from __future__ import annotations

import random
import re
from pathlib import Path

import pytest

from service.webhooks import holds, isolation, retry
from service.webhooks.retry import next_delay, parse_schedule, rests_subscription

SCHEDULE = parse_schedule(["0s", "5s", "5m", "30m", "2h", "5h", "10h", "14h", "20h", "24h"])


def test_the_default_schedule_reads_as_seconds():
    assert SCHEDULE == [0, 5, 300, 1800, 7200, 18000, 36000, 50400, 72000, 86400]


def test_a_bad_schedule_entry_is_refused():
    with pytest.raises(ValueError, match="5 minutes"):
        parse_schedule(["5 minutes"])


@pytest.mark.parametrize("attempt", range(1, 10))
def test_each_delay_is_the_schedule_within_twenty_percent(attempt: int):
    jitter = random.Random(attempt)
    delays = [
        next_delay(SCHEDULE, attempt, 500, None, retry_after_cap=3600, jitter=jitter)
        for _ in range(200)
    ]
    assert all(0.8 * SCHEDULE[attempt] <= d <= 1.2 * SCHEDULE[attempt] for d in delays)
    assert len({round(d, 6) for d in delays}) > 1 or SCHEDULE[attempt] == 0


def test_after_the_last_attempt_there_is_no_next_one():
    assert next_delay(SCHEDULE, 10, 500, None, retry_after_cap=3600, jitter=random.Random()) is None


@pytest.mark.parametrize("status", [429, 502, 503, 504])
def test_retry_after_is_honoured_when_the_receiver_asks_to_slow_down(status: int):
    delay = next_delay(SCHEDULE, 1, status, "120", retry_after_cap=3600, jitter=random.Random(1))
    assert delay == 120


def test_retry_after_is_capped():
    delay = next_delay(SCHEDULE, 1, 429, "999999", retry_after_cap=600, jitter=random.Random(1))
    assert delay == 600


def test_retry_after_on_a_plain_failure_is_ignored():
    delay = next_delay(SCHEDULE, 1, 500, "120", retry_after_cap=3600, jitter=random.Random(1))
    assert delay is not None and delay < 10


def test_retry_after_as_an_http_date_counts_from_now():
    delay = next_delay(
        SCHEDULE,
        1,
        429,
        "Wed, 21 Oct 2099 07:28:00 GMT",
        retry_after_cap=60,
        jitter=random.Random(1),
    )
    assert delay == 60


@pytest.mark.parametrize(
    ("status", "rests"),
    [(429, True), (502, True), (503, True), (504, True), (500, False), (404, False), (None, False)],
)
def test_a_503_with_retry_after_rests_the_subscription(status: int | None, rests: bool):
    """The rest rule: 429, 502, 503 and 504 rest the whole subscription (and honour
    Retry-After); any other failure delays only its own delivery."""
    assert rests_subscription(status) is rests
    delay = next_delay(SCHEDULE, 1, status, "120", retry_after_cap=3600, jitter=random.Random(1))
    assert (delay == 120) is rests


def statuses_named(text: str, before: str) -> set[int]:
    """The statuses listed ("429, 502, 503 or 504") right after `before` in `text`."""
    start = " ".join(text.split()).index(before) + len(before)
    listed = re.match(r"[\d, or]+", " ".join(text.split())[start:])
    assert listed, f"no statuses after {before!r}"
    return {int(n) for n in re.findall(r"\d{3}", listed.group())}


def test_the_readme_and_the_docstrings_name_the_statuses_that_rest_a_subscription():
    readme = (Path(__file__).parents[2] / "README.md").read_text()
    assert statuses_named(readme, "when the receiver answers ") == retry.RESTS_SUBSCRIPTION
    assert statuses_named(isolation.__doc__ or "", "resting after ") == retry.RESTS_SUBSCRIPTION
    assert statuses_named(holds.__doc__ or "", "the receiver answered ") == retry.RESTS_SUBSCRIPTION
