"""Landmarks out: MediaPipe Pose Landmarker (tasks API) on frames -> :class:`PoseSequence`.

The mediapipe wheel ships the two pose models as bare ``.tflite`` files but no ``.task`` bundle, and
nothing may be downloaded. :func:`pose_model_path` builds the bundle once from the wheel's own files:
it adds the input-normalisation metadata the tasks API needs (with mediapipe's metadata writer) and
zips the two models under the names the Pose Landmarker looks for. The bundle lives in a user cache
folder keyed by the mediapipe version, so an upgrade rebuilds it.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .errors import WorkoutError
from .fileio import atomic_path
from .sequence import DEFAULT_FPS, LANDMARK_INDEX, NUM_LANDMARKS, PoseSequence
from .video import Frame, VideoReader, native_stderr_silenced

MODEL_CACHE_ENV = "WORKOUT_MODEL_CACHE"
# Seconds of stream from the start over which MediaPipe's native start-up messages are silenced until someone is
# found (see PoseEstimator.detect).
QUIET_S = 3.0
# "full" is the landmark model the legacy mp.solutions.pose uses by default (model_complexity=1).
MODEL_NAME = "pose_landmarker_full"
# Input normalisation of each model, as (mean, std) on 0..255 pixels: the detector expects [-1, 1],
# the landmark model [0, 1]. The tasks API reads them from each model's metadata.
_BUNDLE_PARTS = {
    "pose_detector.tflite": ("modules/pose_detection/pose_detection.tflite", 127.5, 127.5),
    "pose_landmarks_detector.tflite": ("modules/pose_landmark/pose_landmark_full.tflite", 0.0, 255.0),
}
_TORSO = [LANDMARK_INDEX[n] for n in ("left_shoulder", "right_shoulder", "left_hip", "right_hip")]


def model_cache_dir() -> Path:
    """Where built model bundles are kept: $WORKOUT_MODEL_CACHE, else $XDG_CACHE_HOME or ~/.cache."""
    if os.environ.get(MODEL_CACHE_ENV):
        return Path(os.environ[MODEL_CACHE_ENV])
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "workout_analysis"


def mediapipe_version() -> str:
    import mediapipe

    return mediapipe.__version__


def pose_model_path() -> Path:
    """The Pose Landmarker ``.task`` bundle, built from the mediapipe wheel on first use."""
    path = model_cache_dir() / f"{MODEL_NAME}-mediapipe-{mediapipe_version()}.task"
    if not path.is_file():
        _build_bundle(path)
    return path


def _build_bundle(path: Path) -> None:
    import mediapipe
    from mediapipe.tasks.python.metadata.metadata_writers import metadata_writer, model_asset_bundle_utils, writer_utils

    root = Path(mediapipe.__file__).parent
    models: dict[str, bytes] = {}
    for name, (relative, mean, std) in _BUNDLE_PARTS.items():
        source = root / relative
        if not source.is_file():
            raise WorkoutError(f"{source}: missing; reinstall mediapipe=={mediapipe.__version__}")
        buffer = bytearray(source.read_bytes())
        writer = metadata_writer.MetadataWriter.create(buffer).add_general_info(Path(name).stem)
        writer.add_image_input(norm_mean=[mean], norm_std=[std])
        for _ in writer_utils.get_output_tensor_types(buffer):
            writer.add_feature_output()
        models[name] = bytes(writer.populate()[0])
    try:
        with atomic_path(path) as tmp:
            model_asset_bundle_utils.create_model_asset_bundle(models, str(tmp))
    except OSError as exc:
        raise WorkoutError(f"{path.parent}: cannot write the pose model there ({exc.strerror}); "
                           f"set {MODEL_CACHE_ENV} to a writable folder") from None  # fmt: skip
    except WorkoutError as exc:  # no folder or file can be made there (fileio)
        raise WorkoutError(f"{exc}, so the pose model cannot be written there; set {MODEL_CACHE_ENV} to a "
                           "writable folder") from None  # fmt: skip


def model_id() -> str:
    """Short content hash of the bundle: part of every extraction cache key."""
    return hashlib.sha256(pose_model_path().read_bytes()).hexdigest()[:16]


@dataclass(frozen=True)
class DetectedPose:
    """One person in one frame: image landmarks (33, 4) x, y, z, visibility and world landmarks (33, 3)."""

    image: np.ndarray
    world: np.ndarray

    @property
    def prominence(self) -> float:
        """Size of the person's box, discounted by its distance from the frame centre (0..1 units)."""
        visible = self.image[self.image[:, 3] > 0.5, :2]
        points = visible if len(visible) >= 4 else self.image[:, :2]
        lo, hi = np.clip(points.min(axis=0), 0, 1), np.clip(points.max(axis=0), 0, 1)
        area = float(np.prod(hi - lo))
        off_centre = float(np.linalg.norm((lo + hi) / 2 - 0.5))
        return area * (1.0 - off_centre)

    @property
    def centre(self) -> np.ndarray:
        """Mid-point of the hips and shoulders in image coordinates."""
        return self.image[_TORSO, :2].mean(axis=0)


