"""Webhooks, one module per concept (the subscription itself is events/subscription.py, its
use cases events/subscriptions.py):

- webhooks: the use cases spanning subscriptions and deliveries (subscribe, change, ping,
  backfill, redeliver, the delivery log), called by the API.
- message: the signed CloudEvents body of a delivery, and of a ping.
- delivery: one delivery per subscription and event, its state, and the store of them.
- attempt: one HTTP try of a delivery: its outcome, and the grouped writer of results.
- retry: the retry policy (when to try again).
- endpoint: endpoint safety (which URLs may receive webhooks, and the address checked).
- client: the HTTP client that makes attempts.
- outbox: records the deliveries of each event with its position, and hands them off.
- dispatcher: claims due deliveries and sends them within its limits.
- isolation: the dispatcher's slots in flight, shared so no receiver can stall another's.
- lane: one subscription's window and circuit (how many may be in flight to it now).
- holds: rests and circuits kept in the store, so that every worker honours what one learnt.
- pinger: sends pings, bounded and with a short timeout of their own.
- clock: the periodic jobs (due retries, auto-disable, trimming attempt logs).
- workers: the outbox, dispatcher and clock of a process, started and stopped together.
"""
