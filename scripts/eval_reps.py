"""Repetition counting on RepCount-A (and synthetic sets with exact counts): the figures of docs/reps.md.

    .venv/bin/python scripts/eval_reps.py                    # true exercise given (with and without the referee)
    .venv/bin/python scripts/eval_reps.py --recognised       # also with the project's own classifier
    .venv/bin/python scripts/eval_reps.py --recognised --model DIR   # ... with a bundle that never saw RepCount-A
    .venv/bin/python scripts/eval_reps.py --synthetic 5      # also 5 synthetic sets per exercise
    .venv/bin/python scripts/eval_reps.py --live             # also the live (frame by frame) counter
    .venv/bin/python scripts/eval_reps.py --recognised --model DIR --joined 150  # also mixed videos: where to count

The embedded default model was trained on RepCount-A among the rest, so ``--recognised`` without
``--model`` flatters the recognition: for honest figures pass a bundle trained without the
``repcount_a`` source (e.g. the fold of a leave-sources-out cross-validation that holds it out).

MAE = mean |pred - true| / true (true 0 counts as 1), OBO = share of videos with |pred - true| <= 1.
The tables split the videos into the even and odd rows of annotations.csv: parameter sweeps were
scored on the even half; failure plots of videos from both halves were looked at, so the odd half is
held out from the sweeps only, not from every decision.
"""

from __future__ import annotations

import argparse
import csv
import sys
from collections import defaultdict
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from tqdm import tqdm

from workout_analysis.analysis.classify import Recognition
from workout_analysis.analysis.report import MIN_OTHER_CONFIDENCE, MIN_OTHER_EXERCISE_S, analyze, counted_part
from workout_analysis.analysis.reps import RepCounter, count_reps
from workout_analysis.exercises import ALL_EXERCISES, HOLDS, NO_EXERCISE
from workout_analysis.sequence import PoseSequence, from_flat

if TYPE_CHECKING:
    from workout_analysis.bundle import ModelBundle

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


def recognise(items: list[dict], bundle: ModelBundle) -> None:
    """The project's own answer: `workout analyze` on the landmarks with ``bundle``, and the recognised
    label counted over the whole video for comparison."""
    for it in tqdm(items, desc="recognise", leave=False):
        result = analyze(it["seq"], bundle)
        it["recognition"] = result.recognition
        it["recognised"] = result.recognition.exercise
        it["with_recognised"] = result.reps.count if result.reps is not None else 0
        # the recognised label counted over the whole video, "no exercise" as no reps / sent to the fallback
        label = result.recognition.exercise
        whole = count_reps(it["seq"], None if label == NO_EXERCISE else label).count
        it["with_label"] = 0 if label == NO_EXERCISE else whole
        it["with_label_fallback"] = whole


