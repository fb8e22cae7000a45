"""Training: landmark sequences -> a calibrated model bundle.

``fit(train, val, labels, config)`` trains one model; ``train_bundle(sequences, config)`` splits
by source (or video), fits, calibrates and measures, and is what ``workout train`` runs. The
``mlp`` recipe is the original design's, exactly (per-frame, raw 99 features, Adam 1e-3,
StepLR(10, 0.5), batch 32, <= 80 epochs, early stopping after 5 epochs without a lower validation
loss); ``gru``, ``tcn`` and ``gcn`` (a graph network over the skeleton) learn from 2 s windows of
body-centred features with augmentation.
"""

from __future__ import annotations

import copy
import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import numpy as np
import torch
from torch import nn
from tqdm import tqdm

from .augment import Augmenter, time_warp_crop
from .bundle import MIN_COVERAGE, ModelBundle, softmax
from .errors import WorkoutError
from .exercises import class_name
from .features import FeatureSpec, coverage, metric_points, resample_index
from .models import build_model
from .sequence import ORIGINAL_CSV_COLUMNS, PoseSequence, from_flat, sequences_from_table


@dataclass
class TrainConfig:
    """How to train; ``TrainConfig.for_model(kind)`` gives each model's recipe."""

    model: str = "tcn"
    features: str = "pose"
    canonical: bool = False
    fps: float = 15.0
    window: int = 30  # frames at ``fps``: 2 s
    hop: int = 5
    epochs: int = 30
    batch_size: int = 64
    lr: float = 1e-3
    step_size: int = 10
    gamma: float = 0.5
    patience: int = 8
    # True: stop early and keep the epoch with the lowest validation loss (the original design's MLP).
    # False: train every epoch and keep the last; for the window models, whose validation part is a few
    # held-out sources, early stopping measured far worse (23 % vs 67 %, docs/models.md).
    keep_best: bool = False
    val_fraction: float = 0.2
    seed: int = 0
    sampling: str = "balanced"  # "balanced": windows_per_class per class per epoch; "all": every window
    windows_per_class: int = 120
    synthetic_share: float = 0.5  # of a class's windows, when it has real and synthetic videos
    val_windows_per_video: int | None = 40  # evenly spaced; enough for the loss, bounded for long videos
    augment: Augmenter | None = field(default_factory=Augmenter)
    model_options: dict = field(default_factory=dict)
    temperature: float = 1.0  # used only when there is no validation part to fit it on

    @classmethod
    def for_model(cls, kind: str, **overrides) -> TrainConfig:
        if kind == "mlp":  # the original design
            base = cls(model="mlp", features="raw99", fps=30.0, window=1, hop=1, epochs=80, batch_size=32,
                       patience=5, keep_best=True, sampling="all", augment=None,
                       val_windows_per_video=None)  # fmt: skip
        else:
            base = cls(model=kind)
        return replace(base, **overrides)

    @property
    def spec(self) -> FeatureSpec:
        return FeatureSpec(self.features, self.canonical, self.fps)

    def to_dict(self) -> dict:
        d = asdict(self)
        d["augment"] = self.augment.to_dict() if self.augment else None
        return d


# --- input ------------------------------------------------------------------------------------------


