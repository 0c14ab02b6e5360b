"""Shared fixtures: where ../shared lives, and a temporary folder per test."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """The ../shared folder beside the repo (design notes and reference data; CI has it too)."""
    assert SHARED.is_dir(), f"../shared not found beside the repo at {SHARED}"
    return SHARED
