"""Write the static site under `out`: index.html (landing), one page per family and per task, the assets.

Called by `publish` once it has written the markdown, CSV and figures; reads the store only for the cells'
provenance and the data copies the rows used. Plain HTML + the packaged CSS and JS: no server, no build chain.
"""

from __future__ import annotations

import time
from importlib import resources
from pathlib import Path

from ..results import ResultsStore
from . import layout, pages, provenance
from .model import FamilyEntry, TaskEntry

ASSETS = ("site.css", "site.js")


def _write(path: Path, text: str, written: list[Path]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    written.append(path)


def write_site(
    out: Path, store: ResultsStore, entries: list[TaskEntry], families: dict[str, FamilyEntry], command: str = ""
) -> list[Path]:
    """Write every page and asset; returns the files written."""
    out = Path(out)
    written: list[Path] = []
    stamp = time.strftime("%Y-%m-%d")
    names = list(dict.fromkeys([e.task.family for e in entries] + list(families)))  # a report-only family too
    for name in ASSETS:
        asset = resources.files(__package__).joinpath("assets").joinpath(name)
        _write(out / "assets" / name, asset.read_text("utf-8"), written)
    cells = store.cells()
    rows_file = "rows.csv.gz" if (out / "rows.csv.gz").is_file() else None

    def frame(path: str, title: str, body: str, crumbs=()) -> str:
        return layout.page(path, title, body, names, stamp, command, list(crumbs))

    _write(
        out / "index.html",
        frame("index.html", "LatentBench leaderboards", pages.landing(entries, families, "index.html", rows_file)),
        written,
    )
    for family in names:
        mine = [e for e in entries if e.task.family == family]
        path = pages.family_path(family)
        body = pages.family_page(family, mine, families.get(family), path, out)
        _write(out / path, frame(path, family, body, [("home", "index.html")]), written)
        for e in mine:
            tpath = pages.task_path(e.task)
            own = cells[cells["task"] == e.task.name] if not cells.empty else cells
            copies = (
                {t: list(g["data_copy"].dropna().unique()) for t, g in own.groupby("tier")} if not own.empty else {}
            )
            body = pages.task_page(e, provenance.by_row(own), copies, tpath, out)
            _write(out / tpath, frame(tpath, e.task.name, body, [("home", "index.html"), (family, path)]), written)
    return written
