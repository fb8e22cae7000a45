"""Train the embedded default model by the documented recipe (docs/models.md, "The default model").

    .venv/bin/python scripts/train_default.py            # CV estimate, then the final fit, into the package
    .venv/bin/python scripts/train_default.py --folds 0  # final fit only (epochs/temperature from --epochs/-T)

Recipe: the real labelled sequences of ../shared/data (the extracted clips of videos/, RepCount-A,
PushFit; see shared_data.py) plus synthetic sets of every generator class (``workout_analysis.synth``,
including "no_exercise"). First a leave-sources-out cross-validation over the real data (synthetic data
joins every fold's training part) measures the recipe and picks the number of epochs and the
temperature; then one model is trained on all of it for that many epochs, calibrated with that
temperature, and written to src/workout_analysis/models/default/ with the measured figures.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from shared_data import real_sequences  # noqa: E402

from workout_analysis.bundle import default_bundle_path, save_bundle  # noqa: E402
from workout_analysis.evaluate import cross_validate  # noqa: E402
from workout_analysis.fileio import atomic_write_text  # noqa: E402
from workout_analysis.sequence import PoseSequence  # noqa: E402
from workout_analysis.synth import SYNTH_EXERCISES, generate  # noqa: E402
from workout_analysis.train import TrainConfig, fit  # noqa: E402


def synthetic_sequences(per_class: int, seed: int = 1000) -> list[PoseSequence]:
    """``per_class`` synthetic sets of every generator exercise (seeds ``seed``, ``seed + 1``, ...)."""
    out = []
    for exercise in SYNTH_EXERCISES:
        for i in range(per_class):
            seq, _ = generate(exercise, seed=seed + i)
            seq.meta.pop("truth", None)  # ground truth is not needed here and is large
            out.append(seq)
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", default="tcn", choices=("gru", "tcn"))
    p.add_argument("--synthetic", type=int, default=12, help="synthetic sets per class (default 12)")
    p.add_argument("--folds", type=int, default=5, help="leave-sources-out folds for the estimate (0: skip)")
    p.add_argument("--epochs", type=int, default=30, help="epochs of the final fit when --folds 0")
    p.add_argument("-T", "--temperature", type=float, default=1.0, help="temperature when --folds 0")
    p.add_argument("-o", "--output", type=Path, default=default_bundle_path())
    p.add_argument("--report", type=Path, default=Path("/work/cache/default_model_cv.json"),
                   help="where the cross-validation details go (outside the repo)")  # fmt: skip
    args = p.parse_args()
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)

    real = real_sequences()
    synth = synthetic_sequences(args.synthetic)
    print(f"{len(real)} real sequences ({len({s.meta['source'] for s in real})} sources), {len(synth)} synthetic")
    config = TrainConfig.for_model(args.model)
    estimate: dict = {}
    if args.folds:
        estimate = cross_validate(real, config, args.folds, extra_train=synth)
        atomic_write_text(args.report, json.dumps(estimate, indent=1) + "\n")
        epochs = int(np.median([f["best_epoch"] or config.epochs for f in estimate["folds"]]))
        temperature = float(np.median([f["temperature"] for f in estimate["folds"]]))
        print(f"leave-sources-out estimate: video accuracy {estimate['video_accuracy']:.1%}, macro-F1 "
              f"{estimate['video_macro_f1']:.3f}; final fit: {epochs} epochs, temperature {temperature:.2f}")  # fmt: skip
    else:
        epochs, temperature = args.epochs, args.temperature

    started = time.perf_counter()
    final = replace(config, epochs=epochs, temperature=temperature)
    bundle, history = fit(real + synth, None, sorted({s.meta["exercise"] for s in real + synth}), final)
    keep = ("videos", "video_accuracy", "video_macro_f1", "window_accuracy", "ece_uncalibrated", "ece", "per_class",
            "by_dataset", "n_folds")  # fmt: skip
    bundle.metrics = {
        "estimate": "leave-sources-out cross-validation over the real shared data (synthetic data in training only)",
        **{k: estimate[k] for k in keep if k in estimate},
        "training_videos": {"real": len(real), "synthetic": len(synth)},
        "train_seconds": round(time.perf_counter() - started, 1),
    }
    save_bundle(bundle, args.output)
    print(f"wrote {args.output} ({len(bundle.labels)} classes, {history['epochs_run']} epochs)")


if __name__ == "__main__":
    main()
