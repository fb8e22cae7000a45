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
    p = sub.add_parser("extract", help="pose landmarks of a folder of videos -> one Parquet table")
    p.set_defaults(func=run_extract)


def run_extract(args: argparse.Namespace) -> int:
    raise WorkoutError("extract: not implemented yet")


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
