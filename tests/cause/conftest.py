"""Shared fixtures for the cause-attribution tests."""

from pathlib import Path

import pytest

SHARED = Path(__file__).resolve().parents[2] / ".." / "shared"
HANDBOOK_TXT = SHARED / "reference" / "nasa-tm-2009-214785" / "handbook.txt"
REFERENCE_README = SHARED / "reference" / "README.md"


@pytest.fixture(scope="session")
def handbook_text() -> str:
    return HANDBOOK_TXT.read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def reference_readme() -> str:
    return REFERENCE_README.read_text(encoding="utf-8")