def joined_videos(items: list[dict], n: int, bundle: ModelBundle, seed: int = 0) -> list[dict]:
    """``n`` mixed videos with exact counts: two RepCount-A clips of different exercises the project knows,
    joined with a still pause as scripts/eval_segmentation.py joins clips; half from the even rows, half
    from the odd ones (``half``). Each gets `workout analyze`'s recognition with ``bundle``, the target clip
    (the one the main exercise's segments cover most; nothing recognised: the longer one) and its count."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from eval_segmentation import _long_enough, join

    rng = np.random.default_rng(seed)
    videos = []
    for half in (0, 1):
        clips = []
        for it in items[half::2]:
            if it["exercise"] is not None and _long_enough(it["seq"]):
                clip = it["seq"].slice(0, len(it["seq"]))
                clip.meta.update(exercise=it["exercise"], true=it["true"])
                clips.append(clip)
        for _ in range(n // 2 if half == 0 else n - n // 2):
            first = clips[rng.integers(len(clips))]
            others = [c for c in clips if c.meta["exercise"] != first.meta["exercise"]]
            pair = [first, others[rng.integers(len(others))]]
            truth = {c.meta["exercise"]: c.meta["true"] for c in pair}
            videos.append({"half": half, "joined": join(pair, rng), "true_by_exercise": truth})
    for v in tqdm(videos, desc="joined", leave=False):
        joined = v["joined"]
        rec = analyze(joined.seq, bundle, reps=False).recognition
        times = joined.seq.timestamps
        mine = np.zeros(len(times), bool)
        for s in rec.segments:
            if s.exercise == rec.exercise:
                mine |= (times >= s.start_s) & (times < s.end_s)
        covered = mine if rec.recognised else True
        cover = {e: int(((joined.truth == e) & covered).sum()) for e in v["true_by_exercise"]}
        target = max(cover, key=cover.get)
        v.update(seq=joined.seq, recognition=rec, target=target, true=v["true_by_exercise"][target])
    return videos


def per_segment_count(seq: PoseSequence, recognition: Recognition) -> int:
    """Reps counted in each segment of the main exercise alone, summed (a rule compared, not used)."""
    if not recognition.recognised:
        return count_reps(seq, None).count
    total = 0
    for s in recognition.segments:
        if s.exercise == recognition.exercise and len(part := seq.between(s.start_s, s.end_s)):
            total += count_reps(part, recognition.exercise).count
    return total


def one_other_exercise_part(seq: PoseSequence, recognition: Recognition, min_s: float = 10.0) -> PoseSequence:
    """Sessions 2-3's rule (compared, no longer used): the main exercise's span when one other exercise
    is decoded for ``min_s`` or more, whatever the confidence; else the whole sequence."""
    other_s: dict[str, float] = defaultdict(float)
    for s in recognition.segments:
        if s.exercise not in (NO_EXERCISE, recognition.exercise):
            other_s[s.exercise] += s.end_s - s.start_s
    return counted_part(seq, recognition, 0.0, 0.0) if max(other_s.values(), default=0.0) >= min_s else seq


# Where `workout analyze` counts the main exercise's reps when other exercises are decoded too: the part of
# the sequence each rule counts (analysis.report.counted_part: other exercises' seconds, segment confidence).
CUT_RULES = {
    "never cut": lambda seq, rec: seq,
    "sessions 2-3: one other exercise >= 10 s": one_other_exercise_part,
    **{f"other exercises >= {s:g} s": (lambda s: lambda seq, rec: counted_part(seq, rec, s, 0.0))(s) for s in (5.0, 10.0)},
    **{f"other exercises >= {s:g} s in segments >= {c:g} sure{' (default)' if (s, c) == (MIN_OTHER_EXERCISE_S, MIN_OTHER_CONFIDENCE) else ''}":
       (lambda s, c: lambda seq, rec: counted_part(seq, rec, s, c))(s, c) for s, c in ((5.0, 0.3), (7.5, 0.3), (10.0, 0.3), (7.5, 0.4))},
    "always cut to the main exercise's span": lambda seq, rec: counted_part(seq, rec, 0.0, 0.0),
}  # fmt: skip


def cut_rules(single: list[dict], joined: list[dict]) -> str:
    """MAE / OBO of each rule (:data:`CUT_RULES`, and counting per segment) on single RepCount-A videos
    (all / even / odd) and joined ones (even / odd); the main exercise does not depend on the rule."""
    counts: dict[tuple, int] = {}

    def count(v: dict, rule) -> int:
        rec = v["recognition"]
        part = rule(v["seq"], rec) if rec.recognised else v["seq"]  # nothing recognised: the fallback, whole
        key = (id(v), float(part.timestamps[0]), len(part))
        if key not in counts:
            counts[key] = count_reps(part, rec.exercise if rec.recognised else None).count
        return counts[key]

    def cells(rows: list[dict], key: str) -> list[str]:
        if rows is single:
            groups = [rows, rows[0::2], rows[1::2]]
        else:
            groups = [[r for r in rows if r["half"] == h] for h in (0, 1)]
        out = []
        for group in groups:
            mae, obo = scores([(r[key], r["true"]) for r in group])
            out += [f"{mae:.3f}", f"{obo:.2f}"]
        return out

    lines = ["| rule | single MAE all | OBO | even MAE | OBO | odd MAE | OBO | joined even MAE | OBO | joined odd MAE | OBO |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]  # fmt: skip
    for name, rule in tqdm([*CUT_RULES.items(), ("count per segment", None)], desc="rules", leave=False):
        for v in [*single, *joined]:
            v["rule"] = per_segment_count(v["seq"], v["recognition"]) if rule is None else count(v, rule)
        lines.append(f"| {name} | " + " | ".join(cells(single, "rule") + cells(joined, "rule")) + " |")
    right = [np.mean([v["recognition"].exercise == v["target"] for v in joined if v["half"] == h]) for h in (0, 1)]
    lines.append(f"\nmain exercise = the target clip's exercise: {right[0]:.0%} of the even joined videos, "
                 f"{right[1]:.0%} of the odd")
    return "\n".join(lines)


def live(items: list[dict]) -> None:
    """Counts of the live counter, frame by frame (RepCounter), for comparison with the offline one."""
    for it in tqdm(items, desc="live", leave=False):
        counter = RepCounter(it["exercise"], FPS)
        for landmarks, t in zip(it["seq"].landmarks, it["seq"].timestamps):
            counter.update(landmarks, t)
        counter.finish()
        it["live"] = counter.count


def synthetic(per_exercise: int) -> str:
    """MAE / OBO on synthetic sets with exact counts, exercise given and class-agnostic, per exercise."""
    from workout_analysis.synth import SYNTH_EXERCISES, generate

    rows = []
    for exercise in tqdm([e for e in SYNTH_EXERCISES if e in ALL_EXERCISES and e not in HOLDS], desc="synthetic", leave=False):
        for seed in range(1000, 1000 + per_exercise):  # seeds never used while choosing parameters
            seq, truth = generate(exercise, seed=seed)
            rows.append((exercise, truth.reps, count_reps(seq, exercise).count, count_reps(seq, None).count))
    lines = ["| exercises | sets | MAE given | OBO given | MAE class-agnostic | OBO class-agnostic |",
             "|---|---:|---:|---:|---:|---:|"]  # fmt: skip
    groups: dict[str, list] = defaultdict(list)
    for row in rows:
        groups["**all**"].append(row)
        groups[row[0]].append(row)
    for name, group in groups.items():
        given = scores([(g, t) for _, t, g, _ in group])
        agnostic = scores([(a, t) for _, t, _, a in group])
        lines.append(f"| {name} | {len(group)} | {given[0]:.3f} | {given[1]:.2f} | {agnostic[0]:.3f} | {agnostic[1]:.2f} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--recognised", action="store_true", help="also count with the recognised exercise")
    parser.add_argument("--synthetic", type=int, default=0, help="synthetic sets per exercise (0: skip)")
    parser.add_argument("--model", type=Path, help="model bundle for --recognised (default: the embedded one, "
                        "which was trained on RepCount-A)")  # fmt: skip
    parser.add_argument("--live", action="store_true", help="also count with the live counter, frame by frame")
    parser.add_argument("--joined", type=int, default=0, help="with --recognised: also this many mixed videos "
                        "(two RepCount-A clips of different exercises; half from the even rows, half from the odd) "
                        "and a table of where analyze counts reps (0: skip)")  # fmt: skip
    parser.add_argument("--seed", type=int, default=0, help="seed of the --joined pairing")
    parser.add_argument("--verbose", action="store_true", help="print every video")
    args = parser.parse_args()
    if args.joined and not args.recognised:
        parser.error("--joined needs --recognised (the mixed videos are counted where the recognition says)")

    items = load_repcount()
    for it in tqdm(items, desc="count", leave=False):
        it["given"] = count_reps(it["seq"], it["exercise"]).count
        it["hand"] = count_reps(it["seq"], it["exercise"], referee=False).count
        it["agnostic"] = count_reps(it["seq"], None).count
    print("## RepCount-A, true exercise given (refereed by the learned counter)\n\n" + table(items, "given") + "\n")
    print("## RepCount-A, true exercise given, no referee (the exercise's own signals)\n\n" + table(items, "hand") + "\n")
    print("## RepCount-A, class-agnostic fallback only\n\n" + table(items, "agnostic") + "\n")
    if args.live:
        live(items)
        agree = np.array([it["live"] - it["hand"] for it in items])  # live has no referee
        print("## RepCount-A, live counter (true exercise given)\n\n" + table(items, "live") + "\n")
        print(f"live == offline on {np.mean(agree == 0):.0%} of the videos, within one rep on {np.mean(np.abs(agree) <= 1):.0%}\n")
    if args.recognised:
        import torch

        torch.set_num_threads(1)  # small nets: more threads only contend with other work on the machine
        from workout_analysis.bundle import load_bundle

        bundle = load_bundle(args.model)
        recognise(items, bundle)
        print(f"model: {args.model or 'embedded default (trained on RepCount-A: leaky)'}\n")
        right = np.mean([it["recognised"] == it["exercise"] for it in items if it["exercise"]])
        print("## RepCount-A, exercise recognised by the project\n\n" + table(items, "with_recognised") + "\n")
        print(f"recognised as the true exercise: {right:.0%} of the videos whose exercise the project knows\n")
        print("## RepCount-A, recognised label, whole video, 'no exercise' = no reps\n\n" + table(items, "with_label") + "\n")
        print("## RepCount-A, recognised label, whole video, 'no exercise' counted by the fallback\n\n"
              + table(items, "with_label_fallback") + "\n")
        if args.joined:
            joined = joined_videos(items, args.joined, bundle, args.seed)
            print("## Where `analyze` counts: single RepCount-A videos and joined pairs of clips\n\n"
                  + cut_rules(items, joined) + "\n")
    if args.verbose:
        for it in items:
            print(f"{it['name']:12s} {it['label']:15s} true {it['true']:3d} given {it['given']:3d} hand {it['hand']:3d} agnostic {it['agnostic']:3d}"
                  + (f" live {it['live']:3d}" if "live" in it else "")
                  + (f" recognised {it['recognised']} -> {it['with_recognised']}" if "recognised" in it else ""))  # fmt: skip
    if args.synthetic:
        print("## Synthetic sets (exact counts)\n\n" + synthetic(args.synthetic) + "\n")


if __name__ == "__main__":
    main()
