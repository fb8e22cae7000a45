"""The `workout` command. Each sub-command has an ``add_<name>`` (its arguments) and a ``run_<name>``.

Heavy libraries (MediaPipe, torch) are imported inside the run functions so that ``--help`` is instant.
A :class:`WorkoutError` (the user's input is at fault) becomes one line on stderr and a non-zero exit.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from . import __version__
from .errors import WorkoutError

if TYPE_CHECKING:  # for annotations only: the run functions import what they use, so --help stays instant
    from pathlib import Path

    from .analysis.report import Analysis
    from .batch import AnalyzeOptions, Outcome
    from .bundle import ModelBundle
    from .sequence import PoseSequence

DESCRIPTION = """\
Recognise the exercise in a workout video, count the repetitions and score the form.

Typical use:
  workout analyze clip.mp4                 exercise, confidence, reps and form, as text
  workout analyze clip.mp4 --json          the same as JSON (schema in docs/analyze.md)
  workout extract videos/ -o landmarks.parquet   pose landmarks of a folder of class sub-folders
  workout train landmarks.parquet -o my_model    train a model bundle on such a table
  workout evaluate test.parquet --model my_model score it on a labelled table of other people's videos
  workout synth --exercise squat -o squat.npz    synthetic landmark sequence with ground truth
  workout live                             camera 0: exercise, reps and form tips as they happen
  workout serve                            a web page on http://127.0.0.1:8000/: upload a video, read the result
