"""PoseSequence: the one data type every stage after pose extraction takes.

A sequence is T frames of MediaPipe's 33 landmarks in image-normalised coordinates
(x, y in [0, 1] of the frame, z relative depth on x's scale, visibility in [0, 1]), optional world
landmarks in metres, the frame rate and per-frame timestamps. A frame where no pose was found is
all-NaN. This module also reads and writes every landmark file format the tools accept.
"""

from __future__ import annotations

import json
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .errors import WorkoutError
from .fileio import atomic_path

LANDMARK_NAMES: tuple[str, ...] = (
    "nose", "left_eye_inner", "left_eye", "left_eye_outer", "right_eye_inner", "right_eye",
    "right_eye_outer", "left_ear", "right_ear", "mouth_left", "mouth_right", "left_shoulder",
    "right_shoulder", "left_elbow", "right_elbow", "left_wrist", "right_wrist", "left_pinky",
    "right_pinky", "left_index", "right_index", "left_thumb", "right_thumb", "left_hip", "right_hip",
    "left_knee", "right_knee", "left_ankle", "right_ankle", "left_heel", "right_heel",
    "left_foot_index", "right_foot_index",
)  # fmt: skip
NUM_LANDMARKS = len(LANDMARK_NAMES)
LANDMARK_INDEX: dict[str, int] = {name: i for i, name in enumerate(LANDMARK_NAMES)}

# Index of each landmark's mirror image (left <-> right); the centre line maps to itself.
MIRROR_INDEX: tuple[int, ...] = tuple(
    LANDMARK_INDEX[n.replace("left_", "@").replace("right_", "left_").replace("@", "right_")] for n in LANDMARK_NAMES
)

# Skeleton edges for drawing (MediaPipe's POSE_CONNECTIONS, by name so they read on their own).
SKELETON_EDGES: tuple[tuple[int, int], ...] = tuple(
    (LANDMARK_INDEX[a], LANDMARK_INDEX[b])
    for a, b in [
        ("left_shoulder", "right_shoulder"), ("left_hip", "right_hip"),
        ("left_shoulder", "left_hip"), ("right_shoulder", "right_hip"),
        ("left_shoulder", "left_elbow"), ("left_elbow", "left_wrist"),
        ("right_shoulder", "right_elbow"), ("right_elbow", "right_wrist"),
        ("left_hip", "left_knee"), ("left_knee", "left_ankle"), ("left_ankle", "left_heel"),
        ("left_heel", "left_foot_index"), ("left_ankle", "left_foot_index"),
        ("right_hip", "right_knee"), ("right_knee", "right_ankle"), ("right_ankle", "right_heel"),
        ("right_heel", "right_foot_index"), ("right_ankle", "right_foot_index"),
        ("left_wrist", "left_index"), ("left_wrist", "left_pinky"), ("left_wrist", "left_thumb"),
        ("right_wrist", "right_index"), ("right_wrist", "right_pinky"), ("right_wrist", "right_thumb"),
        ("nose", "left_eye"), ("nose", "right_eye"), ("left_eye", "left_ear"), ("right_eye", "right_ear"),
        ("mouth_left", "mouth_right"),
    ]
)  # fmt: skip

# Columns of the landmark table written by `workout extract` (Parquet), one row per frame.
TABLE_META_COLUMNS: tuple[str, ...] = (
    "video_id", "exercise", "source", "path", "frame", "timestamp", "fps", "has_pose",
)  # fmt: skip
IMAGE_COLUMNS: tuple[str, ...] = tuple(f"{n}_{c}" for n in LANDMARK_NAMES for c in ("x", "y", "z", "v"))
WORLD_COLUMNS: tuple[str, ...] = tuple(f"{n}_{c}" for n in LANDMARK_NAMES for c in ("wx", "wy", "wz"))
# The original design's CSV (pose_landmarks_dataset.csv): 99 features then the label.
ORIGINAL_CSV_COLUMNS: tuple[str, ...] = tuple(f"{c}{i}" for i in range(NUM_LANDMARKS) for c in ("x", "y", "z"))

