"""Realism of the synthetic generator: joint-angle distributions, synthetic vs real, per exercise.

Reads real landmarks (the extract table of the shared videos, or a folder of extracted .npz
sequences), generates N synthetic sets per exercise that has real clips, and compares the per-frame
2D joint angles (``features.sequence_angles``, left and right pooled) of the two:

    .venv/bin/python scripts/synth_realism.py --real /work/cache/shared_videos.parquet --out docs/img

Writes one figure per group of exercises (overlaid histograms; ``docs/img/synth_realism_*.png``),
prints a Markdown table of percentiles and the 1-D Wasserstein distance (degrees) per exercise and
angle, and writes the same numbers as JSON beside the figures' folder (``--json``).
"""

from __future__ import annotations

import argparse
import json
from collections import defaultdict
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from scipy.stats import wasserstein_distance  # noqa: E402
from tqdm import tqdm  # noqa: E402

from workout_analysis.features import ANGLE_NAMES, metric_xyz, normalize, sequence_angles, torso_size  # noqa: E402
from workout_analysis.fileio import atomic_path, atomic_write_text  # noqa: E402
from workout_analysis.sequence import LANDMARK_INDEX, PoseSequence, load_sequence, sequences_from_table  # noqa: E402
from workout_analysis.synth import SYNTH_EXERCISES, generate  # noqa: E402

# Angle groups compared: left and right pooled (a video shows either side).
GROUPS = {"elbow": ("left_elbow", "right_elbow"), "shoulder": ("left_shoulder", "right_shoulder"),
          "hip": ("left_hip", "right_hip"), "knee": ("left_knee", "right_knee"), "trunk_lean": ("trunk_lean",)}  # fmt: skip
MIN_VISIBILITY = 0.5  # joints whose three landmarks are all at least this visible


def load_real(path: Path, index: Path) -> dict[str, list[PoseSequence]]:
    """Real sequences by exercise, from an extract .parquet table or a folder of .npz sequences.

    The table does not record frame sizes, which the aspect-corrected angles need: they come from the
    shared videos' INDEX.tsv (columns file, width, height), matched on the end of each video's path.
    """
    if path.suffix == ".parquet":
        import pandas as pd

        seqs = sequences_from_table(pd.read_parquet(path))
        sizes = _frame_sizes(index)
        for s in seqs:
            size = next((v for k, v in sizes.items() if s.meta["path"].endswith(k)), None)
            if size:
                s.meta["width"], s.meta["height"] = size
    else:
        seqs = [load_sequence(p) for p in sorted(path.glob("*.npz"))]
        for s in seqs:
            s.meta.setdefault("exercise", Path(s.meta["source"]).parent.name)
    by_class: dict[str, list[PoseSequence]] = defaultdict(list)
    for s in seqs:
        by_class[s.meta["exercise"]].append(s)
    return by_class


def _frame_sizes(index: Path) -> dict[str, tuple[int, int]]:
    import csv

    if not index.is_file():
        return {}
    with open(index, newline="") as fh:
        return {row["file"]: (int(row["width"]), int(row["height"])) for row in csv.DictReader(fh, delimiter="\t")}


def angle_samples(seqs: list[PoseSequence]) -> dict[str, np.ndarray]:
    """Per group, all frames' angles in degrees where the joint's landmarks are visible."""
    from workout_analysis.features import JOINT_ANGLES

    out: dict[str, list[np.ndarray]] = defaultdict(list)
    for seq in seqs:
        angles = sequence_angles(seq)
        vis = np.nan_to_num(seq.visibility, nan=0.0)
        for group, names in GROUPS.items():
            for name in names:
                col = angles[:, ANGLE_NAMES.index(name)]
                if name in JOINT_ANGLES:
                    col = col[vis[:, list(JOINT_ANGLES[name])].min(axis=1) >= MIN_VISIBILITY]
                out[group].append(col[np.isfinite(col)])
    return {g: np.concatenate(v) if v else np.empty(0) for g, v in out.items()}


