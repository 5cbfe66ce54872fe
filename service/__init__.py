"""The ways in and out: HTTP API, CLI, store wiring, settings."""
