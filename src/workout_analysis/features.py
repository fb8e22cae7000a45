"""Features of a pose that survive a change of person and camera: body-centred coordinates and joint angles.

All features here use the image landmarks only (never world landmarks), so landmark files from other
tools, which rarely carry world coordinates, get the same features as our own extraction. Image x and
y are scaled by the frame's width and height; :func:`metric_xyz` undoes that when the aspect is known.
"""

from __future__ import annotations

from dataclasses import dataclass

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
    return undo_aspect(seq.xyz.copy(), frame_aspect(seq.meta.get("width"), seq.meta.get("height")))


def frame_aspect(width: float | None, height: float | None) -> float:
    """Width over height of the frame; 1 (square) when the size is unknown."""
    return float(width) / float(height) if width and height else 1.0


def undo_aspect(points: np.ndarray, aspect: float) -> np.ndarray:
    """Scale x and z (both on the width's scale) by ``aspect``, in place, so all axes are in frame heights.

    ``points`` is (..., 3+) image landmarks; returned for chaining. One frame at a time (live) or a
    whole sequence (:func:`metric_xyz`) get the same correction.
    """
    points[..., 0] *= aspect
    points[..., 2] *= aspect
    return points


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


# --- Model features: resampling, windows, per-frame and velocity features ---------------------------
#
# Every model sees the same pipeline, so that training, whole-video prediction and streaming agree:
#   sequence -> metric points (T, 33, 4: x, y, z in frame heights + visibility) -> resampled to a
#   canonical frame rate by nearest frame -> windows of ``window`` frames every ``hop`` frames ->
#   gaps filled inside each window -> (window, features) matrix.
# Each step after resampling only looks inside its window, so a stream that has seen a window's
# frames computes exactly what the whole-video pass computes.

# Landmarks the "pose" features keep: the body, without the face and the finger detail that
# MediaPipe guesses badly and that no exercise here depends on.
BODY_LANDMARKS: tuple[int, ...] = tuple(
    _L[n]
    for n in (
        "nose", "left_shoulder", "right_shoulder", "left_elbow", "right_elbow", "left_wrist", "right_wrist",
        "left_index", "right_index", "left_hip", "right_hip", "left_knee", "right_knee", "left_ankle",
        "right_ankle", "left_heel", "right_heel", "left_foot_index", "right_foot_index",
    )
)  # fmt: skip

FEATURE_KINDS = ("raw99", "pose")


def _pose_layout() -> dict[str, slice]:
    parts = {"position": 2 * len(BODY_LANDMARKS), "angle": len(ANGLE_NAMES)}
    parts |= {f"{name}_velocity": size for name, size in parts.items()} | {"hip_velocity": 2}
    layout, start = {}, 0
    for name, size in parts.items():
        layout[name] = slice(start, start + size)
        start += size
    return layout


# Where each part lies in a frame of the "pose" features, in the order :func:`window_features`
# builds them: x, y of the body landmarks, joint angles, the velocities of both, the hip's velocity.
POSE_LAYOUT: dict[str, slice] = _pose_layout()


@dataclass(frozen=True)
class FeatureSpec:
    """What a model sees per frame; stored in every bundle so that prediction computes the same thing.

    ``kind="raw99"``: the original design's 99 values (x, y, z of the 33 landmarks, as given).
    ``kind="pose"``: hip-centred, torso-scaled x, y of the body landmarks, joint angles (radians/pi),
    their velocities (per second) and the hip centre's velocity (torso sizes per second).
    ``canonical=True`` first turns each frame about the vertical axis so that the hips face the
    camera (uses MediaPipe's noisy z; off by default).
    """

    kind: str = "pose"
    canonical: bool = False
    fps: float = 15.0

    def __post_init__(self) -> None:
        if self.kind not in FEATURE_KINDS:
            raise ValueError(f"unknown feature kind {self.kind!r}; choose one of {', '.join(FEATURE_KINDS)}")

    @property
    def size(self) -> int:
        if self.kind == "raw99":
            return 99
        return POSE_LAYOUT["hip_velocity"].stop

    def to_dict(self) -> dict:
        return {"kind": self.kind, "canonical": self.canonical, "fps": self.fps}

    @classmethod
    def from_dict(cls, d: dict) -> FeatureSpec:
        return cls(str(d["kind"]), bool(d["canonical"]), float(d["fps"]))


def metric_points(seq: PoseSequence) -> np.ndarray:
    """(T, 33, 4): :func:`metric_xyz` plus visibility; NaN where no pose."""
    return np.concatenate([metric_xyz(seq), seq.visibility[..., None]], axis=-1).astype(np.float32)


def resample_index(timestamps: np.ndarray, fps: float) -> np.ndarray:
    """Index of the frame nearest to each tick ``t0 + k / fps`` (k = 0, 1, ... up to the last timestamp).

    Ties go to the earlier frame. Only the frames around a tick decide it, so a stream can take the
    same decision as soon as it has seen the first frame at or after the tick (see :class:`Resampler`).
    """
    ts = np.asarray(timestamps, dtype=np.float64)
    if len(ts) == 0:
        return np.zeros(0, dtype=np.int64)
    ticks = ts[0] + np.arange(int(np.floor((ts[-1] - ts[0]) * fps + 1e-9)) + 1) / fps
    after = np.clip(np.searchsorted(ts, ticks, side="left"), 0, len(ts) - 1)
    before = np.maximum(after - 1, 0)
    take_before = (ticks - ts[before]) <= (ts[after] - ticks)
    return np.where(take_before, before, after)