def compare(real: dict[str, np.ndarray], synth: dict[str, np.ndarray]) -> dict[str, dict[str, float]]:
    stats = {}
    for group in GROUPS:
        r, s = real[group], synth[group]
        if len(r) < 20 or len(s) < 20:
            continue
        stats[group] = {
            "real_p5": float(np.percentile(r, 5)), "real_p50": float(np.median(r)), "real_p95": float(np.percentile(r, 95)),
            "synth_p5": float(np.percentile(s, 5)), "synth_p50": float(np.median(s)), "synth_p95": float(np.percentile(s, 95)),
            "w1": float(wasserstein_distance(r, s)),
        }  # fmt: skip
    return stats


def plot(rows: list[tuple[str, dict, dict]], path: Path) -> None:
    fig, axes = plt.subplots(len(rows), len(GROUPS), figsize=(2.6 * len(GROUPS), 1.5 * len(rows) + 0.6), squeeze=False)
    bins = np.linspace(0, 180, 37)
    for i, (exercise, real, synth) in enumerate(rows):
        for j, group in enumerate(GROUPS):
            ax = axes[i, j]
            if len(synth[group]):
                ax.hist(synth[group], bins=bins, density=True, color="tab:orange", alpha=0.5, label="synthetic")
            if len(real[group]):
                ax.hist(real[group], bins=bins, density=True, histtype="step", color="tab:blue", lw=1.5, label="real")
            ax.set_yticks([])
            ax.set_xticks([0, 90, 180] if i == len(rows) - 1 else [])
            if i == 0:
                ax.set_title(group)
            if j == 0:
                ax.set_ylabel(exercise, rotation=0, ha="right", va="center", fontsize=9)
    axes[0, -1].legend(fontsize=7, loc="upper right")
    fig.tight_layout()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=90)
    plt.close(fig)


def detector_stats(seq: PoseSequence) -> dict[str, float]:
    """What the detector and the framing look like in one sequence, in units that do not depend on the frame."""
    xyz = metric_xyz(seq)
    torso = float(np.nanmedian(torso_size(xyz)))
    accel = np.abs(xyz[2:, :, :2] - 2 * xyz[1:-1, :, :2] + xyz[:-2, :, :2]) / torso  # jitter + motion
    return {
        "torso / frame height": torso,
        "median |2nd difference| / torso": float(np.nanmedian(accel)),
        "p90 |2nd difference| / torso": float(np.nanpercentile(accel, 90)),
        "mean visibility": float(np.nanmean(seq.visibility)),
        "share of landmarks with visibility < 0.5": float(np.nanmean(seq.visibility < 0.5)),
        "share of frames without a pose": float(1 - seq.has_pose.mean()),
        "p90 |image z| / torso": float(np.nanpercentile(np.abs(seq.landmarks[..., 2]), 90) / torso),
    }


WINDOW, STRIDE = 60, 30  # probe windows: 2 s at 30 fps, half overlapping
_PROBE_POINTS = [LANDMARK_INDEX[n] for n in ("nose", "left_shoulder", "right_shoulder", "left_elbow", "right_elbow",
                 "left_wrist", "right_wrist", "left_knee", "right_knee", "left_ankle", "right_ankle")]  # fmt: skip


def window_features(seq: PoseSequence) -> np.ndarray:
    """(windows, features): per 2 s window, angle mean/std/p10/p90 and mean body-centred 2D positions."""
    angles = sequence_angles(seq)
    points = normalize(metric_xyz(seq))[:, _PROBE_POINTS, :2].reshape(len(seq), -1)
    rows = []
    for start in range(0, max(1, len(seq) - WINDOW + 1), STRIDE):
        a, q = angles[start : start + WINDOW], points[start : start + WINDOW]
        if np.isnan(a).all(axis=1).mean() > 0.5:
            continue
        rows.append(np.concatenate([np.nanmean(a, 0), np.nanstd(a, 0), np.nanpercentile(a, 10, 0),
                                    np.nanpercentile(a, 90, 0), np.nanmean(q, 0)]))  # fmt: skip
    return np.nan_to_num(np.array(rows, dtype=np.float32)) if rows else np.empty((0, 0), np.float32)