"""


# --- extract --------------------------------------------------------------------------------------


def add_extract(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "extract",
        help="pose landmarks of a folder of videos (or of one video) -> one Parquet table",
        description="Run MediaPipe Pose over every video of DATA_DIR/<exercise>/ (or over one video file, its "
        "exercise left empty) and write one landmark table. "
        "Resumable: finished videos are cached (by content and settings), so an interrupted run picks up "
        "where it stopped. Broken videos are reported and skipped. Details: docs/extract.md.",
    )
    p.add_argument("data_dir", metavar="DATA_DIR", help="folder of exercise sub-folders holding videos, or one video")
    p.add_argument("-o", "--output", required=True, metavar="OUT.parquet", help="the landmark table to write")
    p.add_argument("--csv", nargs="?", const="", metavar="PATH", help="also write the original design's CSV "
                   "(99 features + label; default: pose_landmarks_dataset.csv beside OUT)")  # fmt: skip
    p.add_argument("--workers", type=int, metavar="N", help="worker processes (default: one per core)")
    p.add_argument("--stride", type=int, default=1, metavar="N", help="use every N-th frame (default 1: all)")
    p.add_argument("--cache", metavar="DIR", help="per-video cache folder (default: OUT.parquet.cache beside OUT)")
    p.add_argument("--sources", metavar="TSV", help="file -> source table (columns file and source_repo or "
                   "source; default: DATA_DIR/INDEX.tsv if it has them, else each video is its own source); "
                   "the source groups one person's videos in splits")  # fmt: skip
    p.add_argument("--num-poses", type=int, default=1, metavar="N",
                   help="people to look for; the most prominent is followed (default 1)")  # fmt: skip
    p.add_argument("--min-confidence", type=float, default=0.5, metavar="P", help="MediaPipe's detection, "
                   "presence and tracking thresholds (default 0.5; 0.3 finds more people in hard footage)")  # fmt: skip
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=run_extract)


def run_extract(args: argparse.Namespace) -> int:
    from pathlib import Path

    from .dataset import CSV_NAME, ExtractSettings, extract_folder

    if args.stride < 1:
        raise WorkoutError(f"--stride must be 1 or more, got {args.stride}")
    if args.workers is not None and args.workers < 1:
        raise WorkoutError(f"--workers must be 1 or more, got {args.workers}")
    if args.num_poses < 1:
        raise WorkoutError(f"--num-poses must be 1 or more, got {args.num_poses}")
    if not 0.0 <= args.min_confidence <= 1.0:
        raise WorkoutError(f"--min-confidence must be between 0 and 1, got {args.min_confidence}")
    output = Path(args.output)
    if output.suffix.lower() != ".parquet":
        raise WorkoutError(f"{output}: -o writes a Parquet table, so it must end in .parquet "
                           "(for the original design's CSV add --csv [PATH])")  # fmt: skip
    csv = None if args.csv is None else Path(args.csv or output.with_name(CSV_NAME))
    c = args.min_confidence
    settings = ExtractSettings(args.stride, args.num_poses, c, c, c)
    summary = extract_folder(args.data_dir, output, settings=settings, workers=args.workers, cache_dir=args.cache,
                             sources=args.sources, csv=csv, progress=not args.quiet)  # fmt: skip
    print(summary)
    return 1 if summary.failed else 0  # as a batch of analyze: the table is written, but not of every video


# --- train ----------------------------------------------------------------------------------------


def add_train(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "train",
        help="train a model bundle on a landmark table",
        description="Train a classifier on a landmark table (Parquet from `workout extract`, or the original "
        "design's CSV). The split keeps whole sources (or videos) apart, stratified by exercise, with a fixed "
        "seed. Writes the bundle, metrics.json, learning_curves.png and confusion_matrix.png into MODEL_DIR. "
        "--model tcn (default) is the embedded model's kind; --model mlp is the original design's per-frame "
        "network and schedule, exactly. Guide: docs/train.md.",
    )
    p.add_argument("landmarks", metavar="LANDMARKS", help="landmark table: .parquet or the original .csv")
    p.add_argument("-o", "--output", required=True, metavar="MODEL_DIR", help="bundle directory to write")
    p.add_argument("--model", choices=("mlp", "gru", "tcn", "gcn"), default="tcn",
                   help="tcn (default) / gru: over 2 s windows; mlp: per-frame original design (weakest on other "
                   "people's videos, docs/models.md); gcn: a small graph network over the skeleton, 2 s windows, "
                   "pose features only")  # fmt: skip
    p.add_argument("--features", choices=("raw99", "pose"), help="raw99 (mlp default) or pose (body-centred, "
                   "angles, velocities; gru/tcn/gcn default)")  # fmt: skip
    p.add_argument("--canonical", action="store_true", help="turn each pose to face the camera (pose features)")
    p.add_argument("--epochs", type=int, metavar="N", help="epochs (mlp: at most 80, early stopping; others: 30, the last kept)")
    p.add_argument("--no-augment", action="store_true", help="train gru/tcn/gcn without augmentation")
    p.add_argument("--split", choices=("source", "frame"), default="source", help="source: hold out whole "
                   "sources/videos (honest, default); frame: random frames (leaky, only to show the leak)")  # fmt: skip
    p.add_argument("--validation", type=float, default=0.2, metavar="SHARE", help="share of sources held out "
                   "(default 0.2; 0: train on all, no metrics, temperature 1: for a final model)")  # fmt: skip
    p.add_argument("--seed", type=int, default=0, help="random seed of the split and the training (default 0)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=run_train)


def run_train(args: argparse.Namespace) -> int:
    import json
    from pathlib import Path

    import torch

    from .bundle import META_FILE, save_bundle
    from .evaluate import held_out_caution, plot_confusion, plot_learning_curves
    from .fileio import atomic_write_text
    from .train import TrainConfig, load_training_sequences, train_bundle

    if args.epochs is not None and args.epochs < 1:
        raise WorkoutError(f"--epochs must be 1 or more, got {args.epochs}")
    if not 0.0 <= args.validation < 1.0:
        raise WorkoutError(f"--validation must be at least 0 and below 1, got {args.validation}")
    if args.model == "gcn" and args.features == "raw99":
        raise WorkoutError("--model gcn works on the pose features (its graph is the body's landmarks): "
                           "drop --features raw99")
    overrides = {"seed": args.seed, "val_fraction": args.validation, "canonical": args.canonical}
    if args.features:
        overrides["features"] = args.features
    if args.epochs:
        overrides["epochs"] = args.epochs
    if args.no_augment:
        overrides["augment"] = None
    config = TrainConfig.for_model(args.model, **overrides)
    out = Path(args.output)
    if out.exists() and not out.is_dir():  # now, not after the training
        raise WorkoutError(f"{out}: -o names the bundle's folder, and a file of that name is in the way")
    if out.is_dir() and any(out.iterdir()) and not (out / META_FILE).is_file():  # a bundle is replaced whole
        raise WorkoutError(f"{out}: -o names the bundle's folder; this one holds other files (give a new or empty one)")
    sequences = load_training_sequences(args.landmarks)
    torch.use_deterministic_algorithms(True)  # a re-run gives the same numbers
    torch.set_num_threads(1)  # these networks are small: extra threads only wait on each other, badly on a busy CPU
    try:
        bundle, metrics, history = train_bundle(sequences, config, progress=not args.quiet, split=args.split)
    except WorkoutError as exc:
        raise WorkoutError(f"{args.landmarks}: {exc}") from None
    save_bundle(bundle, out)
    atomic_write_text(out / "metrics.json", json.dumps({**metrics, "history": history}, indent=1) + "\n")
    plot_learning_curves(history, out / "learning_curves.png")
    split = metrics["split"]
    if metrics["videos"]:
        plot_confusion(metrics, out / "confusion_matrix.png")
        kind = "frame split: leaky, frames of one video on both sides" if args.split == "frame" else "source split"
        print(f"{args.model}: {split['train_videos']} training videos, {metrics['videos']} held out from "
              f"{len(split['validation_sources'])} sources ({kind}): video accuracy {metrics['video_accuracy']:.1%}, "
              f"macro-F1 {metrics['video_macro_f1']:.3f}, `analyze` verdict {metrics['analyze_accuracy']:.1%}, "
              f"{'frame' if config.window == 1 else 'window'} accuracy "
              f"{metrics['window_accuracy']:.1%}, ECE {metrics['ece_uncalibrated']:.3f} -> {metrics['ece']:.3f} "
              f"(temperature {bundle.temperature:.2f})")  # fmt: skip
        if metrics.get("not_evaluated"):
            print(f"not evaluated (no held-out video): {', '.join(metrics['not_evaluated'])}")
        if caution := held_out_caution(metrics["videos"], len(split["validation_sources"])):
            print(caution)
    else:
        (out / "confusion_matrix.png").unlink(missing_ok=True)  # a previous bundle's, not this one's
        print(f"{args.model}: trained on all {split['train_videos']} videos; nothing held out, so no metrics")
    if "temperature_note" in metrics:
        print(metrics["temperature_note"])
    wrote = "metrics.json, learning_curves.png" + (", confusion_matrix.png" if metrics["videos"] else "")
    print(f"wrote {out}/ (bundle, {wrote})")
    return 0


def add_evaluate(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "evaluate",
        help="score a model bundle on a labelled landmark table",
        description="Score a trained model on labelled videos it never saw (a landmark table from `workout "
        "extract` of a test folder): video accuracy, macro-F1, the verdict `workout analyze` gives, window accuracy, "
        "calibration (ECE) and per-class recall and precision. Videos of classes the model does not know are "
        "counted and left out. The model must not have been trained on these videos (or their people) for the "
        "figures to mean anything. Guide: docs/train.md.",
    )
    p.add_argument("landmarks", metavar="LANDMARKS", help="labelled landmark table: .parquet or the original .csv")
    p.add_argument("--model", metavar="MODEL_DIR", help="bundle directory (default: the embedded model)")
    p.add_argument("-o", "--output", metavar="METRICS.json", help="also write the scores as JSON")
    p.add_argument("--plot", metavar="CONFUSION.png", help="also draw the video-level confusion matrix")
    p.set_defaults(func=run_evaluate)


def run_evaluate(args: argparse.Namespace) -> int:
    import json
    from collections import Counter
    from pathlib import Path

    import numpy as np

    from .bundle import load_bundle
    from .evaluate import evaluate, plot_confusion
    from .exercises import class_name
    from .fileio import atomic_write_text
    from .train import load_training_sequences

    if args.output:
        _check_writable(Path(args.output), "-o")
    if args.plot:
        _check_plot(Path(args.plot))
    bundle = load_bundle(args.model)
    sequences = load_training_sequences(args.landmarks, min_classes=1)
    # a model trained before labels took the project's names still has its folders' ('Squats')
    as_trained = {class_name(label): label for label in bundle.labels}
    for s in sequences:
        s.meta["exercise"] = as_trained.get(s.meta["exercise"], s.meta["exercise"])
    scored = [s for s in sequences if s.meta["exercise"] in bundle.labels]
    unknown = Counter(s.meta["exercise"] for s in sequences if s.meta["exercise"] not in bundle.labels)
    metrics = evaluate(bundle, scored)
    if not metrics["videos"]:
        known = ", ".join(bundle.labels[:8]) + (f", ... ({len(bundle.labels)} in all)" if len(bundle.labels) > 8 else "")
        raise WorkoutError(f"{args.landmarks}: none of its {len(sequences)} videos is of a class the model knows "
                           f"(its classes: {', '.join(sorted(unknown))}; the model's: {known})")  # fmt: skip
    n = metrics["videos"]
    print(f"{args.landmarks}: {n} video{'s' if n != 1 else ''}: video accuracy {metrics['video_accuracy']:.1%}, "
          f"macro-F1 {metrics['video_macro_f1']:.3f}, `analyze` verdict {metrics['analyze_accuracy']:.1%}, "
          f"window accuracy {metrics['window_accuracy']:.1%}, ECE {metrics['ece']:.3f}")  # fmt: skip
    print(f"{'class':24s} {'videos':>6s} {'recall':>7s} {'precision':>9s}")
    named = dict(zip(metrics["labels"], np.asarray(metrics["confusion"]).sum(axis=0)))  # videos named as each class
    for name, row in metrics["per_class"].items():
        precision = f"{row['precision']:9.0%}" if named[name] else f"{'-':>9s}"  # no video named so: undefined
        print(f"{name:24s} {row['videos']:6d} {row['recall']:7.0%} {precision}")
    for caution in _evaluation_cautions(metrics, scored, bundle):
        print(f"caution: {caution}")
    if unknown:
        print("not scored (classes the model does not know): "
              + ", ".join(f"{c} ({n} video{'s' if n != 1 else ''})" for c, n in sorted(unknown.items())))  # fmt: skip
    if args.output:
        scored_what = {"table": str(args.landmarks), "model": str(args.model or "the embedded default model")}
        atomic_write_text(args.output, json.dumps({**scored_what, **metrics}, indent=1) + "\n")
    if args.plot:
        title = f"Video-level confusion ({Path(args.landmarks).name})"
        plot_confusion(metrics, args.plot, title=title, scored_on="test")
    return 0


def _evaluation_cautions(metrics: dict[str, Any], scored: list[PoseSequence], bundle: ModelBundle) -> list[str]:
    """What makes ``workout evaluate``'s figures say less than they seem to, for the ``scored`` sequences."""
    from .evaluate import held_out_caution

    cautions = []
    sources = {s.meta.get("source", s.meta["video_id"]) for s in scored}
    if few := held_out_caution(metrics["videos"], len(sources), "test"):
        cautions.append(few.removeprefix("caution: "))
    if len(metrics["per_class"]) == 1:
        cautions.append("one class only: precision and macro-F1 say little (every video is of that class)")
    if all(s.meta.get("origin") == "original_csv" for s in scored):
        cautions.append("the original design's CSV has no video ids: each exercise's rows are scored as one "
                        "sequence, so 'videos' counts exercises; extract the test folder to a .parquet table to "
                        "score videos")  # fmt: skip
    trained_on = set(bundle.metrics.get("split", {}).get("train_video_ids", []))
    if seen := sorted(trained_on & {s.meta["video_id"] for s in scored}):
        cautions.append(f"the model was trained on {len(seen)} of these videos ({', '.join(seen[:3])}"
                        f"{', ...' if len(seen) > 3 else ''}): their figures say how well it remembers, not how well "
                        "it recognises")  # fmt: skip
    return cautions


