"""Fixtures of the site tests (what the site holds: see site_fixture.py)."""

from __future__ import annotations

import pytest
from site_fixture import build_smoke_site


@pytest.fixture(scope="session")
def smoke_site(tmp_path_factory):
    return build_smoke_site(tmp_path_factory.mktemp("site"))
