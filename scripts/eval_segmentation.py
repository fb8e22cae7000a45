"""Segmentation of mixed videos, measured on real clips joined end to end (issue 4.5).

Each joined video is 2-4 real sequences of different exercises (the clips of ../shared/data/videos
via ``/work/cache/shared_videos.parquet``, RepCount-A and pushfit: scripts/shared_data.py), all from
sources the model never saw (leave-sources-out folds, trained by the project's own recipe), with a
still pause between them: the last pose of the clip before, held for 2-5 s with a little jitter, as
a person resting would.
Clips are resampled to 30 fps and put into one frame of the first clip's aspect, keeping their
geometry. The decoder (``analysis.classify``) turns the model's windows into segments and is scored:

- frame accuracy: share of frames (with a pose) whose decoded label is the true one, pauses counting
  as ``no_exercise``;
- boundary error: for each true boundary, seconds to the nearest decoded boundary;
- order correct: share of videos whose decoded exercises, in order, are exactly the true ones.

The decoder's settings (the "no exercise" threshold ``min_confidence``, ``switch_penalty``,
``min_segment_s``) are chosen here: on the even-numbered joined videos, those with the best frame
accuracy; figures are then reported on the odd-numbered ones, beside plain per-window argmax. The
threshold's other criteria (single clips, no-exercise sets, real rest) are measured beside this one
by scripts/eval_min_confidence.py.

    .venv/bin/python scripts/eval_segmentation.py --fold-models DIR   # saved fold bundles, no training
    .venv/bin/python scripts/eval_segmentation.py                     # trains 5 leave-sources-out folds (~1 h)
    .venv/bin/python scripts/eval_segmentation.py --model DIR         # a given bundle on all clips (leaky
                                                                      # if it was trained on them)

``--fold-models DIR`` takes the bundles of ``scripts/train_default.py --save-folds DIR`` (``DIR/<k>/`` with
``held_out.json``): each joined video is made only of clips its fold's model never saw.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from workout_analysis.analysis.classify import DecoderConfig, Recognition, recognise
from workout_analysis.exercises import NO_EXERCISE
from workout_analysis.features import frame_aspect, resample_index
from workout_analysis.fileio import atomic_write_text
from workout_analysis.sequence import PoseSequence

FPS = 30.0
MIN_CLIP_S = 3.0  # shorter clips hold too few windows to name
# The decoder settings tried (min_confidence x switch_penalty x min_segment_s); finer threshold steps
# below 0.2, where every criterion of scripts/eval_min_confidence.py changes fastest.
THRESHOLDS = np.round(np.r_[np.arange(0.0, 0.2, 0.025), np.arange(0.2, 0.85, 0.05)], 3)
PENALTIES = (2.0, 4.0, 6.0, 10.0)
MIN_SEGMENTS = (1.0, 2.0, 3.0)


@dataclass
class Joined:
    """A joined video and its truth: per-frame labels and whether a frame holds a pose."""

    seq: PoseSequence
    truth: np.ndarray  # (T,) str
    scored: np.ndarray  # (T,) bool: frames with a pose
    parts: list[str]  # the exercises in order


def join(clips: list[PoseSequence], rng: np.random.Generator, jitter: float = 0.002) -> Joined:
    """Clips end to end with a still pause after each but the last."""
    joined_aspect = frame_aspect(clips[0].meta.get("width"), clips[0].meta.get("height"))
    parts, truth = [], []
    for i, clip in enumerate(clips):
        lm = clip.landmarks[resample_index(clip.timestamps, FPS)]  # clips come at 24-60 fps
        # Same geometry in the joined frame: x and z are fractions of the width (see features.metric_xyz).
        scale = frame_aspect(clip.meta.get("width"), clip.meta.get("height")) / joined_aspect
        lm[..., [0, 2]] *= scale
        lm[..., 0] += 0.5 - 0.5 * scale
        parts.append(lm)
        truth += [clip.meta["exercise"]] * len(lm)
        if i + 1 < len(clips):
            last = lm[np.flatnonzero(~np.isnan(lm[:, 0, 0]))[-1]]
            n = int(rng.uniform(2.0, 5.0) * FPS)
            still = np.repeat(last[None], n, axis=0)
            still[..., :3] += rng.normal(0.0, jitter, still[..., :3].shape)
            parts.append(still)
            truth += [NO_EXERCISE] * n
    lm = np.concatenate(parts).astype(np.float32)
    meta = {"width": float(clips[0].meta.get("width") or 1.0), "height": float(clips[0].meta.get("height") or 1.0),
            "source": "+".join(c.meta["video_id"] for c in clips)}  # fmt: skip
    seq = PoseSequence(lm, FPS, meta=meta)
    return Joined(seq, np.array(truth), seq.has_pose, [c.meta["exercise"] for c in clips])


def make_joined(clips: list[PoseSequence], n: int, rng: np.random.Generator) -> list[Joined]:
    """``n`` joined videos of 2-4 clips of distinct exercises drawn from ``clips``."""
    by_class: dict[str, list[PoseSequence]] = {}
    for c in clips:
        by_class.setdefault(c.meta["exercise"], []).append(c)
    classes = sorted(by_class)
    out = []
    for _ in range(n if len(classes) >= 2 else 0):
        k = int(rng.integers(2, min(4, len(classes)) + 1))
        chosen = rng.choice(classes, size=k, replace=False)
        out.append(join([by_class[c][rng.integers(len(by_class[c]))] for c in chosen], rng))
    return out


def decoded_labels(rec: Recognition, times: np.ndarray) -> np.ndarray:
    """The decoded label of each frame time."""
    labels = np.full(len(times), NO_EXERCISE, dtype=object)
    for s in rec.segments:
        labels[(times >= s.start_s) & (times < s.end_s)] = s.exercise
    return labels


def boundaries(labels: np.ndarray, times: np.ndarray) -> np.ndarray:
    change = np.flatnonzero(labels[1:] != labels[:-1]) + 1
    return times[change]


def score(joined: Joined, rec: Recognition) -> dict:
    times = joined.seq.timestamps
    pred = decoded_labels(rec, times)
    true_b = boundaries(joined.truth, times)
    pred_b = np.array([s.start_s for s in rec.segments[1:]])
    errors = [float(np.min(np.abs(pred_b - b))) if len(pred_b) else float(times[-1]) for b in true_b]
    decoded = [s.exercise for s in rec.segments if s.exercise != NO_EXERCISE]
    collapsed = [c for i, c in enumerate(decoded) if i == 0 or c != decoded[i - 1]]
    pause = joined.scored & (joined.truth == NO_EXERCISE)
    exercise = joined.scored & ~pause
    return {
        "frames": int(joined.scored.sum()),
        "correct": int((pred == joined.truth)[joined.scored].sum()),
        "pause_frames": int(pause.sum()),
        "pause_rejected": int((pred[pause] == NO_EXERCISE).sum()),
        "exercise_frames": int(exercise.sum()),
        "exercise_rejected": int((pred[exercise] == NO_EXERCISE).sum()),
        "boundary_errors": errors,
        "order_correct": collapsed == joined.parts,
        "true_segments": len(joined.parts) * 2 - 1,
        "decoded_segments": len(rec.segments),
    }


def summarise(scores: list[dict]) -> dict:
    errors = np.concatenate([s["boundary_errors"] for s in scores]) if scores else np.zeros(0)
    return {
        "videos": len(scores),
        "frame_accuracy": sum(s["correct"] for s in scores) / max(1, sum(s["frames"] for s in scores)),
        "pause_frames_rejected": sum(s["pause_rejected"] for s in scores) / max(1, sum(s["pause_frames"] for s in scores)),
        "exercise_frames_rejected": sum(s["exercise_rejected"] for s in scores) / max(1, sum(s["exercise_frames"] for s in scores)),
        "boundary_error_median_s": float(np.median(errors)) if len(errors) else float("nan"),
        "boundary_error_mean_s": float(np.mean(errors)) if len(errors) else float("nan"),
        "boundaries_within_1s": float(np.mean(errors <= 1.0)) if len(errors) else float("nan"),
        "order_correct": float(np.mean([s["order_correct"] for s in scores])) if scores else float("nan"),
        "segments_decoded_per_true": sum(s["decoded_segments"] for s in scores) / max(1, sum(s["true_segments"] for s in scores)),
    }  # fmt: skip


def fold_predictions(real: list[PoseSequence], synthetic: list[PoseSequence], kind: str, folds: int,
                     joined_per_fold: int, seed: int):  # fmt: skip
    """The default recipe's leave-sources-out folds (scripts/train_default.py, evaluate.cross_validate):
    per fold, train on the other sources plus the synthetic sets, then predict the windows of joined
    videos and of single clips of the held-out sources. Returns (joined, windows, hop) and (clip,
    windows, hop) triples."""
    from tqdm import tqdm

    from workout_analysis.dataset import grouped_folds, grouped_split
    from workout_analysis.train import TrainConfig, fit

    config = TrainConfig.for_model(kind)
    labels = sorted({s.meta["exercise"] for s in [*real, *synthetic]})
    rng = np.random.default_rng(seed)
    joined_out, single_out = [], []
    for train_idx, test_idx in tqdm(grouped_folds(real, folds, config.seed), desc="folds", file=sys.stderr):
        train = [real[i] for i in train_idx]
        try:
            tr, va = grouped_split(train, config.val_fraction, config.seed)
        except ValueError:  # one source left for training: validate on some of its videos instead
            tr, va = grouped_split(train, config.val_fraction, config.seed, by="video")
        bundle, _ = fit([train[i] for i in tr] + synthetic, [train[i] for i in va], labels, config, progress=False)
        joined, single = held_out_predictions(bundle, [real[i] for i in test_idx], joined_per_fold, rng)
        joined_out += joined
        single_out += single
    return joined_out, single_out


def saved_folds(folder: Path) -> list[tuple]:
    """(bundle, ids of the videos it never saw) of each fold saved by ``train_default.py --save-folds``."""
    from workout_analysis.bundle import load_bundle

    if not Path(folder).is_dir():
        raise SystemExit(f"{folder}: not a folder (the fold bundles of train_default.py --save-folds)")
    dirs = sorted(p for p in Path(folder).iterdir() if (p / "held_out.json").is_file())
    if not dirs:
        raise SystemExit(f"{folder}: no fold bundles (<k>/held_out.json) in it")
    return [(load_bundle(d), json.loads((d / "held_out.json").read_text())["videos"]) for d in dirs]


def saved_fold_predictions(folds: list[tuple], sequences: list[PoseSequence], joined_per_fold: int, seed: int):
    """As :func:`fold_predictions`, with saved fold bundles (:func:`saved_folds`) instead of training."""
    by_id = {s.meta["video_id"]: s for s in sequences}
    rng = np.random.default_rng(seed)
    joined_out, single_out = [], []
    for bundle, videos in folds:
        joined, single = held_out_predictions(bundle, [by_id[v] for v in videos], joined_per_fold, rng)
        joined_out += joined
        single_out += single
    return joined_out, single_out


def given_model_predictions(sequences: list[PoseSequence], model: str | None, n: int, seed: int):
    from workout_analysis.bundle import load_bundle

    return held_out_predictions(load_bundle(model), sequences, n, np.random.default_rng(seed))


def held_out_predictions(bundle, clips: list[PoseSequence], n_joined: int, rng: np.random.Generator):
    """The bundle's windows of ``n_joined`` videos joined from ``clips`` (those of its classes) and of
    each clip alone: (joined, windows, hop) and (clip, windows, hop) triples."""
    hop = bundle.hop / bundle.fps
    known = [c for c in clips if c.meta["exercise"] in bundle.labels]
    joined = [(j, bundle.predict_windows(j.seq), hop)
              for j in make_joined([c for c in known if _long_enough(c)], n_joined, rng)]  # fmt: skip
    return joined, [(c, bundle.predict_windows(c), hop) for c in known]


def _long_enough(clip: PoseSequence) -> bool:
    return clip.has_pose.sum() / clip.fps >= MIN_CLIP_S


def span(seq: PoseSequence) -> tuple[float, float]:
    """The sequence's time span, as `workout analyze` gives it to the decoder (analysis.report.analyze)."""
    step = float(np.median(np.diff(seq.timestamps))) if len(seq) > 1 else 1.0 / seq.fps
    return float(seq.timestamps[0]), float(seq.timestamps[-1]) + step