def load_training_sequences(path: str | Path, min_classes: int = 2) -> list[PoseSequence]:
    """Labelled sequences from a landmark table (``.parquet`` from ``workout extract``) or the original
    design's CSV (99 features and a label per row; consecutive rows with one label form a video).
    A table's ``width``/``height`` columns, when present, give the frame aspect. Labels take the project's
    class names where they name a known exercise (the original dataset's "barbell biceps curl" is
    ``bicep_curl``, an older extract's "Jumping Jack" ``jumping_jack``), else snake_case. Fewer exercises
    than ``min_classes`` is an error: training needs two, scoring one will do."""
    import pandas as pd

    path = Path(path)
    if path.is_dir():
        raise WorkoutError(f"{path}: is a folder, not a landmark table: run `workout extract {path} "
                           f"-o {path.name or 'landmarks'}.parquet` first and give that table")  # fmt: skip
    if not path.is_file():
        raise WorkoutError(f"{path}: no such file")
    try:
        if path.suffix.lower() == ".parquet":
            table = pd.read_parquet(path)
            sequences = sequences_from_table(table)
            if {"width", "height"} <= set(table.columns):
                sizes = table.groupby("video_id", sort=False)[["width", "height"]].first()
                for s in sequences:
                    s.meta["width"], s.meta["height"] = (float(v) for v in sizes.loc[s.meta["video_id"]])
        elif path.suffix.lower() == ".csv":
            sequences = _csv_sequences(pd.read_csv(path), path.stem)
        else:
            raise WorkoutError(f"{path}: unsupported landmark table {path.suffix!r} (use .parquet or .csv)")
    except WorkoutError:
        raise
    except (ValueError, KeyError, OSError) as exc:
        reason = str(exc).splitlines()[0]
        if not reason.startswith("not a landmark table"):  # the table reader's own words say so already
            reason = f"not a readable landmark table: {reason}"
        raise WorkoutError(f"{path}: {reason}") from None
    sequences = [s for s in sequences if s.has_pose.any()]
    if unlabelled := [s.meta["video_id"] for s in sequences if not s.meta["exercise"]]:
        raise WorkoutError(f"{path}: {unlabelled[0]} has no exercise label (extracted from a single video); "
                           "extract DATA_DIR/<exercise>/ folders for labelled videos")  # fmt: skip
    for s in sequences:
        s.meta["exercise"] = class_name(s.meta["exercise"])
    if len({s.meta["exercise"] for s in sequences}) < min_classes:
        need = f"frames with a pose of at least {min_classes} exercises to train on"
        raise WorkoutError(f"{path}: needs {need if min_classes > 1 else 'a frame with a pose'}")
    return sequences


def _csv_sequences(frame, name: str) -> list[PoseSequence]:
    label_col = next((c for c in ("label", "exercise") if c in frame.columns), None)
    if label_col is None or not all(c in frame.columns for c in ORIGINAL_CSV_COLUMNS):
        raise ValueError("expected the columns x0, y0, z0 ... z32 and a 'label' column")
    labels = frame[label_col].astype(str).to_numpy()
    run = np.concatenate([[0], np.cumsum(labels[1:] != labels[:-1])])
    sequences = []
    for r in np.unique(run):
        rows = frame[run == r]
        meta = {"video_id": f"{name}_{r}", "exercise": labels[run == r][0], "source": f"{name}_{r}",
                "origin": "original_csv"}  # fmt: skip
        sequences.append(from_flat(rows[list(ORIGINAL_CSV_COLUMNS)].to_numpy(np.float32), meta=meta))
    return sequences


# --- windows ----------------------------------------------------------------------------------------


def bundle_for(config: TrainConfig, labels: list[str]) -> ModelBundle:
    """An untrained bundle (identity scaler) for ``config``."""
    spec = config.spec
    model = build_model(config.model, spec.size, len(labels), **config.model_options)
    ones = np.ones(spec.size, np.float32)
    return ModelBundle(model, list(labels), config.model, dict(config.model_options), spec, config.window, config.hop,
                       0 * ones, ones, config.temperature, {}, config.to_dict())  # fmt: skip


def all_windows(bundle: ModelBundle, sequences: list[PoseSequence], labels: list[str], per_video: int | None = None):
    """The windows of every sequence (at most ``per_video`` of each, evenly spaced): (windows, label index)."""
    parts, y = [], []
    for s in sequences:
        w = bundle.windows_of(s)[0]
        if per_video is not None and len(w) > per_video:
            w = w[np.linspace(0, len(w) - 1, per_video).round().astype(int)]
        parts.append(w)
        y.append(np.full(len(w), labels.index(s.meta["exercise"])))
    return np.concatenate(parts), np.concatenate(y).astype(np.int64)


