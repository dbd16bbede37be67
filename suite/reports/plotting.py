"""The suite's one plotting style: every figure is a `matplotlib.figure.Figure` on an Agg canvas (no pyplot state, no
backend switch), and every method keeps one colour and one marker across all figures.

A method's slot in the palette comes from its name: the registered methods, sorted, take consecutive slots (so no
two of them share a colour while there are fewer of them than `PALETTE` has colours); any other name takes a slot
from a hash of its name. Within one figure a name whose slot is already taken moves to the next free one, so a
figure never shows two series in the same colour until it has more series than the palette has colours (60).
"""
from __future__ import annotations

import hashlib
from typing import Any, Iterable

# 60 distinct colours from matplotlib's tab10, tab20b, tab20c and the light half of tab20, ordered so that
# neighbouring slots differ in hue (tab20b and tab20c come in groups of four shades of one hue: their shades are
# taken one round at a time)
_TAB10 = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22",
          "#17becf"]
_TAB20B = ["#393b79", "#5254a3", "#6b6ecf", "#9c9ede", "#637939", "#8ca252", "#b5cf6b", "#cedb9c", "#8c6d31",
           "#bd9e39", "#e7ba52", "#e7cb94", "#843c39", "#ad494a", "#d6616b", "#e7969c", "#7b4173", "#a55194",
           "#ce6dbd", "#de9ed6"]
_TAB20C = ["#3182bd", "#6baed6", "#9ecae1", "#c6dbef", "#e6550d", "#fd8d3c", "#fdae6b", "#fdd0a2", "#31a354",
           "#74c476", "#a1d99b", "#c7e9c0", "#756bb1", "#9e9ac8", "#bcbddc", "#dadaeb", "#636363", "#969696",
           "#bdbdbd", "#d9d9d9"]
_TAB20_LIGHT = ["#aec7e8", "#ffbb78", "#98df8a", "#ff9896", "#c5b0d5", "#c49c94", "#f7b6d2", "#c7c7c7", "#dbdb8d",
                "#9edae5"]
_SHADES = [[g[4 * h + k] for g in (_TAB20B, _TAB20C) for h in range(5)] for k in range(4)]
PALETTE: tuple[str, ...] = tuple(_TAB10 + _SHADES[0] + _TAB20_LIGHT + _SHADES[1] + _SHADES[2] + _SHADES[3])
MARKERS: tuple[str, ...] = ("o", "s", "^", "v", "D", "P", "X", "*", "<", ">", "h", "p")


def new_figure(ncols: int = 1, nrows: int = 1, size: tuple[float, float] | None = None,
               layout: Any = None) -> tuple[Any, list[Any]]:
    """A Figure on an Agg canvas and its axes (row-major list): the one way the suite's figures are made."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=size or (5.2 * ncols, 4.0 * nrows), layout=layout)
    FigureCanvasAgg(fig)
    axes = [fig.add_subplot(nrows, ncols, i + 1) for i in range(nrows * ncols)]
    return fig, axes


def save(fig: Any, path: Any, dpi: int = 110) -> Any:
    """Write `fig` as a PNG (the folder is made) and return the path."""
    from pathlib import Path

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=dpi, bbox_inches="tight")
    return path


def _registered_names() -> list[str]:
    from ..registry import methods

    return sorted(methods())


def _hash_slot(name: str) -> int:
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big")


def home_slot(name: str) -> int:
    """The palette slot `name` takes when it is free: its rank among the registered methods, else a hash."""
    names = _registered_names()
    if name in names:
        return names.index(name) % len(PALETTE)
    return _hash_slot(name) % len(PALETTE)


class Styles:
    """The colours and markers of one figure: `color(name)` / `marker(name)`, fixed per name, distinct per figure."""

    def __init__(self) -> None:
        self._slot: dict[str, int] = {}
        self._taken: set[int] = set()

    def slot(self, name: str) -> int:
        if name not in self._slot:
            s = home_slot(name)
            if len(self._taken) < len(PALETTE):
                while s in self._taken:
                    s = (s + 1) % len(PALETTE)
            self._slot[name] = s
            self._taken.add(s)
        return self._slot[name]

    def color(self, name: str) -> str:
        return PALETTE[self.slot(name)]

    def marker(self, name: str) -> str:
        return MARKERS[self.slot(name) % len(MARKERS)]

    def reserve(self, names: Iterable[str]) -> "Styles":
        """Give `names` their slots first (registered methods before other names, each in sorted order), so a
        figure's colours do not depend on the order its series are drawn in."""
        registered = set(_registered_names())
        for n in sorted(set(names), key=lambda n: (n not in registered, n)):
            self.slot(n)
        return self


def method_color(name: str) -> str:
    """A method's colour when nothing else in the figure has taken its slot (its colour in every figure)."""
    return PALETTE[home_slot(name)]
