"""The live feed behind `GET /v1/stream`: one shared reader of the log (`feed.py`), woken after
each commit, that serialises each new event once and fans it out to every open stream; the
streams themselves (`stream.py`), each a Server-Sent Events body with its filters, heartbeat and
slot; the cap on open streams (`slots.py`); and how a stream hears that its client went away
(`connection.py`)."""
