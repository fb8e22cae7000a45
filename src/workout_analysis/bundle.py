"""Model bundles: a trained model with everything needed to use it, saved without pickle.

A bundle is a directory holding ``weights.safetensors`` and ``bundle.json`` (format version,
package version, model kind and config, labels, scaler mean/std, feature spec, window/hop/fps,
temperature, training config, metrics and the SHA-256 of the weights). ``load_bundle()`` with no
path loads the default model shipped inside the package.

``ModelBundle.predict_windows`` gives calibrated class probabilities per window of a sequence;
``ModelBundle.stream`` gives the same windows incrementally, frame by frame.
"""

from __future__ import annotations

import hashlib
import json
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from safetensors.torch import load_file, save_file

from . import __version__
from .errors import WorkoutError
from .features import (
    FeatureSpec,
    Resampler,
    coverage,
    fill_gaps,
    frame_aspect,
    metric_points,
    resample_index,
    take_windows,
    undo_aspect,
    window_features,
    window_starts,
)
from .fileio import atomic_path, atomic_write_text, make_folder
from .models import build_model
from .sequence import NUM_LANDMARKS, PoseSequence

BUNDLE_FORMAT = 1
WEIGHTS_FILE = "weights.safetensors"
META_FILE = "bundle.json"
# A window is classified only when at least this share of its frames has a pose.
MIN_COVERAGE = 0.5


@dataclass
class WindowProbs:
    """Calibrated class probabilities per window. ``start``/``end`` in seconds of the input."""

    start: np.ndarray  # (W,)
    end: np.ndarray  # (W,)
    probs: np.ndarray  # (W, C), rows sum to 1
    labels: list[str]

    def __len__(self) -> int:
        return len(self.start)

    def mean(self) -> np.ndarray:
        """(C,) the video verdict: the mean of the window probabilities (zeros when no window)."""
        return self.probs.mean(axis=0) if len(self) else np.zeros(len(self.labels))

    @classmethod
    def concat(cls, parts: list[WindowProbs], labels: list[str]) -> WindowProbs:
        if not parts:
            return cls(np.zeros(0), np.zeros(0), np.zeros((0, len(labels)), np.float32), list(labels))
        return cls(*(np.concatenate([getattr(p, a) for p in parts]) for a in ("start", "end", "probs")), list(labels))


