"""Recorders that extend the library's with the log index, idempotency keys and API tokens."""
