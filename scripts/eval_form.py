"""Form checks on PushFit (real push-ups labelled correct / wrong) and on synthetic sets with injected
faults: the figures of docs/form.md.

    .venv/bin/python scripts/eval_form.py                 # both
    .venv/bin/python scripts/eval_form.py --seeds 20      # more synthetic sets per (exercise, fault, view)

PushFit: a clip is predicted "wrong form" when any of its reps has an issue (any check; tried too:
at least half the reps flagged, F1 0.63 / 0.48 on the even / odd clips against 0.66 / 0.55, and any
major issue, 0.46 / 0.42);
precision / recall / F1 are of the "wrong" class, per clip. PushFit stores no frame size: its source
videos are 16:9, so x is scaled by 16/9 (features.metric_xyz) before measuring angles.
Synthetic: per fault, per rep: a rep the fault was injected into should be flagged by the fault's check
(recall); a rep without it, in the same sets and in clean sets, should not be (precision).
"""

from __future__ import annotations

import argparse
from collections import defaultdict
from pathlib import Path

import numpy as np
from tqdm import tqdm

from workout_analysis.analysis.form import CHECKS, assess_form
from workout_analysis.analysis.reps import count_reps
from workout_analysis.sequence import PoseSequence
from workout_analysis.synth import generate
from workout_analysis.synth.generate import MOTIONS

ROOT = Path(__file__).resolve().parents[1]
PUSHFIT = ROOT.parent / "shared" / "data" / "landmarks" / "pushfit" / "pushups_form.npz"
FPS = 30.0
# the checks that should catch each injected fault (a partial rep may be caught by its end's own check)
RANGE = ("rom", "depth", "lockout", "curl_height", "raise_height", "chin_over_bar")
FAULT_CHECK = {"shallow_depth": ("depth",), "knees_caving": ("knee_valgus",), "heels_lifting": ("heels",),
               "rounded_back": ("torso_lean",), "hips_sagging": ("hip_sag",), "hips_piked": ("hip_pike",),
               "elbows_flared": ("elbow_flare",), "swinging": ("swing",), "incomplete_lockout": ("lockout",),
               "partial_range": RANGE}  # fmt: skip
# a fault only one view can show is generated in that view (others: the exercise's usual views)
FAULT_VIEW = {"elbows_flared": "front"}
FORM_EXERCISES = ("squat", "push_up", "lunge", "bicep_curl", "shoulder_press", "deadlift", "plank", "pull_up",
                  "lateral_raise", "bench_press")  # fmt: skip


