"""Form checks on PushFit (real push-ups labelled correct / wrong) and on synthetic sets with injected
faults: the figures of docs/form.md.

    .venv/bin/python scripts/eval_form.py                 # both
    .venv/bin/python scripts/eval_form.py --seeds 20      # more synthetic sets per (exercise, fault, view)

PushFit: a clip is predicted "wrong form" when ``FormReport.faulty`` (a rep held wrong: any issue but
range and tempo advice); the other rules tried are printed beside it. Thresholds and rule were chosen on
the even rows (clips sorted by key) and are reported on the odd rows too; precision / recall / F1 are of
the "wrong" class, per clip. PushFit stores no frame size: its source
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

from workout_analysis.analysis.form import ADVICE, CHECKS, assess_form
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
    """Clip verdicts on PushFit: the rule kept (``FormReport.faulty``) and the rules tried, on the even rows
    (sorted by key: where thresholds and rule were chosen) and the odd rows (held out); per-check flags."""
    data = np.load(path, allow_pickle=False)
    keys = sorted(data.files)
    truth, views, fired, share, major = [], [], [], [], []
    for key in tqdm(keys, desc="pushfit", leave=False):
        seq = PoseSequence(data[key].astype(np.float32), FPS, meta={"width": 16, "height": 9})
        form = assess_form(seq, "push_up", count_reps(seq, "push_up"))
        truth.append(key.startswith("wrong/"))
        views.append(form.view)
        fired.append({i.check for r in form.reps for i in r.issues})
        share.append(np.mean([bool(r.issues) for r in form.reps]) if form.reps else 0.0)
        major.append(any(i.severity == "major" for r in form.reps for i in r.issues))
    truth = np.array(truth)
    faulty = np.array([bool(f - ADVICE) for f in fired])  # == FormReport.faulty (False without reps)
    rules = {"posture issue on any rep (kept: FormReport.faulty)": faulty,
             "any issue on any rep": np.array([bool(f) for f in fired]),
             "any issue on at least half the reps": np.array(share) >= 0.5,
             "any major issue": np.array(major)}  # fmt: skip
    halves = {"even": slice(0, None, 2), "odd": slice(1, None, 2), "all": slice(None)}
    n_wrong = int(truth.sum())
    lines = [f"{len(keys)} clips ({n_wrong} wrong, {len(keys) - n_wrong} correct); even / odd rows of the clips sorted by key.",
             "", "| rule | clips | precision | recall | F1 | accuracy |", "|---|---|---:|---:|---:|---:|"]  # fmt: skip
    for name, pred in rules.items():
        for half, part in halves.items():
            p, r, f = _clip_prf(truth[part], pred[part])
            lines.append(f"| {name} | {half} | {p:.2f} | {r:.2f} | {f:.2f} | {np.mean(truth[part] == pred[part]):.2f} |")
    for half, part in halves.items():
        p, r, f = _clip_prf(truth[part], np.ones(len(truth[part]), bool))
        lines.append(f"| every clip wrong (baseline) | {half} | {p:.2f} | {r:.2f} | {f:.2f} | {np.mean(truth[part]):.2f} |")
    lines += ["", "Per detected view, the kept rule (clips: correct kept / correct flagged / wrong missed / wrong flagged):", ""]
    views = np.array(views)
    for view in sorted(set(views)):
        t, q = truth[views == view], faulty[views == view]
        lines.append(f"- {view}: {np.sum(~t & ~q)} / {np.sum(~t & q)} / {np.sum(t & ~q)} / {np.sum(t & q)}")
    lines += ["", "Per check, clips with at least one rep flagged by it (precision: share of those labelled wrong; "
              "recall: share of the wrong clips flagged), even / odd:", "",
              "| check | counts in verdict | flags wrong clips | flags correct clips | precision even / odd | recall even / odd |",
              "|---|---|---:|---:|---:|---:|"]  # fmt: skip
    for check in sorted({c for f in fired for c in f}):
        pred = np.array([check in f for f in fired])
        (pe, re, _), (po, ro, _) = (_clip_prf(truth[part], pred[part]) for part in (halves["even"], halves["odd"]))
        lines.append(f"| {check} | {'no' if check in ADVICE else 'yes'} | {np.mean(pred[truth]):.0%} | {np.mean(pred[~truth]):.0%} | "
                     f"{pe:.2f} / {po:.2f} | {re:.2f} / {ro:.2f} |")  # fmt: skip
    return "\n".join(lines)


def _clip_prf(truth: np.ndarray, pred: np.ndarray) -> tuple[float, float, float]:
    return prf(int(np.sum(truth & pred)), int(np.sum(~truth & pred)), int(np.sum(truth & ~pred)))


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
    parser.add_argument("--seeds", type=int, default=8, help="synthetic sets per (exercise, fault), with and without it")
    parser.add_argument("--first-seed", type=int, default=100, help="first synthetic seed (thresholds were set on 0-9)")
    parser.add_argument("--skip-pushfit", action="store_true")
    args = parser.parse_args()
    if not args.skip_pushfit:
        print("## PushFit\n\n" + pushfit() + "\n")
    print("## Synthetic faults\n\n" + synthetic(range(args.first_seed, args.first_seed + args.seeds)) + "\n")


if __name__ == "__main__":
    main()
