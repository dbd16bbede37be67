"""A cell's wall-time limit never lands inside an import: the module is whole afterwards, so later cells can use it."""
from __future__ import annotations

import sys
import threading

import pytest

from latentbench.execute import _time_limit, _Timeout


def _overrun_during_import(tmp_path, name: str) -> None:
    (tmp_path / f"{name}.py").write_text("import time\ntime.sleep(0.6)\nWHOLE = True\n")
    sys.path.insert(0, str(tmp_path))
    try:
        with pytest.raises(_Timeout):
            with _time_limit(0.1):
                __import__(name)
                while True:  # the overrun is raised here, once the import has finished
                    pass
    finally:
        sys.path.remove(str(tmp_path))
    assert sys.modules[name].WHOLE


def test_main_thread_alarm_waits_for_the_import(tmp_path):
    _overrun_during_import(tmp_path, "lb_slow_import_main")


def test_worker_thread_limit_waits_for_the_import(tmp_path):
    errors: list[BaseException] = []

    def work() -> None:
        try:
            _overrun_during_import(tmp_path, "lb_slow_import_thread")
        except BaseException as exc:  # noqa: BLE001 - reported to the test's thread
            errors.append(exc)

    t = threading.Thread(target=work)
    t.start()
    t.join(30)
    assert not t.is_alive() and not errors, errors