def decode_all(pairs, config: DecoderConfig) -> list[dict]:
    return [score(joined, recognise(windows, config, *span(joined.seq), hop)) for joined, windows, hop in pairs]


def single_clip_outcomes(pairs, config: DecoderConfig) -> dict:
    """Single held-out clips: named right, named wrong, or 'no exercise recognised'."""
    right = wrong = rejected = 0
    for clip, windows, hop in pairs:
        rec = recognise(windows, config, *span(clip), hop)
        if not rec.recognised:
            rejected += 1
        elif rec.exercise == clip.meta["exercise"]:
            right += 1
        else:
            wrong += 1
    n = max(1, right + wrong + rejected)
    return {"clips": right + wrong + rejected, "right": right / n, "wrong": wrong / n, "rejected": rejected / n}


BEGIN, END = "<!-- segmentation: written by scripts/eval_segmentation.py -->", "<!-- end of segmentation -->"


def markdown(result: dict) -> str:
    """The docs/models.md section for ``result``."""
    keys = ("chosen", "joined", "joined_default_decoder", "joined_window_argmax", "single_clips")
    c, j, d, a, s = (result[k] for k in keys)
    command = result.get("command", ".venv/bin/python scripts/eval_segmentation.py")
    held_out = result["setting"].startswith("leave")

    def row(name: str, r: dict) -> str:
        return (f"| {name} | {r['frame_accuracy']:.1%} | {r['boundary_error_median_s']:.1f} s | "
                f"{r['boundary_error_mean_s']:.1f} s | {r['boundaries_within_1s']:.0%} | {r['order_correct']:.0%} | "
                f"{r['segments_decoded_per_true']:.2f} |")  # fmt: skip

    curve = ", ".join(f"{float(t):g}: {v:.1%}" for t, v in result["choose_half_frame_accuracy_by_threshold"].items())
    return "\n".join([
        BEGIN,
        "## Segmentation of mixed videos",
        "",
        f"Generated by `{command}` ({result['seconds'] / 60:.0f} min; {result['setting']}). Joined "
        "videos of 2-4 real sequences of different exercises, with a still pause (the last pose held 2-5 s with "
        "jitter) between them; "
        + ("the model of each fold never saw their sources. " if held_out else
           "**the model may have been trained on these sequences (leaky)**. ")
        + "Decoder settings "
        f"chosen on half of the {j['videos'] * 2} joined videos, figures on the other {j['videos']}. "
        "Frame accuracy counts frames with a pose, pauses as `no_exercise`; boundary error is, per true "
        "boundary, the distance to the nearest decoded one.",
        "",
        "| decoder | frame accuracy | boundary error (median) | (mean) | boundaries within 1 s | "
        "exercises in the right order | segments decoded per true segment |",
        "|---|---|---|---|---|---|---|",
        row(f"HMM, chosen: min_confidence {c['min_confidence']:g}, switch penalty {c['switch_penalty']:g}, "
            f"min segment {c['min_segment_s']:g} s", j),
        row(f"HMM, the decoder's defaults: {d['min_confidence']:g}, {d['switch_penalty']:g}, {d['min_segment_s']:g} s", d),
        row("per-window argmax (same threshold, no smoothing)", a),
        "",
        f"Frame accuracy (choose half) by `min_confidence`, best switch penalty and minimum length each: {curve}.",
        "",
        f"Single {'held-out ' if held_out else ''}sequences with the chosen settings ({s['clips']}): "
        f"named right {s['right']:.1%}, "
        f"named wrong {s['wrong']:.1%}, \"no exercise recognised\" {s['rejected']:.1%}.",
        END,
    ])  # fmt: skip


