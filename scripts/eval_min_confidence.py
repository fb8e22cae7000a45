"""The "no exercise" threshold (DecoderConfig.min_confidence): every criterion it trades between, per
threshold, from fold models that each judge only what they never saw (held_out.json).

    .venv/bin/python scripts/train_default.py --save-folds /work/cache/rec/base/folds   # fold models, once
    .venv/bin/python scripts/eval_min_confidence.py --folds /work/cache/rec/base/folds

Columns (the decoder's other settings are its defaults unless given):

- joined videos: segmentation frame accuracy on real clips joined with still pauses, the videos of
  ``eval_segmentation.py --fold-models DIR --joined 40`` (both halves; that script chooses the
  decoder's other settings on one half), and the share of pause and of exercise frames decoded as no
  exercise;
- real clips: single-exercise sequences named right, and said "no exercise", as `workout analyze` would;
- synthetic no-exercise sets (standing, walking, resting; seeds 5000..., which no model trained on) rejected;
- real rest: RepCount-A time before its first and after its last annotated repetition (people getting
  ready or done, not necessarily still), judged by the fold model that
  never saw RepCount-A: stretches of 3 s or more cut out alone that say "no exercise"; and, decoding
  each whole clip, the share of those frames decoded as no exercise beside that of repetition frames,
  and the share of repetition frames named right.

Below the table, each threshold against the decoder's default (classify.MIN_CONFIDENCE): the change of
joined-video frame accuracy and of clips named right, with 95 % paired bootstrap intervals over the
videos and clips.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from eval_segmentation import (  # noqa: E402
    MIN_CLIP_S,
    decode_all,
    decoded_labels,
    saved_fold_predictions,
    saved_folds,
    span,
    summarise,
)
from shared_data import SHARED, real_sequences  # noqa: E402

from workout_analysis.analysis.classify import MIN_CONFIDENCE, DecoderConfig, recognise  # noqa: E402
from workout_analysis.exercises import NO_EXERCISE  # noqa: E402
from workout_analysis.sequence import PoseSequence  # noqa: E402
from workout_analysis.synth import generate  # noqa: E402


def says_no_exercise(bundle, seq: PoseSequence, configs: list[DecoderConfig]) -> list[bool]:
    """Per decoder config: does the verdict on ``seq`` alone say "no exercise recognised"?"""
    windows = bundle.predict_windows(seq)
    hop = bundle.hop / bundle.fps
    return [recognise(windows, c, *span(seq), hop).exercise == NO_EXERCISE for c in configs]


def rep_spans() -> dict[str, tuple[int, int]]:
    """RepCount-A video id -> (first frame of its first repetition, last frame of its last one)."""
    import pandas as pd

    notes = pd.read_csv(SHARED / "landmarks" / "repcount_a" / "annotations.csv")
    out = {}
    for _, row in notes.iterrows():
        cycles = [c.split("-") for c in str(row["cycles"]).split(";") if c.count("-") == 1]
        cycles = [(float(a), float(b)) for a, b in cycles if a != "nan" and b != "nan"]
        if cycles:
            out[f"repcount_a/{row['name']}"] = (int(min(a for a, _ in cycles)), int(max(b for _, b in cycles)))
    return out


def real_rest(judged: list[tuple], spans: dict[str, tuple[int, int]], configs: list[DecoderConfig]) -> list[dict]:
    """Per config: rest stretches (before the first rep, after the last) said "no exercise" when cut out
    alone, out of how many; decoding whole clips, the shares of rest and of repetition frames decoded as
    no exercise and of repetition frames named right (frames with a pose). ``judged``: (bundle, the
    annotated clips it never saw) pairs."""
    counts = [dict.fromkeys(("alone", "rest", "reps_rejected", "reps_right"), 0) for _ in configs]
    stretches = rest_frames = rep_frames = 0
    for bundle, seq in ((bundle, seq) for bundle, clips in judged for seq in clips):
        hop = bundle.hop / bundle.fps
        first, last = spans[seq.meta["video_id"]]
        for part in (seq.slice(0, first), seq.slice(last + 1, len(seq))):
            if part.has_pose.sum() / part.fps >= MIN_CLIP_S:
                for c, said in zip(counts, says_no_exercise(bundle, part, configs)):
                    c["alone"] += said
                stretches += 1
        frame = np.arange(len(seq))
        rest = seq.has_pose & ((frame < first) | (frame > last))
        reps = seq.has_pose & ~rest
        windows = bundle.predict_windows(seq)
        for c, config in zip(counts, configs):
            labels = decoded_labels(recognise(windows, config, *span(seq), hop), seq.timestamps)
            c["rest"] += int(np.sum(labels[rest] == NO_EXERCISE))
            c["reps_rejected"] += int(np.sum(labels[reps] == NO_EXERCISE))
            c["reps_right"] += int(np.sum(labels[reps] == seq.meta["exercise"]))
        rest_frames, rep_frames = rest_frames + int(rest.sum()), rep_frames + int(reps.sum())
    return [{"stretches_said_none": c["alone"], "stretches": stretches, "rest_rejected": c["rest"] / rest_frames,
             "reps_rejected": c["reps_rejected"] / rep_frames, "reps_right": c["reps_right"] / rep_frames}
            for c in counts]  # fmt: skip


def paired_interval(a: np.ndarray, b: np.ndarray, weights: np.ndarray, rng: np.random.Generator,
                    n: int = 2000) -> tuple[float, float, float]:  # fmt: skip
    """The pooled rate ``sum(a) / sum(weights)`` minus that of ``b``, per item paired, and its 95 % bootstrap
    interval over the items (videos or clips)."""
    idx = rng.integers(0, len(a), (n, len(a)))
    lo, hi = np.percentile((a[idx] - b[idx]).sum(1) / weights[idx].sum(1), [2.5, 97.5])
    return float((a - b).sum() / weights.sum()), float(lo), float(hi)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--folds", type=Path, required=True, help="fold bundles from train_default.py --save-folds")
    parser.add_argument("--thresholds", type=float, nargs="+", default=[0.0, 0.05, 0.1, 0.125, 0.15, 0.2, 0.25],
                        help="min_confidence values, one row each (default: %(default)s)")  # fmt: skip
    parser.add_argument("--switch-penalty", type=float, default=DecoderConfig().switch_penalty,
                        help="the decoder's, for every row (default: %(default)s)")  # fmt: skip
    parser.add_argument("--min-segment", type=float, default=DecoderConfig().min_segment_s,
                        help="the decoder's minimum segment in seconds, for every row (default: %(default)s)")  # fmt: skip
    parser.add_argument("--joined", type=int, default=40, help="joined videos per fold (as eval_segmentation.py)")
    parser.add_argument("--seed", type=int, default=0, help="of the joined videos (as eval_segmentation.py)")
    parser.add_argument("--still", type=int, default=30, help="synthetic no-exercise sets (seeds 5000...)")
    args = parser.parse_args()
    torch.set_num_threads(1)
    configs = [DecoderConfig(t, args.switch_penalty, args.min_segment) for t in args.thresholds]
    folds = saved_folds(args.folds)
    real = real_sequences()
    joined, single = saved_fold_predictions(folds, real, args.joined, args.seed)
    spans = rep_spans()
    by_id = {s.meta["video_id"]: s for s in real}
    # RepCount-A is one source, held out whole by one fold: its model judges the clips
    judged = [(bundle, [by_id[v] for v in videos if v in spans]) for bundle, videos in folds]
    judged = [(bundle, clips) for bundle, clips in judged if clips]
    rest = real_rest(judged, spans, configs) if judged else None
    synthetic = np.zeros(len(configs))
    for i in range(args.still):
        bundle = folds[i % len(folds)][0]
        synthetic += says_no_exercise(bundle, generate(NO_EXERCISE, seed=5000 + i)[0], configs)

    print(f"switch penalty {args.switch_penalty:g}, min segment {args.min_segment:g} s; {len(joined)} joined videos; "
          f"{len(single)} real clips; {args.still} synthetic no-exercise sets; real rest: "
          f"{rest[0]['stretches'] if rest else 0} RepCount-A stretches of {MIN_CLIP_S:g} s or more")  # fmt: skip
    print("| min_confidence | joined videos: frame accuracy | pause / exercise frames decoded no exercise "
          "| real clips named right | said 'no exercise' "
          "| synthetic no-exercise sets rejected | real rest stretches said 'no exercise' | real rest / repetition "
          "frames decoded no exercise | repetition frames named right |")  # fmt: skip
    print("|---:" * 9 + "|")
    correct, right = [], []  # per joined video frames named right, per clip named right: for the intervals
    for i, (t, config) in enumerate(zip(args.thresholds, configs)):
        videos = decode_all(joined, config)
        seg = summarise(videos)
        verdicts = [recognise(windows, config, *span(clip), hop).exercise for clip, windows, hop in single]
        correct.append(np.array([v["correct"] for v in videos], float))
        right.append(np.array([v == clip.meta["exercise"] for v, (clip, _, _) in zip(verdicts, single)], float))
        clips = {"right": right[-1].mean(), "rejected": np.mean([v == NO_EXERCISE for v in verdicts])}
        r = rest[i] if rest else None
        rest_cells = (f"{r['stretches_said_none']} of {r['stretches']} | {r['rest_rejected']:.0%} / "
                      f"{r['reps_rejected']:.0%} | {r['reps_right']:.1%}" if r else "- | - | -")  # fmt: skip
        print(f"| {t:g} | {seg['frame_accuracy']:.1%} | {seg['pause_frames_rejected']:.0%} / "
              f"{seg['exercise_frames_rejected']:.0%} | {clips['right']:.1%} | {clips['rejected']:.1%} | "
              f"{synthetic[i] / args.still:.0%} | {rest_cells} |")  # fmt: skip
    if MIN_CONFIDENCE in args.thresholds:
        base, rng = args.thresholds.index(MIN_CONFIDENCE), np.random.default_rng(args.seed)
        frames = np.array([v["frames"] for v in decode_all(joined, configs[base])], float)
        print(f"\nAgainst the default {MIN_CONFIDENCE:g} (paired bootstrap over the videos or clips, 95 %):")
        for i, t in enumerate(args.thresholds):
            if i != base:
                j = paired_interval(correct[i], correct[base], frames, rng)
                c = paired_interval(right[i], right[base], np.ones(len(single)), rng)
                print(f"- {t:g}: joined-video frame accuracy {j[0]:+.1%} [{j[1]:+.1%}, {j[2]:+.1%}], clips named right "
                      f"{c[0]:+.1%} [{c[1]:+.1%}, {c[2]:+.1%}] ({int(right[i].sum() - right[base].sum()):+d} clips)")  # fmt: skip


if __name__ == "__main__":
    main()
