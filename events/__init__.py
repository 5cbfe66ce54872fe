"""The domain: developments in international cooperation, recorded as events of subjects.

Where each concept lives:

- `catalogue`: the development types (wire name, subject kind, PLOVER and CAMEO codes).
- `schemas/`: the wire form of a development (envelope and per-type data), validated.
- `values/`: value types: EDTF dates, ISO 3166 parties, ISO 4217 money.
- `subjects`: the `Subject` aggregate whose events are the developments.
- `corrections`: which fields a correction may change, and the target as corrected.
- `record`: the `Record` application, put together from its use cases:
  - `appending`: new developments, all of a request or none; idempotency keys answered again.
  - `reading`: one event, a subject's history, pages of the log, the whole log for an export.
  - `importing`: an export appended again with its ids, versions and positions.
  - `subject_loading`: subjects loaded from the store for the use cases above; why mixins.
  - `recording`: one development recorded on a subject, shared by appending and importing.
- `group_commit`: concurrent appends sharing one transaction.
- `subject_cache`: subjects an import saved, kept for its next batch.
- `lru`: a bounded least-recently-used cache (developments by position).
- `log_index`: what the record asks of its store beyond the library's recorder.
- `queries`: what reading returns (`Page`, `SubjectHistory`) and the filter it takes.
- `wire`: a stored event as clients see it.
- `errors`: what the record refuses, and why.
- `subscription`: the webhook `Subscription` aggregate and its filters.
- `subscriptions`: the `Subscriptions` application, its own log; its methods are the use cases.
"""