def sim_to_real_probe(real_by_class: dict[str, list[PoseSequence]], per_exercise: int) -> dict:
    """Train a random forest on synthetic windows of every exercise only; classify each real video
    (mean window probability). A probe of realism, not the project's classifier."""
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.metrics import f1_score

    x, y = [], []
    for exercise in tqdm(SYNTH_EXERCISES, desc="probe: synthetic training sets"):
        for k in range(per_exercise):
            f = window_features(generate(exercise, seed=5000 + k)[0])
            x.append(f)
            y += [exercise] * len(f)
    model = RandomForestClassifier(n_estimators=200, min_samples_leaf=2, n_jobs=1, random_state=0)
    model.fit(np.concatenate(x), y)
    truth, pred = [], []
    for exercise, seqs in real_by_class.items():
        if exercise not in SYNTH_EXERCISES:
            continue
        for seq in seqs:
            f = window_features(seq)
            if len(f):
                truth.append(exercise)
                pred.append(model.classes_[model.predict_proba(f).mean(0).argmax()])
    truth, pred = np.array(truth), np.array(pred)
    per_class = {c: {"videos": int((truth == c).sum()), "correct": int(((truth == c) & (pred == c)).sum()),
                     "mistaken_for": sorted(pred[(truth == c) & (pred != c)].tolist())} for c in sorted(set(truth))}
    return {"videos": len(truth), "accuracy": float((truth == pred).mean()),
            "macro_f1": float(f1_score(truth, pred, labels=sorted(set(truth)), average="macro")),
            "per_class": per_class}  # fmt: skip


def gallery(path: Path) -> None:
    """One frame near the far end of a rep of every exercise, clean, drawn as skeletons on a grid."""
    from workout_analysis.render import render_frames

    tiles = []
    for exercise in SYNTH_EXERCISES:
        seq, truth = generate(exercise, seed=1, reps=2, noise=0.0)
        a, b = truth.rep_bounds[0] if truth.rep_bounds else (0, len(seq) - 1)
        far = a + int(np.argmax(truth.progress[a : b + 1]))
        frame = next(f for i, f in enumerate(render_frames(seq, text=[exercise], size=(200, 200))) if i == far)
        tiles.append(frame)
    cols = 7
    tiles += [np.zeros_like(tiles[0])] * (-len(tiles) % cols)
    grid = np.concatenate([np.concatenate(tiles[r : r + cols], axis=1) for r in range(0, len(tiles), cols)], axis=0)
    import cv2

    with atomic_path(path) as tmp:
        cv2.imwrite(str(tmp), grid)


FAULT_VIEWS = [("squat", "knees_caving", "front"), ("squat", "heels_lifting", "side"), ("deadlift", "rounded_back", "side"),
               ("push_up", "hips_sagging", "side"), ("push_up", "hips_piked", "side"), ("push_up", "elbows_flared", "front"),
               ("bench_press", "elbows_flared", "high"), ("bicep_curl", "swinging", "side")]  # fmt: skip


