"""Features of a pose that survive a change of person and camera: body-centred coordinates and joint angles.

All features here use the image landmarks only (never world landmarks), so landmark files from other
tools, which rarely carry world coordinates, get the same features as our own extraction. Image x and
y are scaled by the frame's width and height; :func:`metric_xyz` undoes that when the aspect is known.
"""

from __future__ import annotations

import numpy as np

from .sequence import LANDMARK_INDEX, PoseSequence

_L = LANDMARK_INDEX

# Joint angles by name: (a, vertex, b) -> the angle at the vertex between the segments to a and b.
JOINT_ANGLES: dict[str, tuple[int, int, int]] = {
    "left_elbow": (_L["left_shoulder"], _L["left_elbow"], _L["left_wrist"]),
    "right_elbow": (_L["right_shoulder"], _L["right_elbow"], _L["right_wrist"]),
    "left_shoulder": (_L["left_hip"], _L["left_shoulder"], _L["left_elbow"]),
    "right_shoulder": (_L["right_hip"], _L["right_shoulder"], _L["right_elbow"]),
    "left_hip": (_L["left_shoulder"], _L["left_hip"], _L["left_knee"]),
    "right_hip": (_L["right_shoulder"], _L["right_hip"], _L["right_knee"]),
    "left_knee": (_L["left_hip"], _L["left_knee"], _L["left_ankle"]),
    "right_knee": (_L["right_hip"], _L["right_knee"], _L["right_ankle"]),
    "left_ankle": (_L["left_knee"], _L["left_ankle"], _L["left_foot_index"]),
    "right_ankle": (_L["right_knee"], _L["right_ankle"], _L["right_foot_index"]),
}
ANGLE_NAMES: tuple[str, ...] = (*JOINT_ANGLES, "trunk_lean")


def metric_xyz(seq: PoseSequence) -> np.ndarray:
    """(T, 33, 3) coordinates in units of the frame height, so that angles are not skewed by the aspect.

    MediaPipe's x is a fraction of the width and y of the height; z is on x's scale. Without a known
    frame size (``meta['width']``, ``meta['height']``) the aspect is taken as 1.
    """
    width, height = seq.meta.get("width"), seq.meta.get("height")
    aspect = float(width) / float(height) if width and height else 1.0
    xyz = seq.xyz.copy()
    xyz[..., 0] *= aspect
    xyz[..., 2] *= aspect
    return xyz


def mid(points: np.ndarray, a: str, b: str) -> np.ndarray:
    """Midpoint of two named landmarks, over any leading axes."""
    return (points[..., _L[a], :] + points[..., _L[b], :]) / 2


def torso_size(points: np.ndarray) -> np.ndarray:
    """Distance from mid-hip to mid-shoulder per frame (the body's own ruler)."""
    return np.linalg.norm(mid(points, "left_shoulder", "right_shoulder") - mid(points, "left_hip", "right_hip"), axis=-1)


def normalize(points: np.ndarray) -> np.ndarray:
    """Centre each frame on the mid-hip and divide by its torso size: removes position and distance.

    ``points`` is (T, 33, D); NaN frames stay NaN. The torso size is floored to avoid blowing up on
    degenerate detections.
    """
    centre = mid(points, "left_hip", "right_hip")[..., None, :]
    scale = np.maximum(torso_size(points), 1e-3)[..., None, None]
    return (points - centre) / scale


def angle_at(points: np.ndarray, a: int, vertex: int, b: int) -> np.ndarray:
    """Angle in degrees at ``vertex`` between the segments to ``a`` and ``b``; points is (..., 33, D)."""
    u = points[..., a, :] - points[..., vertex, :]
    v = points[..., b, :] - points[..., vertex, :]
    cos = np.sum(u * v, axis=-1) / np.maximum(np.linalg.norm(u, axis=-1) * np.linalg.norm(v, axis=-1), 1e-9)
    return np.degrees(np.arccos(np.clip(cos, -1.0, 1.0)))


def trunk_lean(points: np.ndarray) -> np.ndarray:
    """Angle in degrees between the hip->shoulder line and straight up in the image (0 upright, 90 lying)."""
    spine = mid(points, "left_shoulder", "right_shoulder")[..., :2] - mid(points, "left_hip", "right_hip")[..., :2]
    up = np.array([0.0, -1.0])  # image y grows downwards
    cos = (spine @ up) / np.maximum(np.linalg.norm(spine, axis=-1), 1e-9)
    return np.degrees(np.arccos(np.clip(cos, -1.0, 1.0)))


def joint_angles(points: np.ndarray, dims: int = 2) -> np.ndarray:
    """(T, len(ANGLE_NAMES)) joint angles in degrees, in the order of :data:`ANGLE_NAMES`.

    ``dims=2`` uses x and y only (robust: MediaPipe's image z is noisy); ``dims=3`` adds z.
    """
    p = points[..., :dims]
    angles = [angle_at(p, *triple) for triple in JOINT_ANGLES.values()]
    angles.append(trunk_lean(points))
    return np.stack(angles, axis=-1).astype(np.float32)


def sequence_angles(seq: PoseSequence, dims: int = 2) -> np.ndarray:
    """Joint angles of a sequence, aspect-corrected; NaN where no pose."""
    return joint_angles(metric_xyz(seq), dims)
