"""The store: the library's SQLite and PostgreSQL recorders extended with the log index and
idempotency keys (`sqlite.py`, `postgres.py`, rows shared by both in `rows.py`), where the
store lives (`locations.py`), wake-ups on append (`listeners.py`), the SQLite pool with
readers beside the writer (`sqlite_pool.py`), the views' own SQLite file beside the log's
(`views_file.py`), API tokens (`tokens.py`), and the store's files kept private (`files.py`)."""
