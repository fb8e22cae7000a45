"""Honest measurement: by video and by held-out source, never by frame alone.

``evaluate(bundle, sequences)`` scores a trained bundle on labelled sequences;
``cross_validate(sequences, config)`` trains one model per fold of held-out sources and scores
each on the sources it never saw. Scores: video-level accuracy and macro-F1 (the video verdict is
the mean of its window probabilities), the accuracy of the verdict ``workout analyze`` gives (the
exercise decoded over most time by ``analysis.classify.recognise``, which may be "no exercise"), window-level accuracy, per-class precision/recall and the
expected calibration error (ECE) before and after temperature scaling.
"""

from __future__ import annotations

import json
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .bundle import ModelBundle, WindowProbs, save_bundle, softmax
from .fileio import atomic_path, atomic_write_text
from .sequence import PoseSequence


@dataclass
class Predictions:
    """Labels and model outputs of a set of videos, gathered so that folds can be pooled."""

    labels: list[str]
    video_true: list[int] = field(default_factory=list)
    video_probs: list[np.ndarray] = field(default_factory=list)
    window_true: list[np.ndarray] = field(default_factory=list)
    window_logits: list[np.ndarray] = field(default_factory=list)
    window_probs: list[np.ndarray] = field(default_factory=list)  # calibrated
    datasets: list[str] = field(default_factory=list)  # meta["dataset"], to score each collection apart
    decoded: list[str] = field(default_factory=list)  # the analyze verdict (recognise) of each video

    def add(self, bundle: ModelBundle, sequences: list[PoseSequence]) -> None:
        from .analysis.classify import recognise

        for seq in sequences:
            windows, start, end = bundle.windows_of(seq)
            logits = bundle.logits(windows)
            probs = softmax(logits / bundle.temperature)
            y = self.labels.index(seq.meta["exercise"])
            verdict = recognise(WindowProbs(start, end, probs, list(bundle.labels)), hop_s=bundle.hop / bundle.fps)
            self.decoded.append(verdict.exercise)
            self.video_true.append(y)
            self.video_probs.append(probs.mean(axis=0) if len(probs) else np.full(len(self.labels), np.nan))
            self.window_true.append(np.full(len(probs), y))
            self.window_logits.append(logits)
            self.window_probs.append(probs)
            self.datasets.append(str(seq.meta.get("dataset", "")))


def ece(probs: np.ndarray, y: np.ndarray, bins: int = 15) -> float:
    """Expected calibration error of the top class: sum over confidence bins of |accuracy - confidence|
    weighted by the bin's share of samples."""
    if len(y) == 0:
        return float("nan")
    conf, pred = probs.max(axis=1), probs.argmax(axis=1)
    edges = np.linspace(0, 1, bins + 1)
    which = np.clip(np.digitize(conf, edges[1:-1]), 0, bins - 1)
    total = 0.0
    for b in range(bins):
        m = which == b
        if m.any():
            total += m.mean() * abs((pred[m] == y[m]).mean() - conf[m].mean())
    return float(total)


def summarise(pred: Predictions) -> dict:
    """Scores of pooled predictions (see the module docstring)."""
    from sklearn.metrics import confusion_matrix, f1_score, precision_recall_fscore_support

    labels = pred.labels
    vt = np.asarray(pred.video_true)
    vp = np.stack(pred.video_probs)
    scored = ~np.isnan(vp).any(axis=1)  # a video with no window that has a pose cannot be named
    vhat = np.where(scored, np.nan_to_num(vp).argmax(axis=1), -1)
    present = sorted(set(vt.tolist()))
    wt = np.concatenate(pred.window_true).astype(int)
    wl = np.concatenate(pred.window_logits)
    wp = np.concatenate(pred.window_probs)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        prec, rec, _, support = precision_recall_fscore_support(vt, vhat, labels=present, zero_division=0)
        macro_f1 = f1_score(vt, vhat, labels=present, average="macro", zero_division=0)
    return {
        "videos": int(len(vt)),
        "video_accuracy": float((vhat == vt).mean()),
        "video_macro_f1": float(macro_f1),
        "analyze_accuracy": float(np.mean([d == labels[t] for d, t in zip(pred.decoded, vt)])),
        "windows": int(len(wt)),
        "window_accuracy": float((wp.argmax(axis=1) == wt).mean()) if len(wt) else float("nan"),
        "ece_uncalibrated": ece(softmax(wl), wt),
        "ece": ece(wp, wt),
        "per_class": {
            labels[c]: {"videos": int(n), "precision": float(p), "recall": float(r)}
            for c, p, r, n in zip(present, prec, rec, support)
        },
        "by_dataset": {
            d: {"videos": int(m.sum()), "video_accuracy": float((vhat[m] == vt[m]).mean())}
            for d in sorted(set(pred.datasets)) if d for m in [np.asarray(pred.datasets) == d]
        },
        "labels": list(labels),
        # classes with no video to score: absent from per_class, macro-F1 and the confusion plot
        "not_evaluated": [labels[c] for c in range(len(labels)) if c not in present],
        "confusion": confusion_matrix(vt, vhat, labels=list(range(len(labels)))).tolist(),
    }


# Below these, held-out figures move in big steps (one video of 4 is 25 points): say so beside them.
FEW_HELD_OUT_VIDEOS = 20
FEW_HELD_OUT_SOURCES = 3


def held_out_caution(videos: int, sources: int, scored_on: str = "held-out") -> str | None:
    """A plain warning when the videos a model is scored on are too few to judge it by."""
    if not videos or (videos >= FEW_HELD_OUT_VIDEOS and sources >= FEW_HELD_OUT_SOURCES):
        return None
    return (f"caution: {videos} {scored_on} video{'s' if videos != 1 else ''} from {sources} source"
            f"{'s' if sources != 1 else ''}: one video is {100 / videos:.0f} points; too few to judge the model")


