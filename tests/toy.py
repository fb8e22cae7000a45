"""Tiny procedural pose sequences for fast model tests: a stick figure raising its arms or squatting.

Not realistic (that is the synthetic generator's job); just two clearly different motions, with
random body size, position, tempo and noise, so that training tests run in seconds without data.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from workout_analysis.sequence import IMAGE_COLUMNS, LANDMARK_INDEX, PoseSequence

_STANDING = {  # image coordinates of a standing person, frame height 1
    "nose": (0.50, 0.20), "left_eye_inner": (0.51, 0.19), "left_eye": (0.52, 0.19), "left_eye_outer": (0.53, 0.19),
    "right_eye_inner": (0.49, 0.19), "right_eye": (0.48, 0.19), "right_eye_outer": (0.47, 0.19),
    "left_ear": (0.54, 0.20), "right_ear": (0.46, 0.20), "mouth_left": (0.51, 0.22), "mouth_right": (0.49, 0.22),
    "left_shoulder": (0.58, 0.30), "right_shoulder": (0.42, 0.30), "left_elbow": (0.60, 0.42),
    "right_elbow": (0.40, 0.42), "left_wrist": (0.61, 0.53), "right_wrist": (0.39, 0.53),
    "left_pinky": (0.61, 0.56), "right_pinky": (0.39, 0.56), "left_index": (0.62, 0.56), "right_index": (0.38, 0.56),
    "left_thumb": (0.62, 0.55), "right_thumb": (0.38, 0.55), "left_hip": (0.55, 0.55), "right_hip": (0.45, 0.55),
    "left_knee": (0.55, 0.72), "right_knee": (0.45, 0.72), "left_ankle": (0.55, 0.88), "right_ankle": (0.45, 0.88),
    "left_heel": (0.54, 0.90), "right_heel": (0.46, 0.90), "left_foot_index": (0.57, 0.91),
    "right_foot_index": (0.43, 0.91),
}  # fmt: skip
BASE = np.array([_STANDING[n] for n in LANDMARK_INDEX], dtype=np.float32)
ARM = [LANDMARK_INDEX[n] for n in ("left_elbow", "left_wrist", "left_pinky", "left_index", "left_thumb")]
UPPER = [i for i, n in enumerate(LANDMARK_INDEX) if "knee" not in n and "ankle" not in n and "heel" not in n
         and "foot" not in n]  # fmt: skip
KNEES = [LANDMARK_INDEX["left_knee"], LANDMARK_INDEX["right_knee"]]
CLASSES = ("arm_raise", "squat")


def toy_sequence(exercise: str, seed: int, seconds: float = 4.0, fps: float = 30.0) -> PoseSequence:
    """A stick figure doing ``exercise`` ("arm_raise" or "squat") at a random tempo, size and place."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * fps)) / fps
    phase = (1 - np.cos(2 * np.pi * t / rng.uniform(1.2, 2.5))) / 2  # 0 -> 1 -> 0 per repetition
    xy = np.repeat(BASE[None], len(t), axis=0)
    if exercise == "arm_raise":
        for arm, sign in ((ARM, 1), ([i + 1 for i in ARM], -1)):  # right side landmarks follow the left ones
            shoulder = xy[:, [LANDMARK_INDEX["left_shoulder"] if sign > 0 else LANDMARK_INDEX["right_shoulder"]]]
            angle = sign * phase[:, None] * np.pi * 0.5
            d = xy[:, arm] - shoulder
            c, s = np.cos(angle), np.sin(angle)
            xy[:, arm, 0] = shoulder[..., 0] + d[..., 0] * c - d[..., 1] * s
            xy[:, arm, 1] = shoulder[..., 1] + d[..., 0] * s + d[..., 1] * c
    else:
        xy[:, UPPER, 1] += 0.15 * phase[:, None]
        xy[:, KNEES, 1] += 0.07 * phase[:, None]
        xy[:, KNEES[0], 0] += 0.05 * phase
        xy[:, KNEES[1], 0] -= 0.05 * phase
    size, shift = rng.uniform(0.6, 1.0), rng.uniform(-0.15, 0.15, 2)
    xy = (xy - 0.5) * size + 0.5 + shift + rng.normal(0, 0.003, xy.shape)
    z = rng.normal(0, 0.01, (*xy.shape[:2], 1))
    landmarks = np.concatenate([xy, z, np.ones_like(z)], axis=-1).astype(np.float32)
    return PoseSequence(landmarks, fps, meta={"exercise": exercise, "video_id": f"{exercise}_{seed}",
                                              "source": f"person_{seed % 7}"})  # fmt: skip


def toy_sequences(n_per_class: int = 6, seed: int = 0) -> list[PoseSequence]:
    return [toy_sequence(c, seed + 100 * k + i) for k, c in enumerate(CLASSES) for i in range(n_per_class)]


def toy_table(sequences: list[PoseSequence]) -> pd.DataFrame:
    """The sequences as a landmark table like ``workout extract`` writes (image columns only)."""
    rows = []
    for s in sequences:
        frame = pd.DataFrame(s.landmarks.reshape(len(s), -1), columns=list(IMAGE_COLUMNS))
        frame.insert(0, "video_id", s.meta["video_id"])
        frame.insert(1, "exercise", s.meta["exercise"])
        frame.insert(2, "source", s.meta["source"])
        frame.insert(3, "path", s.meta["video_id"] + ".mp4")
        frame.insert(4, "frame", np.arange(len(s)))
        frame.insert(5, "timestamp", s.timestamps)
        frame.insert(6, "fps", s.fps)
        frame.insert(7, "has_pose", s.has_pose)
        rows.append(frame)
    return pd.concat(rows, ignore_index=True)


def standing_still(pose: np.ndarray, seconds: float, fps: float, seed: int = 0) -> np.ndarray:
    """(k, 33, 4) frames of ``pose`` (33, 4) held for ``seconds``, with the detector's jitter."""
    still = np.repeat(pose[None], int(seconds * fps), axis=0)
    still[..., :3] += np.random.default_rng(seed).normal(0.0, 0.002, still[..., :3].shape)
    return still


def arm_swings_before(seq: PoseSequence, seconds: float = 14.0, cycle_s: float = 1.5) -> PoseSequence:
    """``seq`` with ``seconds`` of its first pose standing and swinging the arms up and down (warming up)
    put before it: movement that repeats, but on no signal of the set's exercise."""
    swings = standing_still(seq.landmarks[np.flatnonzero(seq.has_pose)[0]], seconds, seq.fps)
    t = np.arange(len(swings)) / seq.fps
    lift = 0.06 * (1 - np.cos(2 * np.pi * t / cycle_s))
    arms = {LANDMARK_INDEX[f"{side}_{joint}"]: 0.5 if joint == "elbow" else 1.0 for side in ("left", "right")
            for joint in ("elbow", "wrist", "pinky", "index", "thumb")}  # the elbows rise half as far  # fmt: skip
    swings[:, list(arms), 1] -= lift[:, None] * np.array(list(arms.values()))
    return PoseSequence(np.concatenate([swings, seq.landmarks]).astype(np.float32), seq.fps, meta=seq.meta)
