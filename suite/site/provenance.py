"""Per-row provenance for the site's detail view: where each seed of a leaderboard row was measured.

A leaderboard row aggregates seeds (cells); each cell carries the provenance JSON the runner recorded (commit,
machine, library versions, threads) plus, in the store, how the method was built (`method_ref`: a registered
name or a `file.py:Class` reference) and when it finished. All of it is untrusted text: it is parsed as JSON
(never evaluated), and rendered only through `escape.text`; a value that is not JSON is shown as text.
"""

from __future__ import annotations

import json
import math
import time
from typing import Any

import pandas as pd

from ..results import params_label
from . import escape

# provenance keys shown first, in this order, with their labels; any other key follows under its own name
KNOWN = (
    ("git_commit", "commit"),
    ("hostname", "machine"),
    ("cpu", "cpu"),
    ("cores", "cores"),
    ("gpu", "gpu"),
    ("platform", "platform"),
    ("python", "python"),
    ("latentbench", "latentbench"),
    ("torch_threads", "threads (torch)"),
    ("threads", "threads"),
)


def _json(raw: Any) -> dict:
    try:
        value = json.loads(raw) if isinstance(raw, str) and raw else {}
    except json.JSONDecodeError:
        return {"provenance (not JSON)": str(raw)[:500]}
    return value if isinstance(value, dict) else {"provenance": str(value)[:500]}


def method_source(method_ref: str, prov: dict) -> str:
    """ "registered baseline NAME", "registered method NAME" or "file PATH:CLASS", with the version or content hash
    the row recorded (its provenance's `versions`)."""
    from ..registry import is_file_ref

    recorded = prov.get("method_source")
    if isinstance(recorded, str) and recorded:
        return recorded
    ref = str(method_ref or "")
    raw_versions = prov.get("versions")
    versions = raw_versions if isinstance(raw_versions, dict) else {}
    version = versions.get("method")
    if is_file_ref(ref):  # a file method's version is its content hash (sha256, 16 hex digits: `load_file_method`)
        digest = prov.get("method_sha256") or prov.get("method_hash") or version
        return f"file {ref}" + (f" (sha256 {digest})" if digest else " (content hash not recorded in the row)")
    if not ref:
        return "not recorded"
    from ..registry import methods

    spec = methods().get(ref)
    kind = "registered baseline" if spec is not None and spec.reference else "registered method"
    return f"{kind} {ref}" + (f" (version {version})" if version else "")


def finished(stamp: Any) -> str:
    """The cell's finish date (UTC); stores merged from an exported rows file carry no date."""
    try:
        t = float(stamp)
    except (TypeError, ValueError):
        return "not recorded"
    if t < 1e9:  # an exported rows file has no finish time: its cells get their row order instead
        return "not recorded (rows merged from an export)"
    return time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(t))


def method_kind(method: str, method_ref: str) -> str:
    """ "file" (a user's file method), "baseline" (a registered suite baseline) or "registered" (a plugin's)."""
    from ..registry import is_file_ref, methods

    if is_file_ref(str(method_ref or "")):
        return "file"
    spec = methods().get(str(method))
    return "baseline" if spec is not None and spec.reference else "registered"


def by_row(cells: pd.DataFrame) -> dict[tuple[str, str], list[dict]]:
    """(tier, method label) -> one record per cell (seed), as the leaderboard labels its rows."""
    out: dict[tuple[str, str], list[dict]] = {}
    if cells is None or cells.empty:
        return out
    for rec in cells.to_dict("records"):
        label = params_label(str(rec["method"]), rec.get("params") or "")
        prov = _json(rec.get("provenance"))
        out.setdefault((str(rec["tier"]), label), []).append(
            {
                "seed": rec.get("seed"),
                "status": rec.get("status"),
                "finished": finished(rec.get("finished_at")),
                "source": method_source(rec.get("method_ref"), prov),
                "data": rec.get("data_copy") or "",
                "wall_s": rec.get("wall_s"),
                "provenance": prov,
                "kind": method_kind(rec["method"], rec.get("method_ref")),
            }
        )
    for recs in out.values():
        recs.sort(key=lambda r: (str(r["seed"]), str(r["status"])))
    return out


def _value(v: Any) -> str:
    if isinstance(v, dict):
        return ", ".join(f"{k} {v[k]}" for k in sorted(v, key=str))
    if v is None:
        return "none"
    return str(v)


def _items(r: dict) -> list[tuple[str, str]]:
    """(label, text) of one cell: the store's facts first, then the provenance keys in a fixed order."""
    prov = dict(r["provenance"])
    items = [
        ("seed", r["seed"]),
        ("status", r["status"]),
        ("date", r["finished"]),
        ("method source", r["source"]),
        ("data", r["data"]),
    ]
    for key, name in KNOWN:
        if key in prov:
            items.append((name, prov.pop(key)))
    libs = prov.pop("libraries", None)
    if libs is not None:
        items.append(("library versions", libs))
    items += sorted(((str(k), v) for k, v in prov.items()), key=lambda kv: kv[0])
    wall = r.get("wall_s")
    if isinstance(wall, (int, float)) and math.isfinite(wall):
        items.append(("wall time", f"{wall:.3g} s"))
    return [(k, _value(v)) for k, v in items]


def _dl(items: list[tuple[str, str]]) -> str:
    return (
        "<dl class='prov'>" + "".join(f"<dt>{escape.text(k)}</dt><dd>{escape.text(v)}</dd>" for k, v in items) + "</dl>"
    )


def render(label: str, records: list[dict]) -> str:
    """The detail view of one leaderboard row: what all its seeds share, once, then what differs per seed."""
    per_cell = [_items(r) for r in records]
    head = f"<h3>{escape.text(label)}</h3>"
    if len(per_cell) <= 1:
        return head + "".join(_dl(c) for c in per_cell)
    shared = [
        (k, v)
        for k, v in per_cell[0]
        if k not in ("seed", "wall time") and all(dict(c).get(k) == v for c in per_cell[1:])
    ]
    keys = {k for k, _ in shared}
    own = "".join(_dl([(k, v) for k, v in c if k not in keys]) for c in per_cell)
    return (
        head
        + f"<p class='prov-head'>Shared by all {len(per_cell)} seeds:</p>"
        + _dl(shared)
        + "<p class='prov-head'>Per seed:</p>"
        + own
    )
