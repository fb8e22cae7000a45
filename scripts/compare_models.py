"""One command for the model comparison in docs/models.md (numbers on the real shared data).

    .venv/bin/python scripts/compare_models.py                 # ~1 h on a free 2-core machine
    .venv/bin/python scripts/compare_models.py --folds 2 --synthetic 4 --epochs 15   # quicker, rougher

Every model is scored by leave-sources-out cross-validation over the real labelled sequences of
../shared/data (see shared_data.py): a fold's sources are never seen in its training, synthetic
data (when used) joins every fold's training part and is never scored. Then the augmentation
ablation: the TCN trained with all augmentations, with none, and with each one left out, on the
same folds. Writes docs/models.md and the full results as JSON (outside the repo).
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
from train_default import synthetic_sequences  # noqa: E402

from workout_analysis.augment import Augmenter  # noqa: E402
from workout_analysis.evaluate import Predictions, cross_validate, summarise  # noqa: E402
from workout_analysis.fileio import atomic_write_text  # noqa: E402
from workout_analysis.models import count_parameters  # noqa: E402
from workout_analysis.train import TrainConfig, all_windows, bundle_for, fit  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_ROW = "tcn (pose features, augmented, + synthetic)"  # the default model's recipe (train_default.py)
# The default model's recipe: like DEFAULT_ROW but all epochs, the last kept (no early stopping).
FINAL_ROW = "tcn + synthetic, all 30 epochs, no early stopping (the default model's recipe)"
GRU_FINAL_ROW = "gru + synthetic, all 30 epochs, no early stopping (the default recipe, GRU instead of TCN)"
GCN_FINAL_ROW = ("gcn + synthetic, all 30 epochs, no early stopping (the default recipe, a graph network over the "
                 "skeleton instead of the TCN)")  # fmt: skip
ABLATION = ("all (the recipe)", "none", "all but mirroring", "all but rotations and scaling", "all but time warping",
            "all but jitter and dropped landmarks/frames", "all + canonical body rotation (feature)",
            "all, GRU instead of TCN")  # fmt: skip


def cpu_ms_per_window(config: TrainConfig, labels: list[str], sequences) -> tuple[int, float]:
    """Parameters, and single-thread milliseconds per window (features + network) of an untrained model."""
    bundle = bundle_for(config, labels)
    windows, _ = all_windows(bundle, sequences[:20], labels, per_video=20)
    windows = windows[:256]
    bundle.probabilities(windows)  # warm up
    started = time.perf_counter()
    for _ in range(3):
        bundle.probabilities(windows)
    return count_parameters(bundle.model), (time.perf_counter() - started) / 3 / len(windows) * 1000


def run(name: str, config: TrainConfig, real, synth, folds: int, results: dict, json_path: Path) -> dict:
    print(f"--- {name}", flush=True)
    started = time.perf_counter()
    r = cross_validate(real, config, folds, extra_train=synth)
    labels = r["labels"]
    r["parameters"], r["ms_per_window"] = cpu_ms_per_window(config, labels, real)
    r["train_seconds"] = float(np.mean([f["train_seconds"] for f in r["folds"]]))
    r["wall_seconds"] = time.perf_counter() - started
    r["config"] = config.to_dict()
    r["synthetic"] = len(synth)
    results[name] = r
    atomic_write_text(json_path, json.dumps(results, indent=1) + "\n")  # keep what is done if interrupted
    print(f"{name}: video {r['video_accuracy']:.1%} macro-F1 {r['video_macro_f1']:.3f} window "
          f"{r['window_accuracy']:.1%} ECE {r['ece_uncalibrated']:.3f}->{r['ece']:.3f}", flush=True)  # fmt: skip
    return r


def synthetic_only(config: TrainConfig, real, synth) -> dict:
    """Trained on synthetic data alone (validation: a slice of it), scored on every real sequence."""
    labels = sorted({s.meta["exercise"] for s in [*real, *synth]})
    val = synth[::5]
    train = [s for i, s in enumerate(synth) if i % 5]
    bundle, _ = fit(train, val, labels, config, progress=False)
    pred = Predictions(labels)
    pred.add(bundle, real)
    return summarise(pred)


def row(name: str, r: dict) -> str:
    clips = r.get("by_dataset", {}).get("videos", {}).get("video_accuracy", float("nan"))
    return (f"| {name} | {r['video_accuracy']:.1%} | {clips:.1%} | {r['video_macro_f1']:.3f} | {r['window_accuracy']:.1%} | "
            f"{r['ece_uncalibrated']:.3f} → {r['ece']:.3f} | {r.get('parameters', 0):,} | "
            f"{r.get('ms_per_window', float('nan')):.2f} | {r.get('train_seconds', float('nan')):.0f} s |")  # fmt: skip


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--folds", type=int, default=3)
    p.add_argument("--synthetic", type=int, default=8, help="synthetic sets per class")
    p.add_argument("--epochs", type=int, default=30, help="maximum epochs of the window models")
    p.add_argument("--ablation-epochs", type=int, default=12, help="maximum epochs in the ablation")
    p.add_argument("--skip-ablation", action="store_true")
    p.add_argument("--only", help="run only the rows whose names contain one of these |-separated words "
                   "(to spread the work over processes), write JSON only")  # fmt: skip
    p.add_argument("--merge", type=Path, nargs="+", help="write docs/models.md from these JSON parts, run nothing")
    p.add_argument("--out", type=Path, default=ROOT / "docs" / "models.md")
    p.add_argument("--json", type=Path, default=Path("/work/cache/compare_models.json"))
    args = p.parse_args()
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)

    if args.merge:  # parts run in parallel processes (--only), put together
        results = {k: v for path in args.merge for k, v in json.loads(path.read_text()).items()}
        write_markdown(args, results)
        return
    wanted = lambda name: not args.only or any(o in name for o in args.only.split("|"))  # noqa: E731
    real = real_sequences()
    synth = synthetic_sequences(args.synthetic)
    results: dict = {}
    tcn = TrainConfig.for_model("tcn", epochs=args.epochs, keep_best=True)  # early stopping, see FINAL_ROW
    models = {
        DEFAULT_ROW: (tcn, synth),
        FINAL_ROW: (replace(tcn, keep_best=False), synth),
        "mlp (original design: raw 99, per frame, real data only)": (TrainConfig.for_model("mlp"), []),
        "gru (pose features, augmented, + synthetic)": (replace(tcn, model="gru"), synth),
        GRU_FINAL_ROW: (replace(tcn, model="gru", keep_best=False), synth),
        GCN_FINAL_ROW: (replace(tcn, model="gcn", keep_best=False), synth),
        "tcn, real data only": (tcn, []),
    }
    # The ablation runs in a cheaper regime (fewer epochs and windows) so that every variant fits
    # the time; its rows compare with each other, not with the table above.
    cheap = replace(tcn, epochs=args.ablation_epochs, windows_per_class=60)
    full = Augmenter()
    off = lambda *names: replace(cheap, augment=replace(full, **{n: 0.0 for n in names}))  # noqa: E731
    variants = {
        "all (the recipe)": cheap,
        "none": replace(cheap, augment=Augmenter.none()),
        "all but mirroring": off("mirror"),
        "all but rotations and scaling": off("vertical_rotation", "image_rotation", "scale"),
        "all but time warping": off("time_warp"),
        "all but jitter and dropped landmarks/frames": off("jitter", "drop_landmarks", "drop_frames"),
        "all + canonical body rotation (feature)": replace(cheap, canonical=True),
        "all, GRU instead of TCN": replace(cheap, model="gru"),
    }
    for name, (config, extra) in models.items():
        if wanted(name):
            run(name, config, real, extra, args.folds, results, args.json)
    if wanted("synthetic only"):
        results["synthetic only"] = synthetic_only(tcn, real, synth)
        atomic_write_text(args.json, json.dumps(results, indent=1) + "\n")
    if not args.skip_ablation:
        for name, config in variants.items():
            if wanted(f"ablation: {name}"):
                run(f"ablation: {name}", config, real, synth, args.folds, results, args.json)
    results["_data"] = {"real": len(real), "synthetic": len(synth)}
    atomic_write_text(args.json, json.dumps(results, indent=1) + "\n")
    if not args.only:
        write_markdown(args, results)


def write_markdown(args, results: dict) -> None:
    ablation = {k.removeprefix("ablation: "): v for k, v in results.items() if k.startswith("ablation: ")}
    n_real, n_synth = results["_data"]["real"], results["_data"]["synthetic"]
    seconds = sum(r.get("wall_seconds", 0) for r in results.values() if isinstance(r, dict))
    head = ("| model | video accuracy | ... on the 168 clips of videos/ | video macro-F1 | window accuracy | "
            "ECE before → after temperature | parameters | CPU ms / window | training time per fold |\n"
            "|---|---|---|---|---|---|---|---|---|")  # fmt: skip
    lines = [
        "# Models compared",
        "",
        "Generated by `.venv/bin/python scripts/compare_models.py "
        f"--folds {args.folds} --synthetic {args.synthetic} --epochs {args.epochs} --ablation-epochs {args.ablation_epochs}` "
        f"({seconds / 60:.0f} min of runs on the shared, busy 2-core machine"
        + ("; here run as parallel parts with `--only` and put together with `--merge`" if args.merge else "")
        + "). Do not edit by hand.",
        "",
        f"Scored by leave-sources-out cross-validation ({args.folds} folds grouped by source repository, "
        f"stratified by exercise) over {n_real} real labelled sequences of `../shared/data` (the extracted "
        "clips of `videos/`, RepCount-A, PushFit). A fold's sources are never in its training part; "
        f"synthetic data ({n_synth} sets, all {args.synthetic} per generator class) joins every training part "
        "and is never scored. Video verdict = mean of the window probabilities; the MLP's windows are single "
        "frames, so its window accuracy is the original design's frame accuracy. ECE is over windows (15 bins). "
        "A class whose only source is in the test fold cannot be learnt from real data in that fold: those "
        "videos count as errors (synthetic data is what can name them). Unless a row says otherwise, training "
        "stops early on a validation part of the training sources (patience 8, best epoch kept); the MLP keeps "
        "the original design's schedule. CPU times were taken on the busy shared machine.",
        "",
        head,
    ]
    lines += [row(name, r) for name, r in results.items() if "folds" in r and not name.startswith("ablation")]
    if not any(n.startswith("gru") for n in results):
        lines += ["", "The full-regime GRU row was not run in this session (machine too busy); the GRU is compared "
                  "with the TCN in the cheaper regime of the ablation below."]  # fmt: skip
    if "synthetic only" not in results:
        results["synthetic only"] = {"videos": 0, "video_accuracy": float("nan"), "video_macro_f1": float("nan")}
    so = results["synthetic only"]
    lines += ["", f"Trained on synthetic data alone (no real data at all), scored on all {so['videos']} real "
              f"sequences: video accuracy {so['video_accuracy']:.1%}, macro-F1 {so['video_macro_f1']:.3f}.", ""]  # fmt: skip
    best = max((r for n, r in results.items() if "folds" in r and not n.startswith("ablation")),
               key=lambda r: r["video_accuracy"])
    lines += ["## Per class (best model above, video level)", "", "| class | videos | recall | precision |", "|---|---|---|---|"]
    lines += [f"| {c} | {v['videos']} | {v['recall']:.0%} | {v['precision']:.0%} |" for c, v in best["per_class"].items()]
    lines += ["", "By collection: " + ", ".join(f"{d} {v['video_accuracy']:.1%} of {v['videos']}"
                                                for d, v in best.get("by_dataset", {}).items()), ""]  # fmt: skip
    if ablation:
        lines += ["## Augmentation ablation and variants (TCN + synthetic, same folds)", "",
                  f"Each augmentation's effect: the full recipe against the recipe without it, in a cheaper regime "
                  f"(at most {args.ablation_epochs} epochs of 60 windows per class), so compare these rows with "
                  "each other only.", "", head]  # fmt: skip
        lines += [row(name, r) for name, r in ablation.items()]
        missing = [n for n in ABLATION if n not in ablation]
        if missing:
            lines += ["", "Not run in this session (the shared machine was too busy to finish them before the deadline): "
                      + "; ".join(missing) + "."]  # fmt: skip
    atomic_write_text(args.out, "\n".join(lines) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
