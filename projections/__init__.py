"""The views: tracked projections of the log, kept live by a runner and rebuildable beside
the live ones. Its modules, from the bottom up:

- database: the same SQL on SQLite and PostgreSQL, through the library's datastores.
- facts: a development as the views see it, and the moments (as_of, known_at) they answer for.
- recorder: one generation of one view's rows: staged, written with its position, read.
- catalog: each view's generations (active, pending), their tables, indexes and positions.
- reader: reads views at their active generation; waits for a position (read-your-writes).
- projection: the base of every view: how an event's change becomes rows.
- lifecycle, ledger: agreement and deal states, folded from their rows.
- activity, agreements, countries, deals, relationships, timeline: one view each, its
  projection (the rows a development contributes) and its queries.
- registry: every view, by name.
- following, locks: the background loop and the one-process-at-a-time lock of the runner.
- runner: keeps views up to date with the log, a batch of events at a time.
- rebuild: rebuilding views from the start of the log, then swapping them in.
"""
