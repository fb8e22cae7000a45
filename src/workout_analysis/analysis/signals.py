"""One number per frame that rises and falls once per repetition, and the tools to clean it.

Each exercise names a few candidate signals (a joint angle, or a body-scaled height) and which end of
the signal is the *rest* position (standing for a squat, arms straight for a push-up). The counter picks
the candidate that repeats most clearly, so a signal the camera view hides (a knee angle seen from the
front) gives way to one it shows. Anything else falls back to the most periodic principal component of
the whole normalised pose.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
from scipy.ndimage import gaussian_filter1d, median_filter

from ..exercises import ALL_EXERCISES
from ..features import ANGLE_NAMES, joint_angles, mid, normalize, torso_size
from ..sequence import LANDMARK_INDEX

_L = LANDMARK_INDEX
_A = {name: i for i, name in enumerate(ANGLE_NAMES)}


@dataclass(frozen=True)
class SignalSpec:
    """A candidate signal: its name (see :func:`signal_values`) and whether rest is its high or low end."""

    name: str
    rest_high: bool


def _y(points: np.ndarray, *names: str) -> np.ndarray:
    """Mean image height (y grows downwards) of named landmarks, ignoring missing ones."""
    return np.nanmean(np.stack([points[:, _L[n], 1] for n in names]), axis=0)


def _pair(values: np.ndarray, name: str) -> np.ndarray:
    """Mean of the left and right joint angle, or the one side that is present."""
    return np.nanmean(np.stack([values[:, _A[f"left_{name}"]], values[:, _A[f"right_{name}"]]]), axis=0)


def signal_values(points: np.ndarray, name: str, scale: float | np.ndarray | None = None) -> np.ndarray:
    """(T,) values of the named signal from (T, 33, >=2) aspect-corrected landmarks.

    Angles are in degrees; positions are in torso lengths (``scale``: the torso length to divide by,
    per frame or one number; the median torso length when omitted). Positive heights mean higher up.
    """
    # frames without a pose are all-NaN and stay NaN: silence numpy's "mean of empty slice" about them
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        if name in ("elbow", "knee", "hip", "shoulder", "ankle"):
            return _pair(joint_angles(points[..., :2]), name)
        if name == "trunk_lean":
            return joint_angles(points[..., :2])[:, _A["trunk_lean"]]
        if scale is None:
            scale = float(np.nanmedian(torso_size(points[..., :2]))) if np.isfinite(points).any() else 1.0
        scale = np.maximum(scale, 1e-3)
        if name == "wrist_height":  # wrists above the shoulders: raises, presses, curls seen from the front
            return (_y(points, "left_shoulder", "right_shoulder") - _y(points, "left_wrist", "right_wrist")) / scale
        if name == "shoulder_height":  # shoulders above the wrists: push-ups, dips, bench press
            return (_y(points, "left_wrist", "right_wrist") - _y(points, "left_shoulder", "right_shoulder")) / scale
        if name == "hip_height":  # hips above the ankles: squats, lunges, deadlifts, bridges
            return (_y(points, "left_ankle", "right_ankle") - _y(points, "left_hip", "right_hip")) / scale
        if name == "head_height":  # head above the wrists: pull-ups, sit-ups seen from the side
            return (_y(points, "left_wrist", "right_wrist") - points[:, _L["nose"], 1]) / scale
        if name == "head_over_hips":  # head above the hips: sit-ups, crunches
            return (_y(points, "left_hip", "right_hip") - points[:, _L["nose"], 1]) / scale
        if name == "knee_height":  # knees above the hips: leg raises, mountain climbers
            return (_y(points, "left_hip", "right_hip") - _y(points, "left_knee", "right_knee")) / scale
        if name == "knee_drive":  # the higher knee above the hips: one peak per knee drive, either leg
            return np.fmax(points[:, _L["left_hip"], 1] - points[:, _L["left_knee"], 1],
                           points[:, _L["right_hip"], 1] - points[:, _L["right_knee"], 1]) / scale  # fmt: skip
        if name == "ankle_height":
            return (_y(points, "left_hip", "right_hip") - _y(points, "left_ankle", "right_ankle")) / scale
        if name == "shrug_height":  # shoulders towards the ears
            return (_y(points, "left_ear", "right_ear") - _y(points, "left_shoulder", "right_shoulder")) / scale
        if name == "arm_spread":
            return np.abs(points[:, _L["left_wrist"], 0] - points[:, _L["right_wrist"], 0]) / scale
        if name == "leg_spread":
            return np.abs(points[:, _L["left_ankle"], 0] - points[:, _L["right_ankle"], 0]) / scale
        if name == "twist_abs":  # hands away from the midline to either side: one peak per twist
            return np.abs(mid(points, "left_wrist", "right_wrist")[:, 0] - mid(points, "left_hip", "right_hip")[:, 0]) / scale
    raise ValueError(f"unknown signal {name!r}")


def _s(*specs: str) -> tuple[SignalSpec, ...]:
    """'elbow+' -> SignalSpec('elbow', rest_high=True); a trailing '-' means rest is the low end."""
    return tuple(SignalSpec(s[:-1], s.endswith("+")) for s in specs)


# Candidate signals per exercise, the one that best follows the movement first. Rest ends: a squat
# rests standing (knee angle high), a shoulder press rests with the bar at the shoulders (elbow low).
EXERCISE_SIGNALS: dict[str, tuple[SignalSpec, ...]] = {
    "barbell_row": _s("elbow+", "wrist_height-"),
    "bench_press": _s("elbow+", "wrist_height+", "shoulder_height+"),
    "bicep_curl": _s("elbow+", "wrist_height-"),
    "chest_fly": _s("arm_spread+", "elbow+", "shoulder+"),
    "crunch": _s("hip+", "head_over_hips-", "trunk_lean+"),
    "deadlift": _s("hip+", "hip_height+", "trunk_lean-", "knee+"),
    "decline_bench_press": _s("elbow+", "wrist_height+"),
    "donkey_kick": _s("hip-", "knee_height-", "ankle_height-"),
    "dumbbell_row": _s("elbow+", "wrist_height-"),
    "face_pull": _s("elbow+", "arm_spread-"),
    "front_raise": _s("shoulder-", "wrist_height-"),
    "glute_bridge": _s("hip-", "hip_height-"),
    "hammer_curl": _s("elbow+", "wrist_height-"),
    "hip_thrust": _s("hip-", "hip_height-"),
    "incline_bench_press": _s("elbow+", "wrist_height+"),
    "jumping_jack": _s("shoulder-", "wrist_height-", "arm_spread-", "leg_spread-"),
    "lat_pulldown": _s("elbow+", "wrist_height+", "shoulder+"),
    "lateral_raise": _s("shoulder-", "wrist_height-", "arm_spread-"),
    "leg_curl": _s("knee+", "ankle_height-"),
    "leg_extension": _s("knee-", "ankle_height-"),
    "leg_raise": _s("hip+", "knee_height-", "ankle_height-"),
    "lunge": _s("knee+", "hip_height+", "hip+"),
    "mountain_climber": _s("knee_drive-", "hip+"),  # alternating: each knee drive is a rep
    "pull_up": _s("elbow+", "head_height-", "shoulder+"),
    "push_up": _s("elbow+", "shoulder_height+"),
    "romanian_deadlift": _s("hip+", "trunk_lean-", "hip_height+"),
    "russian_twist": _s("twist_abs-", "elbow+"),  # each twist, to either side, is a rep
    "seated_row": _s("elbow+", "arm_spread+"),
    "shoulder_press": _s("elbow-", "wrist_height-", "shoulder-"),
    "shrug": _s("shrug_height+",),
    "side_leg_raise": _s("leg_spread-", "hip+"),
    "sit_up": _s("hip+", "head_over_hips-", "trunk_lean+"),
    "squat": _s("knee+", "hip_height+", "hip+"),
    "superman": _s("hip-", "ankle_height-", "wrist_height-"),
    "t_bar_row": _s("elbow+", "wrist_height-"),
    "tricep_dips": _s("elbow+", "shoulder_height+"),
    "tricep_extension": _s("elbow+", "wrist_height+"),
    "tricep_pushdown": _s("elbow-", "wrist_height+"),
    "upright_row": _s("elbow+", "wrist_height-", "shoulder-"),
}
assert set(EXERCISE_SIGNALS) | {"plank"} == set(ALL_EXERCISES), "every exercise needs its signals"

PCA_SIGNAL = "pose_pc"  # the class-agnostic fallback's name

# Sides take turns and each side's move is a rep: the whole pose repeats only every second rep, so its
# principal components would count half; their own signals (both sides together) peak once per rep.
ALTERNATING: frozenset[str] = frozenset({"donkey_kick", "lunge", "mountain_climber", "russian_twist", "side_leg_raise"})


# The limbs and the torso's sides: a real person's bones keep their proportions from frame to frame (up to
# foreshortening); a detection that lands on another person, on the bench or on nobody does not.
BONES = tuple((_L[f"{side}_{a}"], _L[f"{side}_{b}"]) for side in ("left", "right") for a, b in (
    ("shoulder", "elbow"), ("elbow", "wrist"), ("hip", "knee"), ("knee", "ankle"), ("shoulder", "hip"))
) + ((_L["left_shoulder"], _L["right_shoulder"]), (_L["left_hip"], _L["right_hip"]))  # fmt: skip
MAX_BONE_DEVIATION = 0.5  # median |log| ratio of a frame's bone proportions to the sequence's: beyond, implausible


def bone_proportions(points: np.ndarray) -> np.ndarray:
    """(T, 12) image lengths of :data:`BONES`, each frame's summing to 1 (all NaN in a frame missing any of
    their 12 joints: such frames are never judged implausible)."""
    a, b = np.array(BONES).T
    lengths = np.linalg.norm(points[:, a, :2] - points[:, b, :2], axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return lengths / lengths.sum(axis=1, keepdims=True)


def bone_reference(points: np.ndarray) -> np.ndarray:
    """(12,) the sequence's own typical bone proportions (per-bone median over the frames with a pose)."""
    props = bone_proportions(points)
    props = props[np.isfinite(props).all(axis=1)]
    return np.median(props, axis=0) if len(props) else np.full(len(BONES), np.nan)


