"""The "no exercise" threshold (DecoderConfig.min_confidence) seen from single-exercise clips: how many real
clips `workout analyze` names right, and how many synthetic no-exercise sets it rejects, per threshold.

    .venv/bin/python scripts/train_default.py --save-folds /work/cache/rec/base/folds   # fold models, once
    .venv/bin/python scripts/eval_min_confidence.py --folds /work/cache/rec/base/folds

Each fold model judges only the real sequences it never saw (held_out.json); the no-exercise sets are
synthetic (standing, walking, resting) with seeds no model trained on. The threshold itself is chosen on
segmentation of joined clips (scripts/eval_segmentation.py); this is the other side of the trade-off.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from shared_data import real_sequences  # noqa: E402

from workout_analysis.analysis.classify import DecoderConfig, recognise  # noqa: E402
from workout_analysis.bundle import load_bundle  # noqa: E402
from workout_analysis.exercises import NO_EXERCISE  # noqa: E402
from workout_analysis.synth import generate  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--folds", type=Path, required=True, help="fold bundles from train_default.py --save-folds")
    parser.add_argument("--thresholds", type=float, nargs="+", default=[0.05, 0.08, 0.10, 0.12, 0.15, 0.20])
    parser.add_argument("--still", type=int, default=30, help="synthetic no-exercise sets (seeds 5000...)")
    args = parser.parse_args()
    torch.set_num_threads(1)
    folds = sorted(p for p in args.folds.iterdir() if (p / "held_out.json").is_file())
    real = {s.meta["video_id"]: s for s in real_sequences()}
    right = {t: [] for t in args.thresholds}
    said_none = {t: 0 for t in args.thresholds}
    rejected = {t: [] for t in args.thresholds}
    bundles = [load_bundle(f) for f in folds]
    for folder, bundle in zip(folds, bundles):
        hop_s = bundle.hop / bundle.fps
        for vid in json.loads((folder / "held_out.json").read_text())["videos"]:
            seq = real[vid]
            windows = bundle.predict_windows(seq)
            if not len(windows):
                continue
            for t in args.thresholds:
                exercise = recognise(windows, DecoderConfig(min_confidence=t), hop_s=hop_s).exercise
                right[t].append(exercise == seq.meta["exercise"])
                said_none[t] += exercise == NO_EXERCISE
    for i in range(args.still):
        bundle = bundles[i % len(bundles)]
        windows = bundle.predict_windows(generate(NO_EXERCISE, seed=5000 + i)[0])
        for t in args.thresholds:
            config = DecoderConfig(min_confidence=t)
            rejected[t].append(recognise(windows, config, hop_s=bundle.hop / bundle.fps).exercise == NO_EXERCISE)
    print("| min_confidence | real clips named right | said 'no exercise' | synthetic no-exercise sets rejected |")
    print("|---:|---:|---:|---:|")
    for t in args.thresholds:
        print(f"| {t:.2f} | {np.mean(right[t]):.1%} of {len(right[t])} | {said_none[t]} | "
              f"{np.mean(rejected[t]):.0%} of {len(rejected[t])} |")  # fmt: skip


if __name__ == "__main__":
    main()
