"""One module per group of `tracker` commands: `serving` (serve), `views` (rebuild, worker),
`exchange` (export, import), `tokens` (token create); `failures` says a known failure of any of
them as one line."""