@dataclass
class ModelBundle:
    """A trained classifier over windows of ``window`` frames at ``fps``, one every ``hop`` frames."""

    model: torch.nn.Module
    labels: list[str]
    kind: str
    model_config: dict[str, Any]
    spec: FeatureSpec
    window: int
    hop: int
    mean: np.ndarray
    std: np.ndarray
    temperature: float = 1.0
    metrics: dict[str, Any] = field(default_factory=dict)
    config: dict[str, Any] = field(default_factory=dict)

    @property
    def fps(self) -> float:
        return self.spec.fps

    def features(self, windows: np.ndarray) -> np.ndarray:
        """Standardised features (B, W, F) of metric-point windows (B, W, 33, 4) with gaps."""
        return (window_features(fill_gaps(windows), self.spec) - self.mean) / self.std

    @torch.no_grad()
    def logits(self, windows: np.ndarray, batch: int = 512) -> np.ndarray:
        """(B, C) uncalibrated logits of metric-point windows."""
        self.model.eval()
        out = [self.model(torch.from_numpy(self.features(windows[i : i + batch]))).numpy()
               for i in range(0, len(windows), batch)]  # fmt: skip
        return np.concatenate(out) if out else np.zeros((0, len(self.labels)), np.float32)

    def probabilities(self, windows: np.ndarray) -> np.ndarray:
        return softmax(self.logits(windows) / self.temperature)

    def windows_of(self, seq: PoseSequence) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(windows, start_s, end_s) of a sequence, windows without enough pose left out."""
        idx = resample_index(seq.timestamps, self.fps)
        points = metric_points(seq)[idx]
        starts = window_starts(len(points), self.window, self.hop)
        windows = take_windows(points, starts, self.window)
        keep = coverage(windows) >= MIN_COVERAGE if len(windows) else np.zeros(0, bool)
        t0 = float(seq.timestamps[0]) if len(seq) else 0.0
        start_s = t0 + starts / self.fps
        end_s = t0 + np.minimum(starts + self.window, len(points)) / self.fps
        return windows[keep], start_s[keep], end_s[keep]

    def predict_windows(self, seq: PoseSequence) -> WindowProbs:
        """Calibrated probabilities of every window with enough pose (none when no person is found)."""
        windows, start, end = self.windows_of(seq)
        return WindowProbs(start, end, self.probabilities(windows), list(self.labels))

    def stream(self, width: float | None = None, height: float | None = None) -> WindowStream:
        """An incremental predictor; give the frame size when known (as ``seq.meta`` would)."""
        return WindowStream(self, width, height)


class WindowStream:
    """Feed frames one by one (``push``); each completed window comes out as soon as its last frame
    is in. After the same frames, the windows equal :meth:`ModelBundle.predict_windows`'s; call
    ``finish()`` at the end for the one padded window of an input shorter than a window."""

    def __init__(self, bundle: ModelBundle, width: float | None = None, height: float | None = None) -> None:
        self.bundle = bundle
        self.aspect = frame_aspect(width, height)
        self.resampler = Resampler(bundle.fps)
        self.buffer: deque[np.ndarray] = deque(maxlen=bundle.window)
        self.count = 0  # resampled frames so far
        self.t0: float | None = None

    def push(self, landmarks: np.ndarray, timestamp: float) -> WindowProbs | None:
        """Feed one frame (33, 4) image landmarks (all NaN: no pose); returns new windows or None."""
        frame = np.array(landmarks, dtype=np.float32).reshape(NUM_LANDMARKS, 4)
        undo_aspect(frame, self.aspect)
        if self.t0 is None:
            self.t0 = float(timestamp)
        done = []
        for resampled in self.resampler.push(frame, float(timestamp)):
            self.buffer.append(resampled)
            self.count += 1
            start = self.count - self.bundle.window
            if start >= 0 and start % self.bundle.hop == 0:
                done.append(self._emit(start, self.count))
        result = WindowProbs.concat([d for d in done if d is not None], self.bundle.labels)
        return result if len(result) else None

    def finish(self) -> WindowProbs | None:
        """The padded window of an input shorter than one window (None otherwise)."""
        if 0 < self.count < self.bundle.window:
            return self._emit(0, self.count)
        return None

    def _emit(self, start: int, stop: int) -> WindowProbs | None:
        frames = np.stack(self.buffer)
        window = take_windows(frames, np.array([0]), self.bundle.window)
        if coverage(window)[0] < MIN_COVERAGE:
            return None
        t = self.t0 + np.array([start, stop]) / self.bundle.fps
        return WindowProbs(t[:1], t[1:], self.bundle.probabilities(window), list(self.bundle.labels))


def softmax(logits: np.ndarray) -> np.ndarray:
    z = logits - logits.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return (e / e.sum(axis=-1, keepdims=True)).astype(np.float32)


# --- saving and loading ------------------------------------------------------------------------------


def default_bundle_path() -> Path:
    """The default model shipped inside the package."""
    return Path(__file__).resolve().parent / "models" / "default"


def save_bundle(bundle: ModelBundle, directory: str | Path) -> None:
    """Write the bundle into ``directory`` (created if needed); each file atomically, weights first."""
    directory = Path(directory)
    make_folder(directory)
    tensors = {k: v.detach().contiguous().cpu() for k, v in bundle.model.state_dict().items()}
    with atomic_path(directory / WEIGHTS_FILE) as tmp:
        save_file(tensors, str(tmp))
        digest = _sha256(tmp)
    meta = {
        "format_version": BUNDLE_FORMAT,
        "package_version": __version__,
        "kind": bundle.kind,
        "model_config": bundle.model_config,
        "labels": list(bundle.labels),
        "features": bundle.spec.to_dict(),
        "window": bundle.window,
        "hop": bundle.hop,
        "fps": bundle.fps,
        "scaler": {"mean": bundle.mean.tolist(), "std": bundle.std.tolist()},
        "temperature": bundle.temperature,
        "training": bundle.config,
        "metrics": bundle.metrics,
        "weights_sha256": digest,
    }
    atomic_write_text(directory / META_FILE, json.dumps(meta, indent=1) + "\n")


def load_bundle(path: str | Path | None = None) -> ModelBundle:
    """Load a bundle directory (default: the embedded model). Every problem is a WorkoutError naming
    the file: missing files, another format version, a weights hash mismatch, wrong shapes."""
    directory = Path(path) if path is not None else default_bundle_path()
    if directory.is_file() and directory.name in (META_FILE, WEIGHTS_FILE):  # a bundle's file: its folder is meant
        directory = directory.parent
    meta_path, weights_path = directory / META_FILE, directory / WEIGHTS_FILE
    if not directory.exists():
        raise WorkoutError(f"{directory}: no such model folder (the folder `workout train -o` writes)")
    if not directory.is_dir():
        raise WorkoutError(f"{directory}: is not a model folder (the folder `workout train -o` writes)")
    for p in (meta_path, weights_path):
        if not p.is_file():
            raise WorkoutError(f"{p}: missing; {directory} is not a complete model bundle (the folder "
                               "`workout train -o` writes)")  # fmt: skip
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise WorkoutError(f"{meta_path}: not readable bundle metadata: {exc}") from None
    if not isinstance(meta, dict) or meta.get("format_version") != BUNDLE_FORMAT:
        version = meta.get("format_version") if isinstance(meta, dict) else None
        raise WorkoutError(f"{meta_path}: bundle format {version!r}, this version reads format {BUNDLE_FORMAT}; retrain it")
    if _sha256(weights_path) != meta.get("weights_sha256"):
        raise WorkoutError(f"{weights_path}: SHA-256 does not match {META_FILE}; the bundle was altered or damaged")
    try:
        labels = [str(x) for x in meta["labels"]]
        spec = FeatureSpec.from_dict(meta["features"])
        model = build_model(meta["kind"], spec.size, len(labels), **meta["model_config"])
        try:
            model.load_state_dict(load_file(str(weights_path)))
        except RuntimeError:  # torch's message is many lines of tensor names and shapes
            raise ValueError(f"the weights do not match the model and labels {META_FILE} describes "
                             f"({meta['kind']}, {len(labels)} labels)") from None
        model.eval()
        mean = np.asarray(meta["scaler"]["mean"], np.float32)
        std = np.asarray(meta["scaler"]["std"], np.float32)
        if mean.shape != (spec.size,) or std.shape != (spec.size,):
            raise ValueError(f"scaler has {mean.shape[0]} values, features have {spec.size}")
        return ModelBundle(model, labels, str(meta["kind"]), dict(meta["model_config"]), spec, int(meta["window"]),
                           int(meta["hop"]), mean, std, float(meta["temperature"]), dict(meta.get("metrics", {})),
                           dict(meta.get("training", {})))  # fmt: skip
    except (KeyError, TypeError, ValueError, RuntimeError) as exc:
        raise WorkoutError(f"{directory}: inconsistent model bundle: {str(exc).splitlines()[0]}") from None


def _sha256(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()
