"""The frame every site page shares: head (the packaged CSS/JS), a family nav, the footer, the two dialogs.

Pages pass their own path relative to the site root so every link (assets, nav, figures) is relative and the
site works from `file://`, any sub-folder of a web server, or a CI artifact, with no build step.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import PurePosixPath

from . import escape


def rel(target: str, page: str) -> str:
    """Relative URL from the page at `page` to `target` (both relative to the site root, POSIX)."""
    start = str(PurePosixPath(page).parent)
    return os.path.relpath(target, start if start != "." else os.curdir).replace(os.sep, "/")


def page(
    path: str,
    title: str,
    body: str,
    families: list[str],
    stamp: str,
    command: str,
    crumbs: Sequence[tuple[str, str]] = (),
) -> str:
    """A complete HTML document for the page at `path` (site-relative)."""
    nav = "".join(
        f"<a href='{escape.attr(rel(f'{escape.slug(f)}/index.html', path))}'>{escape.text(f)}</a>" for f in families
    )
    trail = "".join(f"<a href='{escape.attr(rel(href, path))}'>{escape.text(name)}</a> › " for name, href in crumbs)
    made = f"Generated {escape.text(stamp)}" + (f" by <code>{escape.text(command)}</code>" if command else "") + "."
    return (
        "<!doctype html>\n<html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>{escape.text(title)} — LatentBench</title>"
        f"<link rel='stylesheet' href='{escape.attr(rel('assets/site.css', path))}'>"
        f"<script defer src='{escape.attr(rel('assets/site.js', path))}'></script></head><body>"
        f"<header><a class='home' href='{escape.attr(rel('index.html', path))}'>LatentBench leaderboards</a>"
        f"<nav>{nav}</nav></header><main>"
        + (f"<p class='crumbs'>{trail}</p>" if trail else "")
        + f"<h1>{escape.text(title)}</h1>{body}</main>"
        f"<footer><p>{made}</p></footer>"
        "<dialog id='prov-dialog' aria-label='provenance'><form method='dialog'><button class='close'>close</button>"
        "</form><div class='content'></div></dialog>"
        "<dialog id='zoom-dialog' aria-label='figure'><form method='dialog'><button class='close'>close</button>"
        "</form><div class='zoom-content'><img alt=''></div></dialog>"
        "</body></html>\n"
    )


def figure(src: str, alt: str, caption: str) -> str:
    """A full-width figure; a click opens it full size (a dialog with JS, the PNG itself without)."""
    return (
        f"<figure class='fig'><a class='zoom' href='{escape.attr(src)}'><img src='{escape.attr(src)}' "
        f"alt='{escape.attr(alt)}' loading='lazy'></a><figcaption>{escape.text(caption)} "
        "<span class='hint'>(click to open full size)</span></figcaption></figure>"
    )
