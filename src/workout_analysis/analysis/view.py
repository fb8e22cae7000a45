"""Which way the camera faces the person: front, side or angled.

Two cues, both per frame, then the median over the sequence:
- the yaw of the shoulder and hip lines, from MediaPipe's depth: atan2(|z_left - z_right|, width in the
  image). Facing the camera both shoulders are at the same depth (0 deg); seen from the side one
  hides behind the other (90 deg).
- the width of the shoulders and hips against the torso length: seen from the side both shrink to a
  sliver (under ``SIDE_WIDTH`` torso lengths), whatever the depth estimate says.
Thresholds: measured on synthetic people filmed from known directions (front: yaw 1-41 deg,
45 deg: 60-78 deg, side: 81-88 deg) and set in the gaps between them.
"""

from __future__ import annotations

import warnings

import numpy as np

from ..features import metric_xyz, torso_size
from ..sequence import LANDMARK_INDEX, PoseSequence

_L = LANDMARK_INDEX
FRONT_MAX_YAW = 48.0  # degrees; front views measured up to ~41
SIDE_MIN_YAW = 80.0  # degrees; side views measured from ~81, 45-degree views up to ~78
SIDE_WIDTH = 0.25  # shoulder and hip widths under this many torso lengths: a side view
VIEWS = ("front", "side", "angled")


def view_cues(points: np.ndarray) -> tuple[float, float]:
    """(yaw in degrees, shoulder+hip width in torso lengths) of (T, 33, 3) aspect-corrected landmarks."""
    torso = torso_size(points[..., :2])
    yaws, widths = [], []
    for a, b in (("left_shoulder", "right_shoulder"), ("left_hip", "right_hip")):
        d = points[:, _L[a]] - points[:, _L[b]]
        w = np.linalg.norm(d[:, :2], axis=-1)
        yaws.append(np.degrees(np.arctan2(np.abs(d[:, 2]), w)))
        widths.append(w / np.maximum(torso, 1e-6))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN (no pose) gives NaN, handled by the caller
        return float(np.nanmedian(np.mean(yaws, axis=0))), float(np.nanmedian(np.max(widths, axis=0)))


def detect_view(seq: PoseSequence) -> str:
    """'front', 'side' or 'angled' for the whole sequence ('angled' when there is no pose to judge)."""
    return view_of(metric_xyz(seq))


def view_of(points: np.ndarray) -> str:
    """The view of (T, 33, 3) aspect-corrected landmarks (see :func:`detect_view`)."""
    yaw, width = view_cues(points)
    if not np.isfinite(yaw):
        return "angled"
    if yaw >= SIDE_MIN_YAW or width < SIDE_WIDTH:
        return "side"
    return "front" if yaw <= FRONT_MAX_YAW else "angled"


def near_side(points: np.ndarray) -> str:
    """'left' or 'right': the side nearer the camera (smaller MediaPipe z), the one to measure in a side view."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        dz = np.nanmedian(points[:, [_L["left_shoulder"], _L["left_hip"]], 2] - points[:, [_L["right_shoulder"], _L["right_hip"]], 2])
    return "left" if not dz > 0 else "right"
