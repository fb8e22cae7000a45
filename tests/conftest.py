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


def shared_clip_frames(*parts: str) -> list:
    """The BGR frames of a shared clip (skips without it), to build test videos from with render.write_video."""
    import cv2

    capture = cv2.VideoCapture(str(shared_path(*parts)))
    frames = []
    while (read := capture.read())[0]:
        frames.append(read[1])
    capture.release()
    return frames


@pytest.fixture
def shared_videos() -> Path:
    return shared_path("videos")


@pytest.fixture
def shared_landmarks() -> Path:
    return shared_path("landmarks")


def write_test_video(path: Path, frames: int, fps: float = 25.0, size: tuple[int, int] = (160, 120),
                     fourcc: str = "mp4v") -> Path:
    """Write a small synthetic video with OpenCV: a grey scene with a moving box, no person in it."""
    import cv2
    import numpy as np

    path.parent.mkdir(parents=True, exist_ok=True)
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*fourcc), fps, size)
    assert writer.isOpened(), f"OpenCV cannot write {path}"
    for i in range(frames):
        image = np.full((size[1], size[0], 3), 90, np.uint8)
        cv2.rectangle(image, (10 + 2 * i, 20), (50 + 2 * i, 70), (40, 140, 220), -1)
        writer.write(image)
    writer.release()
    return path