class PoseEstimator:
    """MediaPipe Pose Landmarker in VIDEO mode (frames of one video, in order).

    Use as a context manager, or call :meth:`close`. One estimator per video: VIDEO mode tracks the
    person from frame to frame and needs strictly increasing timestamps.

    Args:
        num_poses: people to look for per frame. With more than one, :meth:`estimate` follows the most
            prominent person (largest, most central) and stays with the one nearest to it after that;
            :meth:`detect` returns them all.
        min_detection_confidence, min_presence_confidence, min_tracking_confidence: MediaPipe's thresholds.
    """

    def __init__(
        self,
        num_poses: int = 1,
        min_detection_confidence: float = 0.5,
        min_presence_confidence: float = 0.5,
        min_tracking_confidence: float = 0.5,
    ) -> None:
        from mediapipe.tasks.python import BaseOptions, vision

        if num_poses < 1:
            raise WorkoutError(f"num_poses must be 1 or more, got {num_poses}")
        self.num_poses = num_poses
        options = vision.PoseLandmarkerOptions(
            base_options=BaseOptions(model_asset_path=str(pose_model_path())),
            running_mode=vision.RunningMode.VIDEO,
            num_poses=num_poses,
            min_pose_detection_confidence=min_detection_confidence,
            min_pose_presence_confidence=min_presence_confidence,
            min_tracking_confidence=min_tracking_confidence,
        )
        with native_stderr_silenced():
            self._landmarker = vision.PoseLandmarker.create_from_options(options)
        self._last_ms = -1
        self._first_s: float | None = None
        self._found = False  # someone was found in a frame: MediaPipe has said all it says once

    def __enter__(self) -> PoseEstimator:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._landmarker.close()

    def detect(self, rgb: np.ndarray, timestamp_s: float) -> list[DetectedPose]:
        """All people found in one RGB frame (H, W, 3) uint8, most prominent first."""
        import mediapipe as mp

        # VIDEO mode rejects a timestamp that does not increase; equal milliseconds happen above 1000 fps.
        ms = max(int(round(timestamp_s * 1000)), self._last_ms + 1)
        self._last_ms = ms
        image = mp.Image(image_format=mp.ImageFormat.SRGB, data=np.ascontiguousarray(rgb))
        # MediaPipe logs benign native warnings on its first call and on the first call that finds a person ("Using
        # NORM_RECT without IMAGE_DIMENSIONS"); later calls are quiet. Silencing lasts until someone is found, for at
        # most QUIET_S of stream: it also swallows other threads' stderr, which must not go on while nobody is seen.
        if self._first_s is None:
            self._first_s = timestamp_s  # the first call: always quiet, found or not
        quiet = not self._found and timestamp_s - self._first_s <= QUIET_S
        with native_stderr_silenced() if quiet else contextlib.nullcontext():
            result = self._landmarker.detect_for_video(image, ms)
        self._found = self._found or bool(result.pose_landmarks)
        poses = [
            DetectedPose(
                np.array([(p.x, p.y, p.z, p.visibility) for p in image_lms], np.float32),
                np.array([(p.x, p.y, p.z) for p in world_lms], np.float32),
            )
            for image_lms, world_lms in zip(result.pose_landmarks, result.pose_world_landmarks)
        ]
        return poses if len(poses) < 2 else sorted(poses, key=lambda p: -p.prominence)

    def estimate(self, frames: Iterable[Frame], fps: float = DEFAULT_FPS, meta: dict | None = None) -> PoseSequence:
        """One person's landmarks over the frames; NaN rows where nobody was found."""
        image_rows, world_rows, times = [], [], []
        previous: DetectedPose | None = None
        for frame in frames:
            poses = self.detect(frame.rgb, frame.timestamp)
            chosen = _follow(poses, previous)
            if chosen is None:
                image_rows.append(np.full((NUM_LANDMARKS, 4), np.nan, np.float32))
                world_rows.append(np.full((NUM_LANDMARKS, 3), np.nan, np.float32))
            else:
                image_rows.append(chosen.image)
                world_rows.append(chosen.world)
                previous = chosen
            times.append(frame.timestamp)
        if not times:
            raise WorkoutError(f"{(meta or {}).get('source', 'input')}: no frames to estimate poses on")
        return PoseSequence(np.stack(image_rows), fps, np.array(times), np.stack(world_rows), dict(meta or {}))

    def estimate_people(self, frames: Iterable[Frame], fps: float = DEFAULT_FPS, meta: dict | None = None,
                        min_seconds: float = 1.0) -> list[PoseSequence]:  # fmt: skip
        """Each person's landmarks over the frames, one sequence per person (:class:`PeopleTracker` keeps
        their numbers), NaN where that person was not seen. People seen for less than ``min_seconds`` are
        left out; the others come most-seen first, ``meta["person"]`` numbering them from 1."""
        tracker = PeopleTracker()
        seen: list[dict[int, DetectedPose]] = []
        times = []
        for frame in frames:
            seen.append(tracker.update(self.detect(frame.rgb, frame.timestamp), frame.timestamp))
            times.append(frame.timestamp)
        if not times:
            raise WorkoutError(f"{(meta or {}).get('source', 'input')}: no frames to estimate poses on")
        frames_of = {k: sum(k in s for s in seen) for k in range(tracker.tracks)}
        kept = sorted((k for k, n in frames_of.items() if n >= min_seconds * fps), key=lambda k: -frames_of[k])
        people = []
        for number, k in enumerate(kept, start=1):
            image = np.full((len(times), NUM_LANDMARKS, 4), np.nan, np.float32)
            world = np.full((len(times), NUM_LANDMARKS, 3), np.nan, np.float32)
            for i, frame_poses in enumerate(seen):
                if (pose := frame_poses.get(k)) is not None:
                    image[i], world[i] = pose.image, pose.world
            people.append(PoseSequence(image, fps, np.array(times), world, {**(meta or {}), "person": number}))
        return people