def is_synthetic(seq: PoseSequence) -> bool:
    return seq.meta.get("source") == "synthetic"


def sample_windows(points: list[np.ndarray], y: np.ndarray, synthetic: np.ndarray, config: TrainConfig,
                   rng: np.random.Generator):  # fmt: skip
    """Class-balanced random windows: ``windows_per_class`` per class, each from a random video of the
    class (real or synthetic alike when the class has both, see ``synthetic_share``), at a random start
    and (with augmentation) a random speed."""
    warp = config.augment.time_warp if config.augment else 0.0
    windows, labels = [], []
    for c in np.unique(y):
        real, synth = np.flatnonzero((y == c) & ~synthetic), np.flatnonzero((y == c) & synthetic)
        for _ in range(config.windows_per_class):
            pool = synth if len(synth) and (not len(real) or rng.random() < config.synthetic_share) else real
            v = pool[rng.integers(len(pool))]
            speed = rng.uniform(1 - warp, 1 + warp)
            span = max(len(points[v]) - 1 - (config.window - 1) * speed, 0.0)
            windows.append(time_warp_crop(points[v], rng.uniform(0, span), config.window, speed))
            labels.append(c)
    windows = np.stack(windows)
    keep = coverage(windows) >= MIN_COVERAGE
    return windows[keep], np.asarray(labels)[keep]


# --- fitting ----------------------------------------------------------------------------------------


def fit(train: list[PoseSequence], val: list[PoseSequence] | None, labels: list[str], config: TrainConfig,
        progress: bool = True) -> tuple[ModelBundle, dict]:  # fmt: skip
    """Train on ``train``; with ``val``, stop early on its loss, keep the best epoch and fit the
    temperature on it. Returns the bundle and the history (per-epoch losses, accuracies, times)."""
    torch.manual_seed(config.seed)
    rng = np.random.default_rng(config.seed)
    bundle = bundle_for(config, labels)
    started = time.perf_counter()

    x_all, y_all = all_windows(bundle, train, labels, None if config.sampling == "all" else 16)
    if len(x_all) == 0:
        raise WorkoutError("no training window has enough frames with a pose")
    feats = bundle.features(x_all).reshape(-1, bundle.spec.size)
    bundle.mean = feats.mean(axis=0).astype(np.float32)
    std = feats.std(axis=0)
    bundle.std = np.where(std > 1e-6, std, 1.0).astype(np.float32)  # standardisation from training data only
    del feats
    points = [metric_points(s)[resample_index(s.timestamps, config.fps)] for s in train]
    y_video = np.array([labels.index(s.meta["exercise"]) for s in train])
    synthetic = np.array([is_synthetic(s) for s in train])

    if val:
        xv, yv = all_windows(bundle, val, labels, config.val_windows_per_video)
        xv_t, yv_t = torch.from_numpy(bundle.features(xv)), torch.from_numpy(yv)

    model = bundle.model
    opt = torch.optim.Adam(model.parameters(), lr=config.lr)
    sched = torch.optim.lr_scheduler.StepLR(opt, step_size=config.step_size, gamma=config.gamma)
    loss_fn = nn.CrossEntropyLoss()
    history: dict[str, list] = {"train_loss": [], "val_loss": [], "val_accuracy": []}
    best, best_loss, waited = copy.deepcopy(model.state_dict()), np.inf, 0
    bar = tqdm(range(config.epochs), desc=f"train {config.model}", unit="epoch", disable=not progress, leave=False)
    for epoch in bar:
        if config.sampling == "all":
            x, y = x_all, y_all
        else:
            x, y = sample_windows(points, y_video, synthetic, config, rng)
        if config.augment is not None:
            x = config.augment(x, rng)
            keep = coverage(x) >= MIN_COVERAGE
            x, y = x[keep], y[keep]
        xt, yt = torch.from_numpy(bundle.features(x)), torch.from_numpy(y)
        model.train()
        order = torch.from_numpy(rng.permutation(len(xt)))
        total = 0.0
        for i in range(0, len(order), config.batch_size):
            idx = order[i : i + config.batch_size]
            opt.zero_grad()
            loss = loss_fn(model(xt[idx]), yt[idx])
            loss.backward()
            opt.step()
            total += loss.item() * len(idx)
        sched.step()
        history["train_loss"].append(total / len(order))
        if not val:
            continue
        model.eval()
        with torch.no_grad():
            logits = torch.cat([model(xv_t[i : i + 1024]) for i in range(0, len(xv_t), 1024)])
            val_loss = float(loss_fn(logits, yv_t))
        history["val_loss"].append(val_loss)
        history["val_accuracy"].append(float((logits.argmax(1) == yv_t).float().mean()))
        bar.set_postfix(loss=f"{history['train_loss'][-1]:.3f}", val_loss=f"{val_loss:.3f}",
                        val_acc=f"{history['val_accuracy'][-1]:.3f}")  # fmt: skip
        if val_loss < best_loss - 1e-4:
            best, best_loss, waited = copy.deepcopy(model.state_dict()), val_loss, 0
            history["best_epoch"] = epoch + 1
        else:
            waited += 1
            if waited >= config.patience and config.keep_best:
                break
    history["epochs_run"] = len(history["train_loss"])
    kept_best = config.keep_best and val and "best_epoch" in history
    history["kept_epoch"] = history["best_epoch"] if kept_best else history["epochs_run"]
    if val:
        if config.keep_best:
            model.load_state_dict(best)
        model.eval()
        bundle.temperature, note = fit_temperature(bundle.logits(xv), yv, config.temperature)
    else:
        note = f"no validation part: temperature {config.temperature:g} as configured, not fitted"
    if note:
        history["temperature_note"] = note
    model.eval()
    history["train_seconds"] = time.perf_counter() - started
    return bundle, history


