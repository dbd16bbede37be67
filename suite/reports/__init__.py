"""The report layer: what `latentbench publish` shows beside each leaderboard, registered by family.

A family's report draws each task's figure, the family's cross-task figures and its cross-model tables (findings,
gains). `publish` looks a report up by family (`report_for`); the built-in families' reports live in this package
(one module per family, one plotting module, one findings engine) and a plugin registers its own with
`register_report(family, report)`, for a family of its own or in place of a built-in one.
"""
from __future__ import annotations

import importlib
import threading

from .base import Report

_BUILTIN = {
    "bnn-search": "latentbench.reports.bnn_search",
    "bounds": "latentbench.reports.bounds",
    "lossless": "latentbench.reports.lossless",
    "rd-curve": "latentbench.reports.rd_curve",
    "representation": "latentbench.reports.representation",
}
_reports: dict[str, Report] = {}
_lock = threading.RLock()


def register_report(family: str, report: Report) -> Report:
    """Register `report` for `family` (a registered report replaces the built-in one of that family)."""
    if not isinstance(report, Report):
        raise TypeError(f"register_report({family!r}, ...): a report is a latentbench.reports.Report, "
                        f"not {type(report).__name__}")
    with _lock:
        _reports[family] = report
    return report


def report_for(family: str) -> Report:
    """The report of `family`: a registered one, else the built-in one, else an empty `Report` (task figures only)."""
    with _lock:
        if family in _reports:
            return _reports[family]
    if family in _BUILTIN:
        return importlib.import_module(_BUILTIN[family]).REPORT
    return Report()


def registered_families() -> list[str]:
    """Families with a report registered by a plugin (the built-in ones are found by their tasks)."""
    with _lock:
        return list(_reports)


__all__ = ["Report", "register_report", "registered_families", "report_for"]
