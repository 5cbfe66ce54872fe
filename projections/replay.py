"""The former name of `projections.rebuild`, kept only while the composition root
(service/bootstrap.py) still imports `Rebuilds` from here; delete it once that import reads
`from projections.rebuild import Rebuilds`."""

from __future__ import annotations

from projections.rebuild import Rebuilds

__all__ = ["Rebuilds"]
