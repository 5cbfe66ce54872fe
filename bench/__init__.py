"""Benchmarks (`make bench`): every figure beside a baseline measured in the same run, on the
same store. `__main__.py` runs them and `report.py` prints and saves the table; one module
per figure (append, rebuild, webhooks, reads); `stores.py` and `dataset.py` make the stores
and the logs they run on; `receiver.py` is a webhook receiver of the bench's own."""