def evaluate(bundle: ModelBundle, sequences: list[PoseSequence]) -> dict:
    """Scores of ``bundle`` on labelled ``sequences`` (each needs ``meta['exercise']``)."""
    pred = Predictions(list(bundle.labels))
    pred.add(bundle, [s for s in sequences if s.meta["exercise"] in bundle.labels])
    if not pred.video_true:
        return {"videos": 0}
    return summarise(pred)


def cross_validate(sequences: list[PoseSequence], config, n_folds: int = 5, progress: bool = True,
                   extra_train: list[PoseSequence] = (), save_folds: str | Path | None = None) -> dict:  # fmt: skip
    """Leave-sources-out K-fold: per fold, fit on the other sources (early stopping and temperature on
    a source-held-out part of them), score on the fold. ``extra_train`` (synthetic data) joins every
    fold's training part and is never scored. With ``save_folds``, each fold's bundle is saved in
    ``save_folds/<fold>/`` with ``held_out.json`` (its test sources and videos), so that later work can
    use a model that never saw them. Returns the pooled scores plus per-fold facts."""
    from tqdm import tqdm

    from .dataset import grouped_folds, grouped_split
    from .train import fit

    labels = sorted({s.meta["exercise"] for s in [*sequences, *extra_train]})
    pred = Predictions(labels)
    folds = []
    for k, (train_idx, test_idx) in enumerate(tqdm(grouped_folds(sequences, n_folds, config.seed), desc="folds",
                                                   disable=not progress)):  # fmt: skip
        train = [sequences[i] for i in train_idx]
        try:
            tr, va = grouped_split(train, config.val_fraction, config.seed)
        except ValueError:  # one source left for training: validate on some of its videos instead
            tr, va = grouped_split(train, config.val_fraction, config.seed, by="video")
        started = time.perf_counter()
        fit_on = [train[i] for i in tr] + list(extra_train)
        bundle, history = fit(fit_on, [train[i] for i in va], labels, config, progress=False)
        seconds = time.perf_counter() - started
        test = [sequences[i] for i in test_idx]
        pred.add(bundle, test)
        if save_folds is not None:
            save_bundle(bundle, Path(save_folds) / str(k))
            held = {"sources": sorted({str(s.meta.get("source")) for s in test}),
                    "videos": [str(s.meta.get("video_id")) for s in test]}  # fmt: skip
            atomic_write_text(Path(save_folds) / str(k) / "held_out.json", json.dumps(held, indent=1) + "\n")
        folds.append({"fold": k, "test_videos": len(test_idx), "temperature": bundle.temperature,
                      "temperature_note": history.get("temperature_note"),
                      "best_epoch": history.get("best_epoch"), "epochs_run": history["epochs_run"],
                      "train_seconds": seconds})  # fmt: skip
    result = summarise(pred)
    result["folds"] = folds
    result["n_folds"] = len(folds)
    return result


# --- pictures ---------------------------------------------------------------------------------------


def plot_confusion(metrics: dict, path: str | Path, title: str = "Video-level confusion (held-out part)",
                   scored_on: str = "held-out") -> None:  # fmt: skip
    """Confusion matrix of video verdicts, rows = true class, counts written in the cells; the classes with no
    ``scored_on`` video are named in the title."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    labels, cm = metrics["labels"], np.asarray(metrics["confusion"])
    used = np.flatnonzero(cm.sum(axis=0) + cm.sum(axis=1))  # only classes that occur
    cm = cm[np.ix_(used, used)]
    names = [labels[i] for i in used]
    size = max(4.0, 0.35 * len(names) + 2)
    fig, ax = plt.subplots(figsize=(size, size))
    ax.imshow(cm, cmap="Blues")
    ax.set_xticks(range(len(names)), names, rotation=90, fontsize=7)
    ax.set_yticks(range(len(names)), names, fontsize=7)
    for i, j in zip(*np.nonzero(cm)):
        ax.text(j, i, str(cm[i, j]), ha="center", va="center", fontsize=6,
                color="white" if cm[i, j] > cm.max() / 2 else "black")  # fmt: skip
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    if metrics.get("not_evaluated"):  # said on the picture, not silently left out
        missing = metrics["not_evaluated"]
        listed = ", ".join(missing) if len(missing) <= 6 else f"{len(missing)} classes"
        title += f"\nnot evaluated (no {scored_on} video): {listed}"
    ax.set_title(title, fontsize=9)
    fig.tight_layout()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=120)
    plt.close(fig)


def plot_learning_curves(history: dict, path: str | Path) -> None:
    """Training and validation loss, and validation accuracy, per epoch."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (a, b) = plt.subplots(1, 2, figsize=(9, 3.5))
    epochs = np.arange(1, len(history["train_loss"]) + 1)
    a.plot(epochs, history["train_loss"], label="train")
    if history.get("val_loss"):
        a.plot(epochs[: len(history["val_loss"])], history["val_loss"], label="validation")
        b.plot(epochs[: len(history["val_accuracy"])], history["val_accuracy"])
    kept = history.get("kept_epoch")
    if kept:  # the epoch whose weights the bundle holds: the best one (keep_best) or the last
        a.axvline(kept, color="grey", ls=":", label=f"kept (epoch {kept})")
    a.set(xlabel="epoch", ylabel="cross-entropy", title="loss")
    b.set(xlabel="epoch", ylabel="accuracy", title="validation window accuracy")
    if not history.get("val_accuracy"):  # --validation 0: an empty panel would look like a failed run
        b.text(0.5, 0.5, "no validation part", ha="center", va="center", transform=b.transAxes)
    a.legend()
    fig.tight_layout()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=110)
    plt.close(fig)
