"""Shared fixtures. Real data lives in ../shared/data (never in this repo); tests that need it skip without it."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(__import__("os").environ.get("WORKOUT_SHARED_DATA", ROOT.parent / "shared" / "data"))


def shared_path(*parts: str) -> Path:
    """A path inside the shared data folder; skips the calling test when it is absent."""
    path = SHARED_DATA.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"shared data not available: {path} (set WORKOUT_SHARED_DATA or place ../shared/data)")
    return path


@pytest.fixture
def shared_videos() -> Path:
    return shared_path("videos")


@pytest.fixture
def shared_landmarks() -> Path:
    return shared_path("landmarks")
