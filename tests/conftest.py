"""Fixtures for every test: where the project's own reference figures live.

Nothing here reads outside the repository: the published figures the tests check are kept in
``docs/reference/figures.md`` and ``tests/data/`` with their sources.
"""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
#: Published figures with their sources (tables read by tests).
REFERENCE_FIGURES = REPO / "docs" / "reference" / "figures.md"
#: Verbatim excerpts (Tables 2-2, 2-3, 2-4, 6-1) of NASA/TM-2009-214785, a US Government work.
HANDBOOK_TABLES = REPO / "tests" / "data" / "nasa-tm-2009-214785-tables.txt"


@pytest.fixture(scope="session")
def reference_figures() -> str:
    """Text of ``docs/reference/figures.md``."""
    return REFERENCE_FIGURES.read_text(encoding="utf-8")