class PeopleTracker:
    """A stable number for each person across frames.

    Each frame's detections go to the tracks whose last torso centre is nearest, nearest pairs first,
    within ``max_jump`` of the frame's size (plus ``per_second`` for each second a track has been
    unseen, so that someone hidden for a moment is picked up again where they reappear); a detection no
    track claims starts a new track. Greedy matching is enough: people training side by side do not
    swap places between two frames.
    """

    def __init__(self, max_jump: float = 0.12, per_second: float = 0.15) -> None:
        self.max_jump, self.per_second = max_jump, per_second
        self._last: list[tuple[np.ndarray, float]] = []  # per track: last centre, time last seen

    @property
    def tracks(self) -> int:
        return len(self._last)

    def update(self, poses: list[DetectedPose], t: float) -> dict[int, DetectedPose]:
        """Track number -> pose, for the people in this frame."""
        pairs = sorted(
            (float(np.linalg.norm(pose.centre - centre)), k, j)
            for j, pose in enumerate(poses)
            for k, (centre, last_t) in enumerate(self._last)
            if np.linalg.norm(pose.centre - centre) <= self.max_jump + self.per_second * (t - last_t)
        )
        assigned: dict[int, DetectedPose] = {}
        used: set[int] = set()
        for _, k, j in pairs:
            if k not in assigned and j not in used:
                assigned[k] = poses[j]
                used.add(j)
        for j, pose in enumerate(poses):
            if j not in used:
                assigned[len(self._last)] = pose
                self._last.append((pose.centre, t))
        for k, pose in assigned.items():
            self._last[k] = (pose.centre, t)
        return assigned


def _counted(frames: Iterable[Frame], report: Callable[[int], None], every: int = 10) -> Iterator[Frame]:
    """Pass frames through, telling ``report`` how many went by every ``every`` frames."""
    n = 0
    for frame in frames:
        yield frame
        n += 1
        if n % every == 0:
            report(every)
    report(n % every)


def _follow(poses: list[DetectedPose], previous: DetectedPose | None) -> DetectedPose | None:
    """The pose to keep: the most prominent at first, then the one nearest the person kept last."""
    if not poses:
        return None
    if previous is None or len(poses) == 1:
        return poses[0]
    return min(poses, key=lambda p: float(np.linalg.norm(p.centre - previous.centre)))


def extract_sequence(
    video: str | os.PathLike[str],
    stride: int = 1,
    progress: Callable[[int], None] | None = None,
    **options: float,
) -> PoseSequence:
    """Landmarks of one video file, every ``stride``-th frame. ``options`` go to :class:`PoseEstimator`.

    ``progress`` is told the number of frames done every few frames. The sequence's meta holds source,
    width, height, stride, frame_count (from the header), fps_guessed and, when decoding stopped early,
    ``truncated`` (a one-line description). Frame ``i`` of the sequence is frame ``i * stride`` of the video,
    and its fps is the video's divided by ``stride``.
    """
    return _extract(video, stride, progress, options, people=False)[0]


def extract_people(
    video: str | os.PathLike[str],
    max_people: int,
    stride: int = 1,
    progress: Callable[[int], None] | None = None,
    **options: float,
) -> list[PoseSequence]:
    """Like :func:`extract_sequence`, for up to ``max_people`` people at once: one sequence per person
    (see :meth:`PoseEstimator.estimate_people`), most-seen first; an empty list when nobody is seen."""
    return _extract(video, stride, progress, {**options, "num_poses": max_people}, people=True)


def _extract(video: str | os.PathLike[str], stride: int, progress: Callable[[int], None] | None,
             options: dict, people: bool) -> list[PoseSequence]:  # fmt: skip
    with VideoReader(video, stride) as reader, PoseEstimator(**options) as estimator:
        meta = {"source": str(video), "width": reader.width, "height": reader.height, "stride": stride,
                "frame_count": reader.frame_count, "fps_guessed": reader.fps_guessed}  # fmt: skip
        frames = reader if progress is None else _counted(reader, progress)
        # The sequence's fps is its own sample rate, so that code timing reps by fps agrees with the timestamps.
        fps = reader.fps / stride
        found = estimator.estimate_people(frames, fps, meta) if people else [estimator.estimate(frames, fps, meta)]
        if reader.truncated:
            for seq in found:
                seq.meta["truncated"] = reader.describe_truncation()
    return found
