"""Webhooks: the outbox that records deliveries, and the dispatcher that sends them."""