def implausible(points: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """(T,) frames whose skeleton is out of proportion with ``reference`` (:func:`bone_reference`).

    MediaPipe sometimes fits a skeleton to another person, to gym equipment or to a half-hidden body;
    its bones then shrink and stretch by half or double from one frame to the next, while a real
    body seen at any angle keeps most of its proportions (the median over 12 bones: foreshortening
    bends a few of them at a time). Such frames are better treated as gaps than as movement.
    """
    with np.errstate(invalid="ignore", divide="ignore"):
        deviation = np.median(np.abs(np.log(bone_proportions(points) / reference)), axis=1)
    return deviation > MAX_BONE_DEVIATION


def fill_gaps(x: np.ndarray, max_gap: int) -> np.ndarray:
    """Linearly interpolate NaN runs of at most ``max_gap`` samples between valid ones; longer runs stay NaN."""
    x = np.asarray(x, dtype=np.float64).copy()
    valid = np.isfinite(x)
    if valid.sum() < 2:
        return x
    idx = np.arange(len(x))
    filled = np.interp(idx, idx[valid], x[valid])
    # length of the NaN run each sample is in
    run_id = np.cumsum(valid)
    run_len = np.bincount(run_id, weights=~valid)[run_id]
    inside = (idx > idx[valid][0]) & (idx < idx[valid][-1])
    fill = ~valid & inside & (run_len <= max_gap)
    x[fill] = filled[fill]
    return x


def smooth(x: np.ndarray, sigma: float) -> np.ndarray:
    """Median (drops single-frame pose glitches) then Gaussian smoothing, NaN-aware: NaN stays NaN."""
    valid = np.isfinite(x)
    if valid.sum() < 3:
        return x.copy()
    filled = np.interp(np.arange(len(x)), np.flatnonzero(valid), x[valid])
    y = median_filter(filled, size=5, mode="nearest")
    if sigma > 0:
        y = gaussian_filter1d(y, sigma, mode="nearest")
    y[~valid] = np.nan
    return y


def periodicity(x: np.ndarray, min_lag: int, max_lag: int) -> tuple[float, int]:
    """How clearly ``x`` repeats: (autocorrelation at its best lag in [min_lag, max_lag], that lag).

    The score is near 1 for a clean repeating movement and near 0 for noise or a single movement.
    """
    v = x[np.isfinite(x)]
    n = len(v)
    max_lag = min(max_lag, n // 2)
    if n < 8 or max_lag <= min_lag:
        return 0.0, 0
    v = v - v.mean()
    if not v.any():
        return 0.0, 0
    spec = np.fft.rfft(v, 2 * n)
    ac = np.fft.irfft(spec * np.conj(spec))[:n]
    ac = ac / ac[0]  # the biased estimate: a lag seen over few cycles is trusted less
    # first lag where the autocorrelation stops falling, then its best peak in the allowed range
    seg = ac[min_lag : max_lag + 1]
    peaks = np.flatnonzero((seg[1:-1] >= seg[:-2]) & (seg[1:-1] >= seg[2:])) + 1
    if not len(peaks):
        return 0.0, 0
    # the fundamental: the shortest lag that repeats nearly as well as the best (multiples of the
    # period repeat too, and with fewer overlapping samples they can look slightly better by chance)
    top = seg[peaks].max()
    if top <= 0:
        return 0.0, 0
    best = peaks[np.flatnonzero(seg[peaks] >= 0.7 * top)[0]]
    return float(min(seg[best], 1.0)), int(best + min_lag)


def _body(points: np.ndarray) -> np.ndarray:
    """(T, 44) x, y of the 22 body landmarks (shoulders down: the face jitters), hip-centred, torso-scaled."""
    return normalize(points[..., :2])[:, 11:, :].reshape(len(points), -1)


def fit_pose_basis(points: np.ndarray, k: int = 3) -> tuple[np.ndarray, np.ndarray]:
    """(mean, components (k, 44)) of the normalised body pose: the class-agnostic fallback's signals.

    Whatever repeats in the whole pose shows up in one of the first principal components.
    """
    body = _body(points)
    body = body[np.isfinite(body).all(axis=1)]
    if len(body) < 3:
        return np.zeros(body.shape[1]), np.zeros((k, body.shape[1]))
    mean = body.mean(axis=0)
    _, _, vt = np.linalg.svd(body - mean, full_matrices=False)
    comps = np.zeros((k, body.shape[1]))
    comps[: min(k, len(vt))] = vt[:k]
    return mean, comps


def project_pose(points: np.ndarray, basis: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
    """(T, k) coordinates of each frame's normalised body pose on a basis from :func:`fit_pose_basis`."""
    mean, comps = basis
    return (_body(points) - mean) @ comps.T
