"""The static leaderboard site that `latentbench publish` writes beside the markdown and CSV tables.

index.html is the landing page (families, how to submit); each family and each task has its own page, with one
sortable table per tier (headed by the tier's real problem size), published reference numbers in a table of
their own, collapsed notes, full-width zoomable figures, CSV downloads and a per-row provenance view. Plain HTML
with a small packaged CSS and vanilla JS file: no server and no build chain, readable from `file://`.
Everything taken from a store is escaped (`latentbench.site.escape`).
"""

from __future__ import annotations

from .build import write_site
from .model import FamilyEntry, TaskEntry

__all__ = ["FamilyEntry", "TaskEntry", "write_site"]