def write_section(path: Path, section: str) -> None:
    """Put ``section`` at the end of ``path``, replacing the one written before (the rest is kept)."""
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    if BEGIN in text and END in text:
        text = text[: text.index(BEGIN)] + text[text.index(END) + len(END) :]
    atomic_write_text(path, text.rstrip("\n") + ("\n\n" if text.strip() else "") + section + "\n")


def publish(section: str, docs: Path | None) -> None:
    """Into the markdown file ``docs`` (its section replaced) when given, else on stdout."""
    if docs:
        write_section(docs, section)
    else:
        print(section)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", help="score this bundle (or 'default') instead of leave-sources-out folds")
    parser.add_argument("--fold-models", type=Path, help="saved fold bundles (train_default.py --save-folds DIR): "
                        "DIR/<k>/ with held_out.json, used instead of training folds")  # fmt: skip
    parser.add_argument("--kind", default="tcn", help="model recipe trained per fold (train --model)")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--synthetic", type=int, default=12, help="synthetic sets per class in training (as the recipe)")
    parser.add_argument("--joined", type=int, default=16, help="joined videos per fold")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default="/work/cache/segmentation.json", help="figures as JSON")
    parser.add_argument("--docs", type=Path, help="markdown file whose segmentation section is (re)written "
                        "(default: the section is printed)")  # fmt: skip
    parser.add_argument("--render-only", action="store_true", help="the markdown section from --out, no run")
    args = parser.parse_args()
    if args.render_only:
        publish(markdown(json.loads(Path(args.out).read_text())), args.docs)
        return
    command = " ".join([".venv/bin/python scripts/eval_segmentation.py", *sys.argv[1:]])

    import torch
    from tqdm import tqdm

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from shared_data import real_sequences
    from train_default import synthetic_sequences

    torch.set_num_threads(1)
    started = time.perf_counter()
    sequences = real_sequences()
    if args.model:
        joined, single = given_model_predictions(sequences, None if args.model == "default" else args.model,
                                                 args.joined * args.folds, args.seed)  # fmt: skip
        setting = f"given model {args.model}"
    elif args.fold_models:
        joined, single = saved_fold_predictions(saved_folds(args.fold_models), sequences, args.joined, args.seed)
        setting = f"leave-sources-out, saved fold models {args.fold_models}"
    else:
        synthetic = synthetic_sequences(args.synthetic)
        joined, single = fold_predictions(sequences, synthetic, args.kind, args.folds, args.joined, args.seed)
        setting = f"leave-sources-out, {args.folds} folds, {args.kind}"
    choose, report = joined[0::2], joined[1::2]

    # Choose the decoder settings on one half of the joined videos ...
    grid = [DecoderConfig(float(t), p, m) for t in THRESHOLDS for p in PENALTIES for m in MIN_SEGMENTS]
    accuracy = {c: summarise(decode_all(choose, c))["frame_accuracy"] for c in tqdm(grid, desc="grid", file=sys.stderr)}
    default = DecoderConfig()
    # ... preferring, among equals, the settings nearest the defaults (fewer surprises elsewhere).
    best = max(grid, key=lambda c: (round(accuracy[c], 3), -abs(c.min_confidence - default.min_confidence),
                                    -abs(c.switch_penalty - default.switch_penalty)))  # fmt: skip
    by_threshold = {float(t): max(a for c, a in accuracy.items() if c.min_confidence == t) for t in THRESHOLDS}
    # ... and report on the other half.
    result = {
        "command": command,
        "setting": setting,
        "chosen": asdict(best),
        "choose_half_frame_accuracy_by_threshold": by_threshold,
        "joined": summarise(decode_all(report, best)),
        "joined_default_decoder": {**asdict(default), **summarise(decode_all(report, default))},
        "joined_window_argmax": summarise(decode_all(report, DecoderConfig(best.min_confidence, 0.0, 0.0))),
        "single_clips": single_clip_outcomes(single, best),
        "seconds": round(time.perf_counter() - started, 1),
    }
    atomic_write_text(args.out, json.dumps(result, indent=2))
    print(json.dumps(result, indent=2))
    publish(markdown(result), args.docs)


if __name__ == "__main__":
    main()
