"""Figures that show store text: a `$...$` in a task, tier or method name must not be parsed as mathtext.

matplotlib parses text between dollar signs as mathtext, and an invalid expression raises ValueError when the figure
is drawn, which would abort `publish` for a crafted or merely unusual name. Turning mathtext off for every figure
is not an option: log-axis tick labels are mathtext. So a figure is made and saved as usual, and only when that
fails on mathtext is it made again with text drawn literally (or, at save time, its `$`-bearing texts set literal).
An honest figure succeeds on the first try and is drawn exactly as before.
"""
from __future__ import annotations


def is_mathtext_error(exc: BaseException) -> bool:
    """Whether `exc` is matplotlib failing to parse a `$...$` as mathtext."""
    tb = exc.__traceback__
    last = None
    while tb is not None:
        last, tb = tb.tb_frame.f_code.co_filename, tb.tb_next
    return isinstance(exc, ValueError) and last is not None and last.replace("\\", "/").endswith("mathtext.py")


def literal_on_mathtext_error(make):
    """`make()`, a figure maker; when store text in it (a task, tier or method name holding `$...$`) is not valid
    mathtext, `make()` again with every text drawn literally. An honest figure is made on the first try, drawn as
    before (tick labels of log axes are mathtext, so literal text is not the default)."""
    import matplotlib

    try:
        return make()
    except ValueError as exc:
        if not is_mathtext_error(exc):
            raise
    with matplotlib.rc_context({"text.parse_math": False}):
        return make()


def save_literal_on_error(save, fig, path):
    """`save(fig, path)`; on a mathtext error, the texts holding `$` are drawn literally and the figure saved again."""
    try:
        return save(fig, path)
    except ValueError as exc:
        if not is_mathtext_error(exc):
            raise
    from matplotlib.text import Text

    for text in fig.findobj(Text):
        if "$" in text.get_text():
            text.set_parse_math(False)
    return save(fig, path)
