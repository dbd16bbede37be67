"""Escaping for the site: everything a store holds (method names, params, notes, provenance) is untrusted text.

A local helper built on `html.escape`, kept to four functions so every page module uses the same rules:
`text` for element content, `attr` for a quoted attribute value, `slug` for a file or anchor name made from
a name (never a path: separators and dots runs are replaced, so `..` or `/` cannot leave the site folder), and
`note` for a report's short markdown (bullets, bold, code) — escaped first, then only those marks become tags.
"""

from __future__ import annotations

import html
import re
from typing import Any

_SLUG_BAD = re.compile(r"[^A-Za-z0-9_-]+")


def text(value: Any) -> str:
    """`value` as HTML element content (quotes escaped too, so it is also safe inside an attribute)."""
    return html.escape("" if value is None else str(value), quote=True)


def attr(value: Any) -> str:
    """`value` as the inside of a double-quoted attribute; control characters (which browsers keep) are dropped."""
    raw = "" if value is None else str(value)
    return html.escape("".join(ch for ch in raw if ch >= " " or ch == "\t"), quote=True)


def slug(value: Any, fallback: str = "x") -> str:
    """A file/anchor-safe name: letters, digits, `_` and `-` only (no dots, no separators), never empty."""
    out = _SLUG_BAD.sub("-", "" if value is None else str(value)).strip("-")
    return out[:80] or fallback


_BOLD = re.compile(r"\*\*(.+?)\*\*")
_CODE = re.compile(r"`([^`]+)`")


def note(markdown: Any) -> str:
    """A report's note (paragraphs, `- ` bullets, **bold**, `code`) as HTML; every character is escaped first,
    so the only tags are the ones made here."""
    html_parts: list[str] = []
    items: list[str] = []

    def inline(line: str) -> str:
        return _CODE.sub(r"<code>\1</code>", _BOLD.sub(r"<strong>\1</strong>", text(line)))

    def flush() -> None:
        if items:
            html_parts.append("<ul>" + "".join(f"<li>{i}</li>" for i in items) + "</ul>")
            items.clear()

    for line in ("" if markdown is None else str(markdown)).splitlines():
        line = line.strip()
        if line.startswith("- "):
            items.append(inline(line[2:]))
            continue
        flush()
        if line:
            html_parts.append(f"<p>{inline(line)}</p>")
    flush()
    return "".join(html_parts)