DEFAULT_FPS = 30.0
FORMAT_VERSION = 1


@dataclass
class PoseSequence:
    """T frames of 33 pose landmarks.

    Attributes:
        landmarks: (T, 33, 4) float32: image-normalised x, y, z and visibility; NaN where no pose.
        fps: frames per second of the source.
        timestamps: (T,) seconds from the start; ``frame / fps`` when not given.
        world: optional (T, 33, 3) float32 world landmarks in metres (hip-centred), NaN where no pose.
        meta: free-form JSON-serialisable facts (source path, width, height, exercise, ...).
    """

    landmarks: np.ndarray
    fps: float = DEFAULT_FPS
    timestamps: np.ndarray | None = None
    world: np.ndarray | None = None
    meta: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        lm = np.asarray(self.landmarks, dtype=np.float32)
        if lm.ndim != 3 or lm.shape[1:] != (NUM_LANDMARKS, 4):
            raise ValueError(f"landmarks must have shape (T, 33, 4), got {lm.shape}")
        self.landmarks = lm
        if not (np.isfinite(self.fps) and self.fps > 0):
            raise ValueError(f"fps must be a positive number, got {self.fps}")
        self.fps = float(self.fps)
        if self.timestamps is None:
            self.timestamps = np.arange(len(lm), dtype=np.float64) / self.fps
        self.timestamps = np.asarray(self.timestamps, dtype=np.float64)
        if self.timestamps.shape != (len(lm),):
            raise ValueError(f"timestamps must have shape ({len(lm)},), got {self.timestamps.shape}")
        if not np.isfinite(self.timestamps).all() or (np.diff(self.timestamps) <= 0).any():
            raise ValueError("timestamps must be finite seconds that increase from frame to frame")
        if self.world is not None:
            world = np.asarray(self.world, dtype=np.float32)
            if world.shape != (len(lm), NUM_LANDMARKS, 3):
                raise ValueError(f"world must have shape ({len(lm)}, 33, 3), got {world.shape}")
            self.world = world

    def __len__(self) -> int:
        return len(self.landmarks)

    @property
    def xyz(self) -> np.ndarray:
        """(T, 33, 3) image-normalised coordinates."""
        return self.landmarks[..., :3]

    @property
    def visibility(self) -> np.ndarray:
        """(T, 33) visibility scores."""
        return self.landmarks[..., 3]

    @property
    def has_pose(self) -> np.ndarray:
        """(T,) True where a pose was found in the frame."""
        return ~np.isnan(self.landmarks[:, :, :3]).all(axis=(1, 2))

    @property
    def duration(self) -> float:
        return len(self) / self.fps

    def slice(self, start: int, stop: int) -> PoseSequence:
        """Frames [start, stop) as a new sequence; timestamps keep their original values."""
        return PoseSequence(
            self.landmarks[start:stop].copy(),
            self.fps,
            self.timestamps[start:stop].copy(),
            None if self.world is None else self.world[start:stop].copy(),
            dict(self.meta),
        )

    def between(self, start_s: float, end_s: float) -> PoseSequence:
        """The frames timestamped from ``start_s`` to ``end_s``, both included (to a microsecond, so that
        rounded times still catch their frame), as :meth:`slice` gives them; none: an empty sequence."""
        index = np.flatnonzero((self.timestamps >= start_s - 1e-6) & (self.timestamps <= end_s + 1e-6))
        return self.slice(int(index[0]), int(index[-1]) + 1) if len(index) else self.slice(0, 0)

    def save(self, path: str | Path) -> None:
        """Write as ``.npz`` (no pickle: arrays plus a JSON string), atomically."""
        arrays: dict[str, np.ndarray] = {
            "landmarks": self.landmarks,
            "timestamps": self.timestamps,
            "fps": np.float64(self.fps),
            "meta_json": np.array(json.dumps({"format_version": FORMAT_VERSION, **self.meta})),
        }
        if self.world is not None:
            arrays["world"] = self.world
        with atomic_path(Path(path).with_suffix(".npz")) as tmp, open(tmp, "wb") as fh:
            np.savez_compressed(fh, **arrays)