def faults_figure(path: Path) -> None:
    """Each posture fault beside the same person and camera without it, at the far end of a faulty rep."""
    import cv2

    from workout_analysis.render import render_frames

    rows = []
    for exercise, fault, view in FAULT_VIEWS:
        faulty, truth = generate(exercise, seed=2, reps=3, view=view, faults=(fault,), noise=0.0)
        clean, _ = generate(exercise, seed=2, reps=3, view=view, noise=0.0)
        a, b = truth.rep_bounds[truth.faults[0][1][0]]
        far = a + int(np.argmax(truth.progress[a : b + 1]))
        tiles = [next(f for i, f in enumerate(render_frames(seq, text=[label], size=(240, 240))) if i == far)
                 for seq, label in ((clean, f"{exercise}: clean"), (faulty, fault))]  # fmt: skip
        rows.append(np.concatenate(tiles, axis=1))
    half = (len(rows) + 1) // 2
    rows += [np.zeros_like(rows[0])] * (2 * half - len(rows))
    grid = np.concatenate([np.concatenate(rows[:half], axis=0), np.concatenate(rows[half:], axis=0)], axis=1)
    with atomic_path(path) as tmp:
        cv2.imwrite(str(tmp), grid)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--real", type=Path, default=Path("/work/cache/shared_videos.parquet"))
    parser.add_argument("--index", type=Path, default=Path("/work/shared/data/videos/INDEX.tsv"),
                        help="the shared videos' index (frame sizes)")
    parser.add_argument("--out", type=Path, default=Path("docs/img"))
    parser.add_argument("--json", type=Path, default=Path("/work/cache/synth/realism.json"))
    parser.add_argument("--per-exercise", type=int, default=12, help="synthetic sets per exercise")
    parser.add_argument("--per-figure", type=int, default=9)
    parser.add_argument("--probe-per-exercise", type=int, default=16, help="synthetic sets per exercise for the probe")
    args = parser.parse_args()
    gallery(args.out / "synth_gallery.png")
    faults_figure(args.out / "synth_faults.png")

    real_by_class = load_real(args.real, args.index)
    exercises = [e for e in SYNTH_EXERCISES if e in real_by_class]
    rows, report, detector = [], {}, {"real": [], "synthetic": []}
    for exercise in tqdm(exercises, desc="exercises"):
        synth = [generate(exercise, seed=1000 + k, reps=6)[0] for k in range(args.per_exercise)]
        real_a, synth_a = angle_samples(real_by_class[exercise]), angle_samples(synth)
        rows.append((exercise, real_a, synth_a))
        report[exercise] = {"real_videos": len(real_by_class[exercise]), "angles": compare(real_a, synth_a)}
        detector["real"] += [detector_stats(s) for s in real_by_class[exercise]]
        detector["synthetic"] += [detector_stats(s) for s in synth]
    for k in range(0, len(rows), args.per_figure):
        plot(rows[k : k + args.per_figure], args.out / f"synth_realism_{k // args.per_figure + 1}.png")
    probe = sim_to_real_probe(real_by_class, args.probe_per_exercise)
    atomic_write_text(args.json, json.dumps({"angles": report, "detector": detector, "probe": probe}, indent=1))

    print("| exercise | real videos | " + " | ".join(f"{g} real p5-p50-p95 / synth / W1" for g in GROUPS) + " |")
    print("|---|---|" + "---|" * len(GROUPS))
    for exercise, r in report.items():
        cells = []
        for g in GROUPS:
            a = r["angles"].get(g)
            cells.append("-" if a is None else f"{a['real_p5']:.0f}-{a['real_p50']:.0f}-{a['real_p95']:.0f} / "
                         f"{a['synth_p5']:.0f}-{a['synth_p50']:.0f}-{a['synth_p95']:.0f} / **{a['w1']:.0f}**")  # fmt: skip
        print(f"| {exercise} | {r['real_videos']} | " + " | ".join(cells) + " |")
    w1 = [a["w1"] for r in report.values() for a in r["angles"].values()]
    print(f"\nmean W1 over {len(w1)} exercise-angle pairs: {np.mean(w1):.1f} deg")

    print("\n| per sequence (p10 / median / p90) | real | synthetic |\n|---|---|---|")
    for key in detector["real"][0]:
        cells = [" / ".join(f"{v:.3g}" for v in np.percentile([d[key] for d in detector[k]], [10, 50, 90]))
                 for k in ("real", "synthetic")]  # fmt: skip
        print(f"| {key} | {cells[0]} | {cells[1]} |")

    print(f"\nsim-to-real probe (random forest on synthetic windows only, {args.probe_per_exercise} sets per exercise):"
          f" {probe['videos']} real videos, accuracy {probe['accuracy']:.1%}, macro-F1 {probe['macro_f1']:.3f}")
    print("| exercise | real videos | correct | wrong ones taken for |\n|---|---|---|---|")
    for c, r in probe["per_class"].items():
        print(f"| {c} | {r['videos']} | {r['correct']} | {', '.join(r['mistaken_for'])} |")


if __name__ == "__main__":
    main()