class Resampler:
    """Streaming twin of :func:`resample_index`: push frames, get the resampled ones when decided."""

    def __init__(self, fps: float) -> None:
        self.fps = fps
        self.t0: float | None = None
        self.k = 0
        self.prev: tuple[float, np.ndarray] | None = None

    def push(self, frame: np.ndarray, timestamp: float) -> list[np.ndarray]:
        """Feed one frame; returns the resampled frames decided by it (zero, one or several)."""
        if self.t0 is None:
            self.t0 = timestamp
        last_tick = int(np.floor((timestamp - self.t0) * self.fps + 1e-9))
        out = []
        while self.k <= last_tick:
            tick = self.t0 + self.k / self.fps
            take_prev = self.prev is not None and (tick - self.prev[0]) <= (timestamp - tick)
            out.append(self.prev[1] if take_prev else frame)
            self.k += 1
        self.prev = (timestamp, frame)
        return out


def window_starts(n: int, window: int, hop: int) -> np.ndarray:
    """Start indices of the windows over ``n`` resampled frames; a sequence shorter than one window
    gets one window (padded, see :func:`take_windows`)."""
    if n <= 0:
        return np.zeros(0, dtype=np.int64)
    return np.arange(0, max(n - window, 0) + 1, hop)


def take_windows(points: np.ndarray, starts: np.ndarray, window: int) -> np.ndarray:
    """(len(starts), window, 33, 4) windows; frames past the end repeat the last one."""
    idx = np.minimum(starts[:, None] + np.arange(window)[None, :], len(points) - 1)
    return points[idx]


def fill_gaps(windows: np.ndarray) -> np.ndarray:
    """Fill frames without a pose inside each window by linear interpolation (nearest at the edges).

    ``windows`` is (B, W, 33, C); a window with no pose at all stays NaN.
    """
    missing = np.isnan(windows[..., 0, 0])  # (B, W): a frame has all landmarks or none
    rows = np.flatnonzero(missing.any(axis=1))
    if len(rows) == 0:
        return windows
    gappy, missing = windows[rows], missing[rows]
    n = windows.shape[1]
    t = np.arange(n)
    prev = np.maximum.accumulate(np.where(missing, -1, t), axis=1)
    nxt = np.flip(np.minimum.accumulate(np.flip(np.where(missing, n, t), axis=1), axis=1), axis=1)
    lo = np.where(prev < 0, nxt, prev).clip(0, n - 1)
    hi = np.where(nxt >= n, prev, nxt).clip(0, n - 1)
    w = np.where(hi > lo, (t - lo) / np.maximum(hi - lo, 1), 0.0).astype(windows.dtype)[..., None, None]
    take = lambda i: np.take_along_axis(gappy, i[..., None, None], axis=1)  # noqa: E731
    out = windows.copy()
    out[rows] = take(lo) * (1 - w) + take(hi) * w
    return out


def coverage(windows: np.ndarray) -> np.ndarray:
    """(B,) share of frames with a pose in each window."""
    return (~np.isnan(windows[..., 0, 0])).mean(axis=1)


def canonical_rotation(points: np.ndarray) -> np.ndarray:
    """Turn each frame about the vertical (image y) axis so that the hip line lies in the image plane."""
    hips = points[..., _L["right_hip"], :] - points[..., _L["left_hip"], :]
    theta = np.arctan2(hips[..., 2], hips[..., 0])[..., None]  # angle of the hip line out of the x axis
    centre = mid(points, "left_hip", "right_hip")[..., None, :]
    p = points - centre
    c, s = np.cos(theta), np.sin(theta)
    x = p[..., 0] * c + p[..., 2] * s
    z = -p[..., 0] * s + p[..., 2] * c
    return np.stack([x, p[..., 1], z], axis=-1) + centre


def window_features(windows: np.ndarray, spec: FeatureSpec) -> np.ndarray:
    """(B, W, spec.size) float32 features of gap-filled windows of metric points (B, W, 33, >=3)."""
    xyz = windows[..., :3].astype(np.float32)
    if spec.canonical:
        xyz = canonical_rotation(xyz)
    if spec.kind == "raw99":
        return xyz.reshape(*xyz.shape[:2], 99)
    body = normalize(xyz)[..., BODY_LANDMARKS, :2]
    body = body.reshape(*body.shape[:2], -1)
    angles = np.radians(joint_angles(xyz)) / np.pi
    per_frame = np.concatenate([body, angles], axis=-1)
    velocity = np.diff(per_frame, axis=1, prepend=per_frame[:, :1]) * spec.fps
    # The whole body's motion (pull-up vs lat pulldown, jumping jack): hip centre in torso sizes.
    scale = np.maximum(np.nanmean(torso_size(xyz), axis=1), 1e-3)[:, None, None]
    hip = mid(xyz, "left_hip", "right_hip")[..., :2] / scale
    hip_velocity = np.diff(hip, axis=1, prepend=hip[:, :1]) * spec.fps
    return np.concatenate([per_frame, velocity, hip_velocity], axis=-1).astype(np.float32)