def from_flat(array: np.ndarray, fps: float = DEFAULT_FPS, meta: dict[str, Any] | None = None) -> PoseSequence:
    """Build a sequence from (T, 33, 3), (T, 33, 4), (T, 99), (T, 132) or (T, 104) values.

    (T, 104) is RepCount-A's layout: the 99 coordinates, then 5 joint angles (ignored here: they are
    measured again from the landmarks). Missing visibility becomes 1. All-zero or all-NaN frames are
    frames without a pose. Raises ValueError with the expected shapes when the array fits none of them.
    """
    if np.asarray(array).dtype.kind not in "fiub":
        raise ValueError(f"values of type {np.asarray(array).dtype} are not landmark coordinates")
    a = np.asarray(array, dtype=np.float32)
    if a.ndim == 2 and a.shape[1] == 104:
        a = a[:, :99]
    if a.ndim == 2 and a.shape[1] in (99, 132):
        a = a.reshape(len(a), NUM_LANDMARKS, a.shape[1] // NUM_LANDMARKS)
    if a.ndim != 3 or a.shape[1] != NUM_LANDMARKS or a.shape[2] not in (3, 4):
        raise ValueError(f"shape {array.shape} is not (T, 33, 3), (T, 33, 4), (T, 99), (T, 132) or (T, 104)")
    if a.shape[2] == 3:
        a = np.concatenate([a, np.ones((*a.shape[:2], 1), np.float32)], axis=2)
    a = a.copy()
    no_pose = np.isnan(a[..., :3]).all(axis=(1, 2)) | (a[..., :3] == 0).all(axis=(1, 2))
    a[no_pose] = np.nan
    check_whole_frames(a)
    return PoseSequence(a, fps=fps, meta=dict(meta or {}))


def check_whole_frames(landmarks: np.ndarray) -> None:
    """Raise ValueError naming the first frame of (T, 33, C) ``landmarks`` that is neither a whole pose (every value
    finite) nor "nobody seen" (x, y, z all NaN, as :attr:`PoseSequence.has_pose` judges it; a visibility may stay):
    the features of a part-pose are NaN, and so would the answers be."""
    a = np.asarray(landmarks, dtype=np.float32)
    frame = tuple(range(1, a.ndim))  # not reshape(T, -1): it fails on no frames, which the callers report better
    bad = np.flatnonzero(~np.isnan(a[..., :3]).all(axis=frame) & ~np.isfinite(a).all(axis=frame))
    if len(bad):
        where = "the landmarks have" if len(a) == 1 else f"frame {bad[0]} has"
        raise ValueError(f"{where} NaN or infinite values in some but not all landmarks: give all 33 (as MediaPipe "
                         "does, with a low visibility for those not seen) or none (NaN: nobody seen)")  # fmt: skip


def sequences_from_table(table: Any) -> list[PoseSequence]:
    """Split a landmark table (pandas DataFrame with the extract columns) into one sequence per video."""
    missing = [c for c in (*TABLE_META_COLUMNS, *IMAGE_COLUMNS) if c not in table.columns]
    if missing:
        raise ValueError(f"not a landmark table: missing columns {', '.join(missing[:4])}")
    has_world = all(c in table.columns for c in WORLD_COLUMNS)
    sequences = []
    for video_id, rows in table.groupby("video_id", sort=False):
        rows = rows.sort_values("frame")
        landmarks = rows[list(IMAGE_COLUMNS)].to_numpy(np.float32).reshape(len(rows), NUM_LANDMARKS, 4)
        world = rows[list(WORLD_COLUMNS)].to_numpy(np.float32).reshape(len(rows), NUM_LANDMARKS, 3) if has_world else None
        first = rows.iloc[0]
        meta = {"video_id": str(video_id), "exercise": str(first["exercise"]), "source": str(first["source"]),
                "path": str(first["path"])}  # fmt: skip
        # Frame size and the like, which `workout extract` keeps in the table's metadata (not in columns).
        meta.update(table.attrs.get("videos", {}).get(str(video_id), {}))
        # The table's fps is the video's; a table extracted with a stride samples every step-th frame.
        step = int(np.median(np.diff(rows["frame"].to_numpy()))) if len(rows) > 1 else 1
        fps = float(first["fps"]) / max(step, 1)
        sequences.append(PoseSequence(landmarks, fps, rows["timestamp"].to_numpy(), world, meta))
    return sequences


# What reading a damaged or foreign file raises (a truncated or corrupt .npz is a damaged zip archive).
_UNREADABLE = (ValueError, KeyError, OSError, EOFError, zipfile.BadZipFile, zlib.error)


def load_sequence(path: str | Path, fps: float | None = None, video_id: str | None = None) -> PoseSequence:
    """Read a landmark file: ``.npz`` (this project's or a single array), ``.npy``, the original design's
    ``.csv`` (99 features, optional label column) or an extract ``.parquet`` table.

    ``fps`` is needed for formats that do not record it (default 30). A file with several sequences (a
    table of several videos, an ``.npz`` of several arrays: see :func:`sequence_ids`) needs ``video_id``.
    Every problem is raised as :class:`WorkoutError` naming the file.
    """
    path = Path(path)
    if not path.is_file():
        raise WorkoutError(f"{path}: no such file")
    suffix = path.suffix.lower()
    try:
        if suffix == ".npz":
            seq = _load_npz(path, fps, video_id)
        elif suffix == ".npy":
            seq = from_flat(np.load(path, allow_pickle=False), fps or DEFAULT_FPS)
        elif suffix == ".csv":
            seq = _load_csv(path, fps or DEFAULT_FPS)
        elif suffix == ".parquet":
            seq = _load_table(path, video_id)
        else:
            raise WorkoutError(f"{path}: unsupported landmark file type {suffix!r} (use .npz, .npy, .csv or .parquet)")
    except WorkoutError:
        raise
    except _UNREADABLE as exc:
        if isinstance(exc, (zipfile.BadZipFile, zlib.error)):
            raise WorkoutError(f"{path}: not a readable landmark file: a damaged .npz (zip) archive ({exc})") from None
        if "pickled" in str(exc):  # numpy's words for "not an array file", or one of Python objects
            raise WorkoutError(f"{path}: not a readable landmark file: not a numpy {suffix} array (files of "
                               "Python objects are never loaded: they could run code)") from None  # fmt: skip
        raise WorkoutError(f"{path}: not a readable landmark file: {exc}") from None
    if len(seq) == 0:
        raise WorkoutError(f"{path}: holds no frames")
    seq.meta.setdefault("path", str(path))
    return seq


def sequence_ids(path: str | Path) -> list[str] | None:
    """The names of the sequences in a file that holds several (the videos of an extract table, the arrays
    of an ``.npz`` such as RepCount-A's ``poses.npz``), for ``load_sequence(path, video_id=...)``; None for
    a file of one sequence. Unreadable files are None too: loading them says what is wrong."""
    path = Path(path)
    try:
        if path.suffix.lower() == ".parquet":
            ids = _table_ids(path)
        elif path.suffix.lower() == ".npz":
            with np.load(path, allow_pickle=False) as data:
                ids = [] if "landmarks" in data.files else list(data.files)
        else:
            return None
    except (*_UNREADABLE, ImportError):
        return None
    return ids if len(ids) > 1 else None


def _load_npz(path: Path, fps: float | None, key: str | None = None) -> PoseSequence:
    with np.load(path, allow_pickle=False) as data:
        if key is not None:
            if key not in data.files:
                raise WorkoutError(f"{path}: no sequence {key!r} in this file (it holds {_some(data.files)})")
            return from_flat(data[key], fps or DEFAULT_FPS, {"video_id": key})
        if "landmarks" in data.files:
            meta = json.loads(str(data["meta_json"])) if "meta_json" in data.files else {}
            meta.pop("format_version", None)
            stored_fps = float(data["fps"]) if "fps" in data.files else DEFAULT_FPS
            return PoseSequence(
                from_flat(data["landmarks"]).landmarks,
                fps or stored_fps,
                data["timestamps"] if "timestamps" in data.files else None,
                data["world"] if "world" in data.files else None,
                meta,
            )
        if len(data.files) != 1:
            raise WorkoutError(f"{path}: holds {len(data.files)} sequences ({_some(data.files)}); {_CHOOSE_ONE}")
        return from_flat(data[data.files[0]], fps or DEFAULT_FPS)


# load_sequence serves the command line (analyze takes such a file as a batch; render needs one), the web API
# and Python: the advice names each one's way of choosing.
_CHOOSE_ONE = "choose one by its id (--video-id; video_id= in the web API; load_sequence(..., video_id=))"


def _table_ids(path: Path) -> list[str]:
    """The video ids of an extract table, in order, read from that column alone."""
    import pandas as pd

    return pd.read_parquet(path, columns=["video_id"])["video_id"].astype(str).unique().tolist()


def _some(names: list[str], shown: int = 3) -> str:
    return ", ".join(names[:shown]) + (", ..." if len(names) > shown else "")


def _load_csv(path: Path, fps: float) -> PoseSequence:
    import pandas as pd

    frame = pd.read_csv(path)
    labels = frame["label"].dropna().unique().tolist() if "label" in frame.columns else []
    if len(labels) > 1:  # the original design's training CSV: frames of many videos, with no boundaries between
        raise WorkoutError(f"{path}: holds frames of {len(labels)} exercises ({_some([str(x) for x in labels])}) and "
                           "no video boundaries, so it is not one sequence; analyse the videos, or the .parquet "
                           "table `workout extract` writes beside it, which keeps each video apart")  # fmt: skip
    if all(c in frame.columns for c in ORIGINAL_CSV_COLUMNS):
        values = frame[list(ORIGINAL_CSV_COLUMNS)]
    else:
        values = frame.drop(columns=[c for c in ("label", "exercise", "video_id") if c in frame.columns])
        if values.shape[1] not in (99, 104, 132):  # the widths from_flat reads (104: RepCount-A's layout)
            raise WorkoutError(f"{path}: not a landmark CSV: expected the original design's 99 columns "
                               f"{ORIGINAL_CSV_COLUMNS[0]}, {ORIGINAL_CSV_COLUMNS[1]}, ..., {ORIGINAL_CSV_COLUMNS[-1]} "
                               f"(and a label), found {frame.shape[1]}: {_some([str(c) for c in frame.columns])}")  # fmt: skip
    values = values.apply(pd.to_numeric, errors="coerce")
    return from_flat(values.to_numpy(np.float32), fps)


def _load_table(path: Path, video_id: str | None) -> PoseSequence:
    import pandas as pd

    table = pd.read_parquet(path) if video_id is None else pd.read_parquet(path, filters=[("video_id", "==", video_id)])
    if video_id is not None and table.empty:
        raise WorkoutError(f"{path}: no video {video_id!r} in this table (it holds {_some(_table_ids(path))})")
    sequences = sequences_from_table(table)
    if len(sequences) != 1:
        ids = _some([s.meta["video_id"] for s in sequences])
        raise WorkoutError(f"{path}: holds {len(sequences)} videos ({ids}); {_CHOOSE_ONE}")
    return sequences[0]
