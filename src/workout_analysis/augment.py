"""Training-time augmentation of pose windows: new camera angles, bodies, tempos and detector faults.

Every function takes windows of metric points, shape (B, W, 33, C) with C >= 3 (x, y, z in frame
heights, then visibility), and a numpy ``Generator``, and returns new arrays; a frame without a
pose is NaN and stays so. They are applied to training windows only, after the split (see
``train.py``), so no augmented copy of a validation or test video is ever trained on.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

from .features import mid, torso_size
from .sequence import MIRROR_INDEX


def _hip_centre(windows: np.ndarray) -> np.ndarray:
    """(B, 1, 1, 3) mean mid-hip of each window, the pivot for rotations and scaling."""
    centre = np.nanmean(mid(windows[..., :3], "left_hip", "right_hip"), axis=1)
    return np.nan_to_num(centre).astype(windows.dtype)[:, None, None, :]


def _per_window(rng: np.random.Generator, n: int, low: float, high: float) -> np.ndarray:
    """(n, 1, 1) random values, float32 so that float32 windows stay float32 (speed)."""
    return rng.uniform(low, high, n).astype(np.float32)[:, None, None]


def rotate_vertical(windows: np.ndarray, rng: np.random.Generator, max_deg: float) -> np.ndarray:
    """Turn the body about the vertical axis through the hips (the camera walks around the person)."""
    out = windows.copy()
    theta = np.radians(_per_window(rng, len(windows), -max_deg, max_deg))
    p = windows[..., :3] - _hip_centre(windows)
    c, s = np.cos(theta), np.sin(theta)
    out[..., 0] = p[..., 0] * c + p[..., 2] * s
    out[..., 2] = -p[..., 0] * s + p[..., 2] * c
    out[..., [0, 2]] += _hip_centre(windows)[..., [0, 2]]
    return out


def rotate_image_plane(windows: np.ndarray, rng: np.random.Generator, max_deg: float) -> np.ndarray:
    """Roll the camera: rotate x, y about the hips."""
    out = windows.copy()
    theta = np.radians(_per_window(rng, len(windows), -max_deg, max_deg))
    centre = _hip_centre(windows)
    p = windows[..., :3] - centre
    c, s = np.cos(theta), np.sin(theta)
    out[..., 0] = p[..., 0] * c - p[..., 1] * s + centre[..., 0]
    out[..., 1] = p[..., 0] * s + p[..., 1] * c + centre[..., 1]
    return out


def scale(windows: np.ndarray, rng: np.random.Generator, amount: float) -> np.ndarray:
    """Scale about the hips by up to ``1 +- amount`` (distance to the camera), and stretch x alone by
    up to half that (a wrong frame aspect, or a broader or narrower body)."""
    out = windows.copy()
    centre = _hip_centre(windows)
    overall = _per_window(rng, len(windows), 1 - amount, 1 + amount)
    stretch = _per_window(rng, len(windows), 1 - amount / 2, 1 + amount / 2)
    out[..., :3] = (windows[..., :3] - centre) * overall[..., None] + centre
    out[..., 0] = (out[..., 0] - centre[..., 0]) * stretch + centre[..., 0]
    return out


def mirror(windows: np.ndarray, rng: np.random.Generator, p: float = 0.5) -> np.ndarray:
    """With probability ``p`` per window, flip left and right: negate x about the hips and swap the
    left and right landmarks, so the mirrored left knee is the right knee."""
    out = windows.copy()
    flip = rng.random(len(windows)) < p
    centre = _hip_centre(windows[flip])
    flipped = windows[flip][:, :, list(MIRROR_INDEX)]
    flipped[..., 0] = 2 * centre[..., 0] - flipped[..., 0]
    out[flip] = flipped
    return out


def jitter(windows: np.ndarray, rng: np.random.Generator, sigma: float) -> np.ndarray:
    """Gaussian noise on x, y, z of ``sigma`` torso sizes (detector jitter)."""
    out = windows.copy()
    torso = np.nan_to_num(np.nanmean(torso_size(windows[..., :3]), axis=1), nan=0.25)[:, None, None, None]
    out[..., :3] += (rng.standard_normal(windows[..., :3].shape, dtype=np.float32) * sigma) * torso.astype(windows.dtype)
    return out


def drop_landmarks(windows: np.ndarray, rng: np.random.Generator, p: float, max_count: int = 3) -> np.ndarray:
    """With probability ``p`` per window, freeze up to ``max_count`` landmarks at their window mean,
    with noise and low visibility (what the detector reports for an occluded or lost joint)."""
    out = windows.copy()
    for b in np.flatnonzero(rng.random(len(windows)) < p):
        joints = rng.choice(windows.shape[2], rng.integers(1, max_count + 1), replace=False)
        seen = ~np.isnan(windows[b, :, 0, 0])  # frames without a pose stay without
        frames = np.ix_(np.flatnonzero(seen), joints)
        mean = windows[b][frames][..., :3].mean(axis=0)
        out[b][frames + (slice(0, 3),)] = mean + rng.normal(0.0, 0.01, (seen.sum(), len(joints), 3))
        if windows.shape[-1] > 3:
            out[b][frames + (3,)] = rng.uniform(0.0, 0.3)
    return out


def drop_frames(windows: np.ndarray, rng: np.random.Generator, p: float) -> np.ndarray:
    """Blank each frame with probability ``p`` (no pose found), keeping at least one frame per window."""
    out = windows.copy()
    drop = rng.random(windows.shape[:2]) < p
    drop[np.arange(len(windows)), rng.integers(0, windows.shape[1], len(windows))] = False
    out[drop] = np.nan
    return out


def time_warp_crop(points: np.ndarray, start: float, window: int, speed: float) -> np.ndarray:
    """(window, 33, C) frames from ``points`` starting at ``start`` played at ``speed`` (1 = as is),
    by linear interpolation between frames; past the end repeats the last frame."""
    t = np.clip(start + np.arange(window) * speed, 0, len(points) - 1)
    lo = np.floor(t).astype(int)
    hi = np.minimum(lo + 1, len(points) - 1)
    w = (t - lo)[:, None, None]
    return (points[lo] * (1 - w) + points[hi] * w).astype(points.dtype)


@dataclass(frozen=True)
class Augmenter:
    """The augmentation recipe; a strength of 0 turns that augmentation off (used by the ablation).

    ``time_warp`` is the largest speed change (0.3: played at 0.7x to 1.3x); it is applied where
    windows are cut from a sequence (``train.sample_windows``), the rest here.
    """

    vertical_rotation: float = 35.0  # degrees
    image_rotation: float = 12.0  # degrees
    scale: float = 0.15
    mirror: float = 0.5  # probability
    time_warp: float = 0.3
    jitter: float = 0.02  # torso sizes
    drop_landmarks: float = 0.2  # probability per window
    drop_frames: float = 0.05  # probability per frame

    def __call__(self, windows: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        w = windows
        if self.vertical_rotation:
            w = rotate_vertical(w, rng, self.vertical_rotation)
        if self.image_rotation:
            w = rotate_image_plane(w, rng, self.image_rotation)
        if self.scale:
            w = scale(w, rng, self.scale)
        if self.mirror:
            w = mirror(w, rng, self.mirror)
        if self.jitter:
            w = jitter(w, rng, self.jitter)
        if self.drop_landmarks:
            w = drop_landmarks(w, rng, self.drop_landmarks)
        if self.drop_frames:
            w = drop_frames(w, rng, self.drop_frames)
        return w

    def to_dict(self) -> dict:
        return {f.name: getattr(self, f.name) for f in fields(self)}

    @classmethod
    def none(cls) -> Augmenter:
        return cls(**{f.name: 0.0 for f in fields(cls)})
