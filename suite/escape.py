"""Escaping of store text for the published pages: HTML text and attributes, markdown table cells.

Everything a leaderboard shows from a store (task, tier, method, params, notes, error messages) is untrusted text:
a merged or crafted store may hold `<script>`, quotes that close an attribute, or a `|` / newline that breaks a
markdown table. Only what needs it is escaped, so honest text is published exactly as before: in HTML `& < > " '`;
in a markdown cell `|`, line breaks, and a `<` that would open a tag, a comment or a declaration (a `<` before a
space or a digit, as in `abs_gap < 1e-5`, stays).
"""
from __future__ import annotations

import html
import re

import pandas as pd

_TAG_OPEN = re.compile(r"<(?=[A-Za-z/!?])")
_LINE_BREAK = re.compile(r"\r\n|\r|\n")


def html_attr(text: object) -> str:
    """Text for a quoted HTML attribute value (either quote) or an element's content."""
    return html.escape(str(text), quote=True)


def md_cell(text: object) -> object:
    """A markdown table cell: `|` escaped, line breaks as spaces, tag openers as `&lt;`; other values unchanged."""
    if not isinstance(text, str):
        return text
    out = _LINE_BREAK.sub(" ", text)
    out = _TAG_OPEN.sub("&lt;", out)
    return out.replace("|", "\\|")


def md_text(text: object) -> str:
    """Inline markdown text outside a table (a heading, a link's text): line breaks and tag openers only."""
    out = _LINE_BREAK.sub(" ", str(text))
    return _TAG_OPEN.sub("&lt;", out).replace("[", "\\[").replace("]", "\\]")


def markdown_table(frame: pd.DataFrame) -> str:
    """`frame.to_markdown(index=False)` with every text cell and header passed through `md_cell`."""
    safe = frame.copy()
    safe.columns = [md_cell(c) for c in frame.columns]
    for i in range(safe.shape[1]):
        values = list(safe.iloc[:, i])
        escaped = [md_cell(v) for v in values]
        if any(e != v for e, v in zip(escaped, values) if isinstance(v, str)):  # untouched columns keep their dtype
            safe.isetitem(i, escaped)
    return safe.to_markdown(index=False)



