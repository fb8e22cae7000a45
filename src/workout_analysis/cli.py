"""The `workout` command. Each sub-command has an ``add_<name>`` (its arguments) and a ``run_<name>``.

Heavy libraries (MediaPipe, torch) are imported inside the run functions so that ``--help`` is instant.
A :class:`WorkoutError` (the user's input is at fault) becomes one line on stderr and a non-zero exit.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from . import __version__
from .errors import WorkoutError

DESCRIPTION = """\
Recognise the exercise in a workout video, count the repetitions and score the form.

Typical use:
  workout analyze clip.mp4                 exercise, confidence, reps and form, as text
  workout analyze clip.mp4 --json          the same as JSON (schema in docs/analyze.md)
  workout extract videos/ -o landmarks.parquet   pose landmarks of a folder of class sub-folders
  workout train landmarks.parquet -o my_model    train a model bundle on such a table
  workout synth --exercise squat -o squat.npz    synthetic landmark sequence with ground truth
"""


# --- extract --------------------------------------------------------------------------------------


def add_extract(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "extract",
        help="pose landmarks of a folder of videos -> one Parquet table",
        description="Run MediaPipe Pose over every video of DATA_DIR/<exercise>/ and write one landmark table. "
        "Resumable: finished videos are cached (by content and settings), so an interrupted run picks up "
        "where it stopped. Broken videos are reported and skipped. Details: docs/extract.md.",
    )
    p.add_argument("data_dir", metavar="DATA_DIR", help="folder of exercise sub-folders holding videos")
    p.add_argument("-o", "--output", required=True, metavar="OUT.parquet", help="the landmark table to write")
    p.add_argument("--csv", nargs="?", const="", metavar="PATH", help="also write the original design's CSV "
                   "(99 features + label; default: pose_landmarks_dataset.csv beside OUT)")  # fmt: skip
    p.add_argument("--workers", type=int, help="worker processes (default: one per core)")
    p.add_argument("--stride", type=int, default=1, help="use every N-th frame (default 1: all)")
    p.add_argument("--cache", metavar="DIR", help="per-video cache folder (default: OUT.parquet.cache beside OUT)")
    p.add_argument("--sources", metavar="TSV", help="file -> source table (columns file, source_repo) when "
                   "DATA_DIR has no INDEX.tsv; the source groups videos of one person in splits")  # fmt: skip
    p.add_argument("--num-poses", type=int, default=1, help="people to look for; the most prominent is kept")
    p.add_argument("--min-confidence", type=float, default=0.5, help="MediaPipe's detection, presence and "
                   "tracking thresholds (default 0.5)")  # fmt: skip
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
    csv = None if args.csv is None else Path(args.csv or output.with_name(CSV_NAME))
    c = args.min_confidence
    settings = ExtractSettings(args.stride, args.num_poses, c, c, c)
    summary = extract_folder(args.data_dir, output, settings=settings, workers=args.workers, cache_dir=args.cache,
                             sources=args.sources, csv=csv, progress=not args.quiet)  # fmt: skip
    print(summary)
    return 0


# --- train ----------------------------------------------------------------------------------------


def add_train(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("train", help="train a model bundle on a landmark table")
    p.set_defaults(func=run_train)


def run_train(args: argparse.Namespace) -> int:
    raise WorkoutError("train: not implemented yet")


# --- analyze --------------------------------------------------------------------------------------


def add_analyze(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("analyze", help="exercise, reps and form of a video or landmark file")
    p.set_defaults(func=run_analyze)


def run_analyze(args: argparse.Namespace) -> int:
    raise WorkoutError("analyze: not implemented yet")


# --- synth ----------------------------------------------------------------------------------------


def add_synth(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("synth", help="synthetic exercise landmark sequences with ground truth")
    p.set_defaults(func=run_synth)


def run_synth(args: argparse.Namespace) -> int:
    raise WorkoutError("synth: not implemented yet")


# --- render ---------------------------------------------------------------------------------------


def add_render(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("render", help="draw a landmark sequence as a skeleton video")
    p.set_defaults(func=run_render)


def run_render(args: argparse.Namespace) -> int:
    raise WorkoutError("render: not implemented yet")


# --------------------------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="workout", description=DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for add in (add_analyze, add_extract, add_train, add_synth, add_render):
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


if __name__ == "__main__":
    sys.exit(main())
