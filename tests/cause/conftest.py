"""Fixtures for the cause-attribution tests: the handbook tables and reference figures kept in the project."""

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
#: Verbatim excerpts (Tables 2-2, 2-3, 2-4, 6-1, with printed page numbers) of NASA/TM-2009-214785.
HANDBOOK_TABLES = REPO / "tests" / "data" / "nasa-tm-2009-214785-tables.txt"
#: Published figures with their sources.
REFERENCE_FIGURES = REPO / "docs" / "reference" / "figures.md"


@pytest.fixture(scope="session")
def handbook_text() -> str:
    """The handbook tables the package transcribes, as printed (US Government work)."""
    return HANDBOOK_TABLES.read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def reference_readme() -> str:
    """``docs/reference/figures.md``: the published figures the tests check, with sources."""
    return REFERENCE_FIGURES.read_text(encoding="utf-8")