# --- analyze --------------------------------------------------------------------------------------


def add_analyze(sub: argparse._SubParsersAction) -> None:
    from .render import VIDEO_TYPES  # numpy only: cheap enough for every command's start

    p = sub.add_parser(
        "analyze",
        help="exercise, reps and form of a video or landmark file (or of a whole folder)",
        description="Recognise the exercise in a video or landmark file, split it into segments, count the\n"
        "repetitions and check the form. JSON schema: docs/analyze.md.\n\n"
        "Several inputs, a folder (searched recursively) or a file holding several sequences (an extract\n"
        "table, an .npz of several arrays) are analysed as a batch: one line per item (one JSON object per\n"
        "line with --json), spread over --workers processes; an item that cannot be analysed is reported\n"
        "and the others go on (exit 1 if any failed). --output writes a summary table (.csv) or every full\n"
        "result (.jsonl).",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("inputs", nargs="+", metavar="INPUT", help="a video (mp4, mov, avi, mkv, webm, m4v) or a "
                   "landmark file (.parquet from extract, the original .csv, .npy/.npz of shape (T,33,3), "
                   "(T,33,4), (T,99), (T,132) or RepCount-A's (T,104)), or a folder of them")  # fmt: skip
    p.add_argument("--model", metavar="DIR", help="model bundle directory (default: the embedded model)")
    p.add_argument("--json", action="store_true", help="print the result as JSON on stdout")
    p.add_argument("--exercise", metavar="NAME", help="skip recognition: the exercise is NAME (e.g. squat; "
                   "'Squats', 'sit-up' or RepCount-A's names work too)")  # fmt: skip
    p.add_argument("--plot", metavar="PNG", help="draw the rep signal over time, reps and flagged reps marked "
                   "(.png, .svg or .pdf; one input only)")  # fmt: skip
    p.add_argument("--annotate", metavar="VIDEO", help="write the video (a dark canvas for a landmark file) with the "
                   "skeleton, the exercise, the running rep count and each rep's score and first tip drawn on it "
                   f"({VIDEO_TYPES}; one input only)")  # fmt: skip
    p.add_argument("--stride", type=int, default=1, metavar="N", help="use every N-th frame (default 1: all)")
    p.add_argument("--fps", type=float, help="frame rate of a landmark file that does not record it (default 30)")
    p.add_argument("--video-id", metavar="ID", help="which sequence of a file holding several (an extract "
                   "table, an .npz of several arrays) to analyse alone (one input only)")  # fmt: skip
    p.add_argument("--min-confidence", type=float, metavar="P", help="below this probability a window is 'no exercise' "
                   "(default: the one chosen on validation data, see docs/analyze.md)")  # fmt: skip
    p.add_argument("--people", type=int, default=1, metavar="N", help="a video with several people: follow up "
                   "to N at once and analyse each on their own (default 1: the most prominent person)")  # fmt: skip
    p.add_argument("--pose-cache", metavar="DIR", help="keep each video's poses in DIR and reuse them when the "
                   "same video is analysed again (with another model, say); `workout extract`'s cache folder "
                   "(OUT.parquet.cache) works too")  # fmt: skip
    p.add_argument("--workers", type=int, metavar="N", help="batch: processes working at once (default: one per "
                   "core)")  # fmt: skip
    p.add_argument("-o", "--output", metavar="FILE", help="batch: write a summary table (.csv, a row per file) "
                   "or every result (.jsonl, one JSON object per line)")  # fmt: skip
    p.set_defaults(func=run_analyze)


def _analyze_options(args: argparse.Namespace) -> AnalyzeOptions:
    from pathlib import Path

    from .analysis.classify import DecoderConfig
    from .analysis.report import check_exercise
    from .batch import AnalyzeOptions
    from .render import VIDEO_CODECS, VIDEO_TYPES

    if args.min_confidence is not None and not 0.0 <= args.min_confidence <= 1.0:
        raise WorkoutError(f"--min-confidence must be between 0 and 1, got {args.min_confidence}")
    if args.plot:
        _check_plot(Path(args.plot))  # now, not after minutes of pose finding
    if args.annotate:
        _check_writable(Path(args.annotate), "--annotate")
    if args.annotate and Path(args.annotate).suffix.lower() not in VIDEO_CODECS:
        raise WorkoutError(f"{args.annotate}: --annotate writes {VIDEO_TYPES}; end the file name with one of them")
    if args.annotate and any(Path(args.annotate).resolve() == Path(i).resolve() for i in args.inputs):
        raise WorkoutError(f"{args.annotate}: --annotate would write over the input; name another file")
    config = DecoderConfig() if args.min_confidence is None else DecoderConfig(min_confidence=args.min_confidence)
    exercise = None if args.exercise is None else check_exercise(args.exercise)
    return AnalyzeOptions(args.model, exercise, config, args.stride, args.fps, args.video_id, args.pose_cache)


def run_analyze(args: argparse.Namespace) -> int:
    from pathlib import Path

    from .sequence import sequence_ids

    options = _analyze_options(args)
    path = Path(args.inputs[0])
    if len(args.inputs) > 1 or path.is_dir() or (args.video_id is None and sequence_ids(path) is not None):
        return _run_batch(args, options)
    if args.workers is not None or args.output is not None:
        raise WorkoutError("--workers and --output are for a batch (several inputs or a folder); "
                           "for one file use --json and redirect it")  # fmt: skip
    if args.people != 1:
        return _run_people(args, options)
    import json

    from .batch import analyze_input

    with _pose_progress(path, args.stride, "finding the pose") as bar:
        seq, result = analyze_input(path, options, progress=bar.update)
    if args.plot and result.reps is None:
        print(f"workout: warning: {args.plot} not drawn: no exercise recognised, so no reps to plot", file=sys.stderr)
    elif args.plot:
        from .analysis.plot import plot_timeline
        from .batch import Item

        # the file's name, with the video id of a multi-video file (which holds a '/': not a path's name)
        title = f"{Item(Path(path.name), args.video_id)}: {result.recognition.describe()}"
        plot_timeline(result.reps, args.plot, result.form, title=title)
    if args.annotate:
        _annotate(path, seq, result, args.annotate)
    for warning in result.warnings:
        print(f"workout: warning: {warning}", file=sys.stderr)
    print(json.dumps(result.to_dict(), indent=2) if args.json else result.to_text())
    return 0


def _annotate(path: Path, seq: PoseSequence, result: Analysis, out: str) -> None:
    """``--annotate``: the analysis drawn on the video's frames (read again: keeping them all would take GBs), or on a
    dark canvas for a landmark file."""
    from contextlib import nullcontext

    import cv2
    from tqdm import tqdm

    from .batch import LANDMARK_SUFFIXES
    from .render import analysis_text, canvas_size, render_frames, write_video
    from .video import VideoReader

    video = path.suffix.lower() not in LANDMARK_SUFFIXES
    with VideoReader(path, stride=int(seq.meta.get("stride", 1))) if video else nullcontext() as reader:
        background = None if reader is None else (cv2.cvtColor(f.rgb, cv2.COLOR_RGB2BGR) for f in reader)
        size = canvas_size(seq) if reader is None else (reader.width, reader.height)
        frames = render_frames(seq, analysis_text(result, seq.timestamps), size=size, background=background)
        with tqdm(frames, total=len(seq), unit="frame", desc="drawing", file=sys.stderr, leave=False) as bar:
            write_video(bar, out, seq.fps)


def _run_people(args: argparse.Namespace, options: AnalyzeOptions) -> int:
    import json
    from pathlib import Path

    from .batch import analyze_people

    if args.people < 1:
        raise WorkoutError(f"--people must be 1 or more, got {args.people}")
    if drawn := [option for option, value in (("--plot", args.plot), ("--annotate", args.annotate)) if value]:
        raise WorkoutError(f"{' and '.join(drawn)} draw{'s' if len(drawn) == 1 else ''} one person's reps; "
                           "use without --people")  # fmt: skip
    if args.pose_cache:
        raise WorkoutError("--pose-cache keeps one person's poses, and --people finds everyone anew: use one or the other")
    path = Path(args.inputs[0])
    with _pose_progress(path, args.stride, "finding the people") as bar:
        results = analyze_people(path, args.people, options, progress=bar.update)
    for warning in dict.fromkeys(w for r in results for w in r.warnings):  # the video's, once, not per person
        print(f"workout: warning: {warning}", file=sys.stderr)
    if args.json:
        people = [{"person": k, **r.to_dict()} for k, r in enumerate(results, start=1)]
        from .analysis.report import SCHEMA_VERSION

        print(json.dumps({"schema_version": SCHEMA_VERSION, "input": str(path), "people": people}, indent=2))
    else:
        print("\n\n".join(f"Person {k} of {len(results)}, in view in {r.frames_with_pose} of {r.frames} frames\n"
                           f"{r.to_text()}" for k, r in enumerate(results, start=1)))  # fmt: skip
    return 0


def _pose_progress(path: Path, stride: int, desc: str) -> Any:
    """A progress bar (tqdm, on stderr) over the frames pose extraction will read; off for a landmark file."""
    from tqdm import tqdm

    from .batch import LANDMARK_SUFFIXES
    from .video import header_frame_count

    total = None if path.suffix.lower() in LANDMARK_SUFFIXES else header_frame_count(path, stride) or None
    return tqdm(total=total, unit="frame", desc=desc, file=sys.stderr, leave=False, disable=total is None)


def _run_batch(args: argparse.Namespace, options: AnalyzeOptions) -> int:
    import json
    from pathlib import Path

    from tqdm import tqdm

    from .batch import analyze_many, find_inputs
    from .dataset import default_workers

    given = [o for o, v in (("--plot", args.plot), ("--annotate", args.annotate), ("--video-id", args.video_id),
                            ("--people", args.people != 1)) if v]  # fmt: skip
    if given:
        raise WorkoutError(f"{' and '.join(given)} take{'s' if len(given) == 1 else ''} one input, not a batch")
    if args.workers is not None and args.workers < 1:
        raise WorkoutError(f"--workers must be 1 or more, got {args.workers}")
    output = None if args.output is None else Path(args.output)
    if output is not None and output.suffix.lower() not in (".csv", ".jsonl"):
        raise WorkoutError(f"{output}: --output must end in .csv (summary table) or .jsonl (every result)")
    if output is not None:
        _check_writable(output, "--output")  # now, not after the whole batch
    # a folder may hold the summary of an earlier run: it is not an input
    items = [i for i in find_inputs(args.inputs) if output is None or i.path.resolve() != output.resolve()]
    workers = min(args.workers or default_workers(), len(items))
    outcomes = {}
    with tqdm(total=len(items), unit="item", desc="analyze", file=sys.stderr) as bar:
        for outcome in analyze_many(items, options, workers):
            outcomes[outcome.item] = outcome
            if outcome.error is not None:
                bar.write(f"workout: error: {outcome.error}", file=sys.stderr)
            elif args.json:
                bar.write(json.dumps(outcome.analysis), file=sys.stdout)
            else:
                bar.write(_batch_line(outcome.row), file=sys.stdout)
            for warning in (outcome.analysis or {}).get("warnings", []):
                bar.write(f"workout: warning: {warning}", file=sys.stderr)
            bar.update()
    ordered = [outcomes[i] for i in items]
    failed = sum(o.error is not None for o in ordered)
    if output is not None:
        _write_batch_output(output, ordered)
    print(f"workout: {len(items) - failed} of {len(items)} analysed"
          + (f", {failed} failed (listed above)" if failed else "")
          + (f"; wrote {output}" if output is not None else ""), file=sys.stderr)  # fmt: skip
    return 1 if failed else 0


def _check_plot(path: Path) -> None:
    """Refuse, before any work, a --plot that matplotlib cannot write or that cannot be written there."""
    from .analysis.plot import PLOT_FORMATS

    if path.suffix.lower() not in PLOT_FORMATS:
        raise WorkoutError(f"{path}: --plot writes {', '.join(PLOT_FORMATS)}; end the file name with one of them")
    _check_writable(path, "--plot")


def _check_writable(path: Path, option: str) -> None:
    """Refuse, before any work, an output that cannot be written: a folder in the way, a file where a folder must
    be, or a nearest existing folder that takes no file (the output's own folders are made when it is written).
    A file is tried there rather than the permissions read: root passes every permission test, not /proc's."""
    import tempfile

    if path.is_dir():
        raise WorkoutError(f"{path}: {option} names a folder; give a file name")
    parent = next(p for p in path.absolute().parents if p.exists())
    if not parent.is_dir():
        raise WorkoutError(f"{path}: {option} cannot be written there ({parent} is a file, not a folder)")
    try:
        tempfile.TemporaryFile(dir=parent).close()
    except OSError as exc:
        raise WorkoutError(f"{path}: {option} cannot be written there ({exc.strerror or exc})") from None


def _batch_line(row: dict[str, Any]) -> str:
    from .exercises import NO_EXERCISE, display_name

    if row["exercise"] == NO_EXERCISE:  # its confidence is that of "no exercise", which reads as nonsense beside it
        line = f"{row['input']}: no exercise recognised"
    else:
        sure = "" if row["confidence"] is None else f" ({row['confidence']:.0%})"
        line = f"{row['input']}: {display_name(row['exercise'])}{sure}"
    if row["hold_s"] is not None:
        line += f", held {row['hold_s']:.1f} s"
    elif row["reps"] is not None:
        line += f", {row['reps']} rep{'' if row['reps'] == 1 else 's'}"
    if row["form_score"] is not None:
        line += f", form {row['form_score']}/100"
    return line


def _write_batch_output(output: Path, outcomes: list[Outcome]) -> None:
    import json

    from .fileio import atomic_path

    try:
        with atomic_path(output) as tmp:
            if output.suffix.lower() == ".jsonl":
                lines = [json.dumps(o.analysis if o.error is None else {"input": str(o.item), "error": o.error})
                         for o in outcomes]  # fmt: skip
                tmp.write_text("".join(line + "\n" for line in lines))
            else:
                import csv

                from .batch import SUMMARY_COLUMNS

                with open(tmp, "w", newline="") as fh:
                    writer = csv.DictWriter(fh, SUMMARY_COLUMNS)
                    writer.writeheader()
                    writer.writerows(o.row if o.error is None else {"input": str(o.item), "error": o.error}
                                     for o in outcomes)  # fmt: skip
    except OSError as exc:
        raise WorkoutError(f"{output}: cannot write it ({exc.strerror or exc})") from None


# --- synth ----------------------------------------------------------------------------------------


def add_synth(sub: argparse._SubParsersAction) -> None:
    from .synth.generate import FAULTS  # numpy only: cheap enough for every command's start

    p = sub.add_parser(
        "synth",
        help="synthetic exercise landmark sequences with ground truth",
        description="Write synthetic landmark sequences (.npz, as extraction writes them) whose meta holds the "
        "ground truth: exercise, rep count and bounds, per-frame phase, injected form faults. "
        "-o FILE.npz writes one sequence; any other -o is a folder of <exercise>/<exercise>_<seed>.npz.",
    )
    p.add_argument("-o", "--output", required=True, metavar="OUT", help="FILE.npz for one sequence, or a folder")
    p.add_argument("--exercise", default="all", metavar="NAME", help="exercise name, or 'all' (default) for every one")
    p.add_argument("--reps", type=int, metavar="N", help="repetitions per sequence (default: random 4-12)")
    p.add_argument("--seed", type=int, default=0, help="first random seed (default 0); sequence k uses seed+k")
    p.add_argument("--count", type=int, default=1, metavar="N", help="sequences per exercise (default 1)")
    p.add_argument("--view", help="camera: front, side, 45, back, high or low (default: usual for the exercise)")
    p.add_argument("--fault", action="append", default=[], help=f"inject a form fault (repeatable): {', '.join(FAULTS)}; "
                   "which exercises each applies to: docs/synth.md")  # fmt: skip
    p.add_argument("--fps", type=float, default=30.0, help="frame rate (default 30)")
    p.add_argument("--noise", type=float, default=1.0, metavar="SCALE", help="detector noise scale, 0 = clean (default 1)")
    p.set_defaults(func=run_synth)


def run_synth(args: argparse.Namespace) -> int:
    from pathlib import Path

    from tqdm import tqdm

    from .exercises import canonical_name
    from .synth import SYNTH_EXERCISES, generate

    name = "all" if args.exercise.lower() == "all" else canonical_name(args.exercise)  # 'Push-Up' as analyze takes it
    if name != "all" and name not in SYNTH_EXERCISES:
        raise WorkoutError(f"synth: unknown exercise {args.exercise!r}; choose from all, {', '.join(SYNTH_EXERCISES)}")
    exercises = SYNTH_EXERCISES if name == "all" else (name,)
    limits = {"--count": (args.count >= 1, "1 or more"), "--reps": (args.reps is None or args.reps >= 0, "0 or more"),
              "--fps": (args.fps > 0, "more than 0")}  # fmt: skip
    for option, (ok, what) in limits.items():
        if not ok:
            raise WorkoutError(f"synth: {option} must be {what}, got {getattr(args, option[2:])}")
    out = Path(args.output)
    single = out.suffix.lower() == ".npz"
    if single and (len(exercises) != 1 or args.count != 1):
        raise WorkoutError(f"{out}: one .npz file holds one sequence; give a folder for --exercise all or --count > 1")
    jobs = [(ex, args.seed + k) for ex in exercises for k in range(args.count)]
    for exercise, seed in tqdm(jobs, desc="synth", unit="seq", disable=len(jobs) < 5):
        try:
            seq, truth = generate(exercise, seed=seed, reps=args.reps, view=args.view, faults=tuple(args.fault),
                                  fps=args.fps, noise=args.noise)  # fmt: skip
        except ValueError as exc:
            raise WorkoutError(f"synth: {exc}") from None
        path = out if single else out / exercise / f"{exercise}_{seed}.npz"
        seq.save(path)
        if single:
            print(f"{path}: {exercise}, {truth.reps} reps, {len(seq)} frames, view {truth.view}")
    if not single:
        print(f"{out}: {len(jobs)} sequences of {len(exercises)} exercise(s)")
    return 0


# --- render ---------------------------------------------------------------------------------------


def add_render(sub: argparse._SubParsersAction) -> None:
    from .render import VIDEO_TYPES  # numpy only: cheap enough for every command's start

    p = sub.add_parser(
        "render",
        help="draw a landmark sequence as a skeleton video",
        description="Draw any landmark file (.npz, .npy, .csv, .parquet) as a skeleton animation, with its "
        "ground truth (synthetic sequences) or your --text written on it, on a dark canvas or on --video's frames.",
    )
    p.add_argument("input", metavar="INPUT", help="landmark file (as workout analyze takes them)")
    p.add_argument("-o", "--output", required=True, metavar="VIDEO", help=f"video to write ({VIDEO_TYPES})")
    p.add_argument("--side-by-side", metavar="OTHER", help="a second landmark file drawn beside the first")
    p.add_argument("--video", metavar="CLIP", help="draw onto this video's frames (the clip the landmarks came from)")
    p.add_argument("--text", action="append", help="a line of text to write on every frame (repeatable)")
    p.add_argument("--video-id", metavar="ID", help="which sequence of a file holding several (an extract table, "
                   "an .npz of several arrays)")  # fmt: skip
    p.add_argument("--fps", type=float, help="frame rate for formats that do not record it (default 30)")
    p.add_argument("--size", type=int, default=640, metavar="PIXELS", help="long side of each panel in pixels, 64-4096 (default 640)")
    p.set_defaults(func=run_render)


def run_render(args: argparse.Namespace) -> int:
    from .render import canvas_size, render_frames, side_by_side, write_video
    from .sequence import load_sequence

    if not 64 <= args.size <= 4096:
        raise WorkoutError(f"--size must be between 64 and 4096 pixels, got {args.size}")
    seq = load_sequence(args.input, fps=args.fps, video_id=args.video_id)
    background = None
    if args.video:
        import cv2

        from .video import VideoReader

        reader = VideoReader(args.video, stride=int(seq.meta.get("stride", 1)))
        if reader.expected_frames and abs(reader.expected_frames - len(seq)) > max(2, 0.05 * len(seq)):
            print(f"workout: warning: {args.video} has {reader.expected_frames} frames for the {len(seq)} of "
                  f"{args.input}: is it the clip the landmarks came from?", file=sys.stderr)  # fmt: skip
        seq.meta.setdefault("width", reader.width)
        seq.meta.setdefault("height", reader.height)
        background = (cv2.cvtColor(f.rgb, cv2.COLOR_RGB2BGR) for f in reader)
    frames = render_frames(seq, text=args.text, size=canvas_size(seq, args.size), background=background)
    if args.side_by_side:
        other = load_sequence(args.side_by_side, fps=args.fps)
        frames = side_by_side(frames, render_frames(other, size=canvas_size(other, args.size)))
    count = write_video(frames, args.output, seq.fps)
    print(f"{args.output}: {count} frames at {seq.fps:g} fps")
    return 0


# --- live -----------------------------------------------------------------------------------------


def add_live(sub: argparse._SubParsersAction) -> None:
    from .render import VIDEO_TYPES  # numpy only: cheap enough for every command's start

    p = sub.add_parser(
        "live",
        help="real-time: exercise, reps and form tips as they happen, from a camera or a video",
        description="Watch a camera (or a video file treated as live) and report events as they happen: "
        "exercise recognised or changed, each rep with its form score and tips, time held, person lost or "
        "found; a summary at the end (also on Ctrl-C). Event schema: docs/live.md.",
    )
    p.add_argument("source", nargs="?", default="0", metavar="SOURCE",
                   help="camera index (default 0), a video file, or a stream URL (rtsp://, http://)")  # fmt: skip
    p.add_argument("--exercise", metavar="NAME", help="skip recognition: the exercise is NAME (e.g. squat)")
    p.add_argument("--model", metavar="DIR", help="model bundle directory (default: the embedded model)")
    p.add_argument("--json", action="store_true", help="one JSON object per event per line on stdout")
    p.add_argument("-o", "--output", metavar="VIDEO", help="write the frames with skeleton, exercise, count and last "
                   f"tip ({VIDEO_TYPES})")  # fmt: skip
    p.add_argument("--show", action="store_true", help="show the annotated frames in a window (needs a display)")
    p.add_argument("--realtime", action="store_true",
                   help="pace a video file at its own frame rate, dropping frames when processing falls behind")  # fmt: skip
    p.add_argument("--max-seconds", type=float, metavar="S", help="stop after S seconds of stream")
    p.add_argument("--voice", action="store_true", help="say the count and the main tip after each rep "
                   "(needs espeak-ng; the frame loop never waits for it)")  # fmt: skip
    p.add_argument("--voice-dir", metavar="DIR", help="with --voice: write each phrase as a WAV file in DIR "
                   "(named by stream time) instead of playing it")  # fmt: skip
    p.set_defaults(func=run_live)


def run_live(args: argparse.Namespace) -> int:
    import json

    from .analysis.report import check_exercise
    from .live import Event, LiveSession, live_frames
    from .video import VideoReader

    if args.max_seconds is not None and not args.max_seconds > 0:
        raise WorkoutError(f"--max-seconds must be positive, got {args.max_seconds}")
    if args.show and not _can_show_window():
        raise WorkoutError("--show: no window can be opened here (no display, or OpenCV without GUI support); "
                           "use --output instead")  # fmt: skip
    exercise = None if args.exercise is None else check_exercise(args.exercise)
    if exercise is None:
        import torch

        torch.set_num_threads(1)  # the model sees one window at a time: more threads only contend with the pose

    if args.voice_dir and not args.voice:
        raise WorkoutError("--voice-dir goes with --voice")
    voice = None
    if args.voice:
        from .voice import Voice

        voice = Voice(args.voice_dir, on_error=lambda why: print(f"workout: warning: voice: {why}", file=sys.stderr))

    def say(event: dict | str) -> None:
        print(json.dumps(event) if args.json else event, flush=True)

    def tell(event: Event) -> None:
        say(event.to_dict() if args.json else event.to_text())
        if voice is not None:
            voice.say_event(event)

    try:
        with VideoReader(args.source) as reader:
            session = LiveSession(args.model, exercise, reader.fps, reader.width, reader.height)
            with session:
                frames = _live_annotated(session, live_frames(reader, args.realtime, args.max_seconds), tell, args)
                if args.output:
                    from .render import write_video

                    write_video(frames, args.output, reader.fps)
                else:
                    for _ in frames:
                        pass
                summary = session.finish()
        dropped = reader.decoded - summary.frames  # --realtime on a file: the frames it fell behind on
        if args.realtime and not (reader.camera or reader.url) and dropped > 0.05 * reader.decoded:
            print(f"workout: warning: {dropped} of {reader.decoded} frames dropped to keep up with real time "
                  "(--output and large frames cost the most)", file=sys.stderr)  # fmt: skip
        for event in summary.events:
            tell(event)
    finally:
        if voice is not None:
            voice.close()  # the last phrase is said before the summary is printed
    say(summary.to_dict() if args.json else summary.to_text())
    return 0


def _can_show_window() -> bool:
    """Try a window in a child process: Qt aborts the whole process when the display cannot be reached."""
    import os
    import subprocess

    if sys.platform.startswith("linux") and not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        return False
    probe = "import cv2; cv2.namedWindow('probe'); cv2.waitKey(1); cv2.destroyAllWindows()"
    return subprocess.run([sys.executable, "-c", probe], capture_output=True, timeout=30).returncode == 0


def _live_annotated(session, frames, tell, args):  # type: ignore[no-untyped-def]
    """Push each frame through the session, tell its events, yield it annotated (when it will be seen)."""
    import cv2

    from .live import OVERLAY_COLUMNS
    from .render import draw_skeleton, put_text, text_columns

    draw = bool(args.output or args.show)
    try:
        for frame in frames:
            for event in session.push_frame(frame.rgb, frame.timestamp):
                tell(event)
            if not draw:
                yield None
                continue
            bgr = cv2.cvtColor(frame.rgb, cv2.COLOR_RGB2BGR)
            draw_skeleton(bgr, session.landmarks, thickness=max(2, bgr.shape[0] // 240))
            put_text(bgr, session.overlay(min(OVERLAY_COLUMNS, text_columns(bgr))))  # narrower than the frame allows
            if args.show:
                try:
                    cv2.imshow("workout live", bgr)
                    if cv2.waitKey(1) & 0xFF in (27, ord("q")):
                        return
                except cv2.error:
                    raise WorkoutError("--show: this OpenCV build cannot open a window; use --output instead") from None
            yield bgr
    except KeyboardInterrupt:  # Ctrl-C ends the stream; the summary still comes
        return


# --- serve ----------------------------------------------------------------------------------------


def add_serve(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "serve",
        help="a local web page: upload a video, read the analysis",
        description="Serve a web page where a video or landmark file is uploaded and analysed on this machine "
        "(exercise, segments, reps with form tips, the rep timeline). The same analysis is a JSON API: "
        "POST /api/analyze?name=clip.mp4 with the file as the body (docs/web.md).",
    )
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1: this machine "
                   "only; 0.0.0.0 opens it to the network)")  # fmt: skip
    p.add_argument("--port", type=int, default=8000, help="port (default 8000; 0: any free port)")
    p.add_argument("--model", metavar="DIR", help="model bundle directory (default: the embedded model)")
    p.add_argument("--max-upload-mb", type=float, default=500, metavar="MB", help="largest upload accepted, in MB (default 500)")
    p.set_defaults(func=run_serve)


def run_serve(args: argparse.Namespace) -> int:
    from .web import serve

    if not 0 <= args.port <= 65535:
        raise WorkoutError(f"--port must be between 0 and 65535, got {args.port}")
    if not args.max_upload_mb > 0:
        raise WorkoutError(f"--max-upload-mb must be positive, got {args.max_upload_mb}")
    serve(args.host, args.port, args.model, args.max_upload_mb)
    return 0


# --------------------------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="workout", description=DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for add in (add_analyze, add_extract, add_train, add_evaluate, add_synth, add_render, add_live, add_serve):
        add(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except WorkoutError as exc:
        print(f"workout: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("workout: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # the reader went away (`workout analyze x | head`): nothing left to say
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no second error at exit's flush
        return 141


if __name__ == "__main__":
    sys.exit(main())
