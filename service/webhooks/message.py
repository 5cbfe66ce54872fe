"""A message: what a delivery (or a ping) sends, a CloudEvents 1.0 structured JSON body signed
per Standard Webhooks."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from standardwebhooks.webhooks import Webhook

CONTENT_TYPE = "application/cloudevents+json"


def cloudevent(event: dict[str, Any]) -> str:
    return json.dumps(
        {
            "specversion": "1.0",
            "id": event["id"],
            "type": event["type"],
            "source": f"/v1/subjects/{event['subject']}",
            "subject": event["subject"],
            "time": event["recorded_at"],
            "datacontenttype": "application/json",
            "sequence": str(event["position"]),
            "data": event,
        },
        separators=(",", ":"),
        ensure_ascii=False,
    )


def ping(subscription_id: str, now: dt.datetime) -> tuple[str, str]:
    """The id and body of a test event: no data, nothing recorded."""
    message_id = f"ping-{now.timestamp()}"
    body = (
        f'{{"specversion":"1.0","id":"{message_id}","type":"tracker.ping",'
        f'"source":"/v1/subscriptions/{subscription_id}","time":"{now.isoformat()}"}}'
    )
    return message_id, body


def signed_headers(
    message_id: str, body: str, secrets: list[str], now: dt.datetime
) -> dict[str, str]:
    """webhook-id (the same on every retry), webhook-timestamp (this attempt), and one
    signature per valid secret (two during a rotation's overlap)."""
    signatures = " ".join(Webhook(secret).sign(message_id, now, body) for secret in secrets)
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": signatures,
        "Content-Type": CONTENT_TYPE,
    }