# Fewer validation windows than this, or fewer wrong ones, and T is not fitted: its NLL is then decided by a
# handful of windows, and with none wrong it keeps falling as T -> 0 (T undefined; a fit there made every
# later answer ~100 % sure, even on an exercise the model never saw).
MIN_CALIBRATION_WINDOWS = 100
MIN_CALIBRATION_ERRORS = 5
T_LOG_BOUND = 3.0  # T is searched in [e^-3, e^3]


def fit_temperature(logits: np.ndarray, y: np.ndarray, default: float = 1.0) -> tuple[float, str | None]:
    """The temperature T minimising the negative log-likelihood of softmax(logits / T) (Guo et al. 2017),
    and None; or ``default`` and a note saying why T was not fitted: fewer than ``MIN_CALIBRATION_WINDOWS``
    windows or fewer than ``MIN_CALIBRATION_ERRORS`` wrong ones, or a fit at (within 1 % of) a bound of
    the search, where the NLL still falls: no finite T fits there."""
    from scipy.optimize import minimize_scalar

    wrong = int((logits.argmax(axis=1) != y).sum())
    if len(y) < MIN_CALIBRATION_WINDOWS or wrong < MIN_CALIBRATION_ERRORS:
        return default, (f"temperature {default:g} kept, not fitted: {len(y)} validation windows, {wrong} wrong "
                         f"(fitting needs >= {MIN_CALIBRATION_WINDOWS} and >= {MIN_CALIBRATION_ERRORS} wrong)")

    def nll(log_t: float) -> float:
        p = softmax(logits / np.exp(log_t))
        return float(-np.log(np.maximum(p[np.arange(len(y)), y], 1e-12)).mean())

    log_t = float(minimize_scalar(nll, bounds=(-T_LOG_BOUND, T_LOG_BOUND), method="bounded").x)
    if abs(abs(log_t) - T_LOG_BOUND) < 0.01 * T_LOG_BOUND:
        return default, (f"temperature {default:g} kept: the fit ran to its bound (T = {np.exp(log_t):.3g}), "
                         "no finite T fits")
    return float(np.exp(log_t)), None