def prf(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    p = tp / (tp + fp) if tp + fp else float("nan")
    r = tp / (tp + fn) if tp + fn else float("nan")
    f = 2 * p * r / (p + r) if p + r else float("nan")
    return p, r, f


def pushfit(path: Path = PUSHFIT) -> str:
    data = np.load(path, allow_pickle=False)
    rows, counts = [], defaultdict(lambda: [0, 0])  # check -> [fires on wrong clips, fires on correct clips]
    views: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for key in tqdm(sorted(data.files), desc="pushfit", leave=False):
        label = key.split("/")[0]
        seq = PoseSequence(data[key].astype(np.float32), FPS, meta={"width": 16, "height": 9})
        reps = count_reps(seq, "push_up")
        form = assess_form(seq, "push_up", reps)
        fired = {i.check for r in form.reps for i in r.issues}
        rows.append((label == "wrong", bool(fired), bool(fired & {"hip_sag", "hip_pike"})))
        pred = bool(fired)
        v = views[form.view]
        v[2 * (label == "wrong") + pred] += 1
        for check in {i.check for r in form.reps for i in r.issues}:
            counts[check][label != "wrong"] += 1
    truth, pred, body_line = np.array(rows).T
    n_wrong, n_right = int(truth.sum()), int((~truth).sum())
    lines = [f"{len(rows)} clips ({n_wrong} wrong, {n_right} correct). \"Wrong form\" = any rep flagged.", "",
             "| clips | precision | recall | F1 | accuracy |", "|---|---:|---:|---:|---:|"]  # fmt: skip
    for name, part in (("all", slice(None)), ("even (sorted by key)", slice(0, None, 2)), ("odd", slice(1, None, 2))):
        t, q = truth[part], pred[part]
        p, r, f = prf(int(np.sum(t & q)), int(np.sum(~t & q)), int(np.sum(t & ~q)))
        lines.append(f"| {name} | {p:.2f} | {r:.2f} | {f:.2f} | {np.mean(t == q):.2f} |")
    q = body_line
    p, r, f = prf(int(np.sum(truth & q)), int(np.sum(~truth & q)), int(np.sum(truth & ~q)))
    lines.append(f"| all, body-line checks only (hip sag / pike) | {p:.2f} | {r:.2f} | {f:.2f} | {np.mean(truth == q):.2f} |")
    lines += ["",
             "Per detected view (clips: correct kept / correct flagged / wrong missed / wrong flagged):", ""]  # fmt: skip
    for view, (cn, cp, wn, wp) in sorted(views.items()):
        lines.append(f"- {view}: {cn} / {cp} / {wn} / {wp}")
    lines += ["", "Which checks fire (share of clips with at least one rep flagged by the check):", "",
              "| check | wrong clips | correct clips |", "|---|---:|---:|"]  # fmt: skip
    for check, (w, c) in sorted(counts.items()):
        lines.append(f"| {check} | {w / n_wrong:.0%} | {c / n_right:.0%} |")
    return "\n".join(lines)


def synthetic(seeds: range) -> str:
    tally: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0, 0])  # (fault, exercise) -> tp, fp, fn
    jobs = [(ex, fault) for ex in FORM_EXERCISES for fault in MOTIONS[ex].faults
            if fault in FAULT_CHECK and any(c.name in FAULT_CHECK[fault] for c in CHECKS[ex])]  # fmt: skip
    for ex, fault in tqdm(jobs, desc="synthetic", leave=False):
        checks = FAULT_CHECK[fault]
        for seed in seeds:
            for faults in ((fault,), ()):
                seq, truth = generate(ex, seed=seed, reps=6, faults=faults, view=FAULT_VIEW.get(fault))
                reps = count_reps(seq, ex)
                form = assess_form(seq, ex, reps)
                if checks[0] in form.skipped:
                    continue
                hit = [any(i.check in checks for i in r.issues) for r in form.reps]
                if ex == "plank":  # a hold: one "rep", faulty or not as a whole
                    bad = [bool(faults)]
                else:
                    affected = set(truth.faults[0][1]) if faults else set()
                    bad = [_true_rep(r, truth.rep_bounds) in affected for r in reps.reps]
                t = tally[(fault, ex)]
                for h, b in zip(hit, bad):
                    t[0] += h and b
                    t[1] += h and not b
                    t[2] += b and not h
    lines = ["| fault | exercise | checks | precision | recall | F1 | faulty reps |", "|---|---|---|---:|---:|---:|---:|"]
    for (fault, ex), (tp, fp, fn) in sorted(tally.items()):
        p, r, f = prf(tp, fp, fn)
        names = "any range check" if FAULT_CHECK[fault] == RANGE else FAULT_CHECK[fault][0]
        lines.append(f"| {fault} | {ex} | {names} | {p:.2f} | {r:.2f} | {f:.2f} | {tp + fn} |")
    return "\n".join(lines)


def _true_rep(rep, bounds: list[tuple[int, int]]) -> int:
    """Index of the true rep that the counted rep overlaps most (-1: none)."""
    overlaps = [min(rep.end_frame, b) - max(rep.start_frame, a) for a, b in bounds]
    best = int(np.argmax(overlaps))
    return best if overlaps[best] > 0 else -1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, default=6, help="synthetic sets per (exercise, fault), with and without it")
    parser.add_argument("--first-seed", type=int, default=100, help="first synthetic seed (thresholds were set on 0-9)")
    parser.add_argument("--skip-pushfit", action="store_true")
    args = parser.parse_args()
    if not args.skip_pushfit:
        print("## PushFit\n\n" + pushfit() + "\n")
    print("## Synthetic faults\n\n" + synthetic(range(args.first_seed, args.first_seed + args.seeds)) + "\n")


if __name__ == "__main__":
    main()