# --- the whole job -----------------------------------------------------------------------------------


def train_bundle(sequences: list[PoseSequence], config: TrainConfig, progress: bool = True,
                 split: str = "source") -> tuple[ModelBundle, dict, dict]:  # fmt: skip
    """Split (by source/video, or ``split="frame"``: the leaky random frame split, only to show the
    leak), fit, calibrate and evaluate on the held-out part. Returns (bundle, metrics, history).
    ``config.val_fraction == 0`` trains on everything: no metrics, temperature ``config.temperature``."""
    from .evaluate import evaluate

    labels = sorted({s.meta["exercise"] for s in sequences})
    if config.val_fraction == 0:
        train, held = list(sequences), []
    elif split == "frame":
        train, held = _frame_split(sequences, config.val_fraction, config.seed)
    else:
        train, held = _source_split(sequences, labels, config)
    bundle, history = fit(train, held or None, labels, config, progress)
    metrics = evaluate(bundle, held) if held else {"videos": 0}
    metrics["split"] = {"kind": split if held else "none", "train_videos": len(train), "validation_videos": len(held),
                        "validation_sources": sorted({str(s.meta.get("source", "")) for s in held}),
                        "validation_video_ids": sorted({str(s.meta.get("video_id", "")) for s in held}),
                        # kept so that `workout evaluate` can tell when a test table holds videos the model saw
                        "train_video_ids": sorted({str(s.meta.get("video_id", "")) for s in train})}  # fmt: skip
    metrics["temperature"] = bundle.temperature
    if "temperature_note" in history:
        metrics["temperature_note"] = history["temperature_note"]
    bundle.metrics = metrics
    return bundle, metrics, history


def _source_split(sequences: list[PoseSequence], labels: list[str], config: TrainConfig):
    """(train, held-out) keeping whole sources apart; a WorkoutError saying what is missing when it cannot."""
    from .dataset import grouped_split, split_folds, split_groups

    try:
        tr, te = grouped_split(sequences, config.val_fraction, config.seed)
    except ValueError:
        groups = len(set(split_groups(sequences)))
        if all(s.meta.get("origin") == "original_csv" for s in sequences):
            raise WorkoutError("the original design's CSV has no video ids (the rows of an exercise are read as one "
                               "video), so no video can be held out; train on the .parquet table `workout extract` "
                               "writes beside it, or use --split frame (leaky: frames of one video on both sides)"
                               ) from None  # fmt: skip
        if groups < 2:  # no count of videos helps: the held-out part must be another person's
            raise WorkoutError(f"too little data to hold out a validation part by source: all {len(sequences)} "
                               "videos come from one source; add videos from another source") from None  # fmt: skip
        n = min(split_folds(config.val_fraction), groups)
        raise WorkoutError(f"too little data to hold out a validation part by source ({len(sequences)} videos of "
                           f"{len(labels)} exercises): holding out 1 source in {n} needs an exercise with at least "
                           f"{n} videos from different sources; give more, or a larger --validation") from None  # fmt: skip
    return [sequences[i] for i in tr], [sequences[i] for i in te]


def _frame_split(sequences: list[PoseSequence], fraction: float, seed: int):
    """Each video's frames dealt at random into train and validation (what the original design did).
    The frames of each part are renumbered consecutively, so that a per-frame model sees them all."""
    rng = np.random.default_rng(seed)
    train, held = [], []
    for s in sequences:
        mask = rng.random(len(s)) < fraction
        for part, m in ((train, ~mask), (held, mask)):
            if m.any():
                idx = np.flatnonzero(m)
                part.append(PoseSequence(s.landmarks[idx], s.fps, None, None, dict(s.meta)))
    return train, held
