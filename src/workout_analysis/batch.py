"""Analysis of one input file, and of many at once (``workout analyze FOLDER``, or several inputs).

:func:`analyze_file` reads a video (pose extraction) or a landmark file and runs
:func:`analysis.report.analyze` on it. :func:`analyze_many` does that for a whole collection, spread
over worker processes (pose extraction keeps one core busy per video): a bad file is reported in one
line and the others go on; results come back as each file finishes.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from .analysis.classify import DecoderConfig
from .errors import WorkoutError
from .sequence import LANDMARK_INDEX, PoseSequence
from .video import VIDEO_SUFFIXES

if TYPE_CHECKING:  # for annotations only: the analysis stack is imported where it runs
    from .analysis.report import Analysis
    from .bundle import ModelBundle

LANDMARK_SUFFIXES = (".npz", ".npy", ".csv", ".parquet")
INPUT_SUFFIXES = VIDEO_SUFFIXES + LANDMARK_SUFFIXES


@dataclass(frozen=True)
class AnalyzeOptions:
    """What ``workout analyze`` is told besides the input (see its ``--help``)."""

    model: str | None = None  # bundle directory; None: the embedded default
    exercise: str | None = None  # skip recognition
    config: DecoderConfig = field(default_factory=DecoderConfig)
    stride: int = 1
    fps: float | None = None  # for landmark files that do not record it
    video_id: str | None = None  # for a Parquet table of several videos
    pose_cache: str | None = None  # folder of extracted poses, shared with `workout extract`'s cache

    def __post_init__(self) -> None:
        if self.stride < 1:
            raise WorkoutError(f"--stride must be 1 or more, got {self.stride}")
        if self.fps is not None and not self.fps > 0:
            raise WorkoutError(f"--fps must be positive, got {self.fps}")


def read_input(path: Path, options: AnalyzeOptions, progress: Callable[[int], None] | None = None) -> PoseSequence:
    """The pose sequence of a landmark file, or of a video (extracted with MediaPipe)."""
    from .analysis.report import every_nth

    if path.suffix.lower() in LANDMARK_SUFFIXES:
        from .sequence import load_sequence

        return every_nth(load_sequence(path, fps=options.fps, video_id=options.video_id), options.stride)
    if options.video_id is not None:  # else it would be ignored, and the report labelled with it
        raise WorkoutError(f"{path}: a video holds one sequence; a video id picks one of a landmark file that "
                           "holds several")  # fmt: skip
    from .pose import extract_sequence

    if options.pose_cache is None:
        return extract_sequence(path, stride=options.stride, progress=progress)
    if not path.is_file():
        raise WorkoutError(f"{path}: no such file")
    entry = pose_cache_entry(path, options)
    if entry.is_file():
        from .sequence import load_sequence

        seq = load_sequence(entry)
        seq.meta["path"] = str(path)
        return seq
    try:
        entry.parent.mkdir(parents=True, exist_ok=True)  # before the slow extraction: a bad folder fails at once
    except OSError as exc:
        raise WorkoutError(f"{options.pose_cache}: --pose-cache cannot make a folder there "
                           f"({exc.strerror or exc})") from None  # fmt: skip
    seq = extract_sequence(path, stride=options.stride, progress=progress)
    try:
        seq.save(entry)  # atomically: a killed run leaves no half entry
    except OSError as exc:
        raise WorkoutError(f"{entry}: cannot write the pose cache entry ({exc.strerror or exc})") from None
    return seq


def pose_cache_entry(path: Path, options: AnalyzeOptions) -> Path:
    """Where a video's poses are cached: keyed by its content, the stride and the pose model, exactly as
    `workout extract` keys its cache, so either one's cache serves the other."""
    from .dataset import ExtractSettings, cache_key, file_hash
    from .pose import mediapipe_version, model_id

    key = cache_key(file_hash(path), ExtractSettings(stride=options.stride), model_id(), mediapipe_version())
    return Path(options.pose_cache) / f"{key}.npz"


def analyze_file(path: str | os.PathLike[str], options: AnalyzeOptions = AnalyzeOptions(),
                 bundle: ModelBundle | None = None, progress: Callable[[int], None] | None = None) -> Analysis:  # fmt: skip
    """``workout analyze`` of one file: an :class:`analysis.report.Analysis`.

    ``bundle`` is a loaded ModelBundle to reuse (default: load ``options.model``). Raises WorkoutError
    (or NoPersonError) naming the file when it cannot be analysed.
    """
    return analyze_input(path, options, bundle, progress)[1]


def analyze_input(path: str | os.PathLike[str], options: AnalyzeOptions = AnalyzeOptions(),
                  bundle: ModelBundle | None = None, progress: Callable[[int], None] | None = None,
                  ) -> tuple[PoseSequence, Analysis]:  # fmt: skip
    """:func:`analyze_file`, with the pose sequence it analysed (to draw it, say)."""
    path = Path(path)
    exercise, model = _exercise_and_model(options, bundle, load_now=path.suffix.lower() not in LANDMARK_SUFFIXES)
    seq = read_input(path, options, progress)
    return seq, _analyze_sequence(seq, exercise, model, options, str(Item(path, options.video_id)))


def analyze_people(path: str | os.PathLike[str], max_people: int, options: AnalyzeOptions = AnalyzeOptions(),
                   bundle: ModelBundle | None = None, progress: Callable[[int], None] | None = None,
                   ) -> list[Analysis]:  # fmt: skip
    """``workout analyze --people N``: each person of a video analysed on their own, most-seen first.

    People in view for less than a second are left out. Raises NoPersonError when nobody is seen.
    """
    from .errors import NoPersonError
    from .pose import extract_people

    path = Path(path)
    if path.suffix.lower() in LANDMARK_SUFFIXES:
        raise WorkoutError(f"{path}: --people needs a video; a landmark file holds one person's landmarks")
    exercise, model = _exercise_and_model(options, bundle, load_now=True)
    people = extract_people(path, max_people, options.stride, progress)
    if not people:
        # also when poses were found but too briefly in one place to make a track (a lying body MediaPipe
        # keeps losing): following the one most prominent person, without --people, may still work
        raise NoPersonError(f"{path}: nobody followed for a second or more (try without --people)")
    return [_analyze_sequence(seq, exercise, model, options, f"{path} (person {seq.meta['person']}, {_where(seq)})")
            for seq in people]  # fmt: skip


def _where(seq: PoseSequence) -> str:
    """Where a person mostly is in the frame (their hips' median across it), so that the user can tell who
    "person 1" is."""
    hips = np.nanmedian(seq.landmarks[:, [LANDMARK_INDEX["left_hip"], LANDMARK_INDEX["right_hip"]], 0])
    return "on the left" if hips < 0.4 else "on the right" if hips > 0.6 else "in the middle"


def _exercise_and_model(options: AnalyzeOptions, bundle: ModelBundle | None,
                        load_now: bool) -> tuple[str | None, ModelBundle | str | None]:  # fmt: skip
    """The exercise the user named (validated) and the model to recognise with: ``bundle``, else
    ``options.model``, loaded now when ``load_now`` (before a slow pose extraction, so that a bad bundle
    fails at once) and otherwise by ``analyze``."""
    from .analysis.report import check_exercise

    exercise = None if options.exercise is None else check_exercise(options.exercise)
    if exercise is None and bundle is None and load_now:
        from .bundle import load_bundle

        bundle = load_bundle(options.model)
    return exercise, bundle if bundle is not None else options.model


def _analyze_sequence(seq: PoseSequence, exercise: str | None, model: ModelBundle | str | None,
                      options: AnalyzeOptions, name: str) -> Analysis:  # fmt: skip
    """:func:`analysis.report.analyze`, with the video's truncation (if any) among the warnings."""
    from .analysis.report import analyze

    result = analyze(seq, model, exercise, options.config, name=name)
    if truncated := seq.meta.get("truncated"):
        result.warnings.append(str(truncated))
    return result


@dataclass(frozen=True)
class Item:
    """One thing to analyse: a file, or one sequence of a file that holds several."""

    path: Path
    video_id: str | None = None

    def __str__(self) -> str:
        return str(self.path) if self.video_id is None else f"{self.path} (video {self.video_id})"


def find_inputs(paths: Iterable[str | os.PathLike[str]]) -> list[Item]:
    """:func:`find_files`, with every file that holds several sequences (an extract table, an ``.npz`` of
    several arrays) opened up into one item per sequence."""
    from .sequence import sequence_ids

    return [Item(path, vid) for path in find_files(paths) for vid in (sequence_ids(path) or [None])]


def find_files(paths: Iterable[str | os.PathLike[str]]) -> list[Path]:
    """The files to analyse: each path itself, or every video and landmark file under a folder."""
    found: list[Path] = []
    for given in map(Path, paths):
        if given.is_dir():
            found += sorted(p for p in given.rglob("*") if p.suffix.lower() in INPUT_SUFFIXES and p.is_file()
                            and not p.name.startswith("."))  # fmt: skip
        elif given.exists():
            found.append(given)
        else:
            raise WorkoutError(f"{given}: no such file or folder")
    if not found:
        kinds = " ".join(INPUT_SUFFIXES)
        raise WorkoutError(f"{', '.join(map(str, paths))}: no video or landmark file found ({kinds})")
    unique: dict[str, Path] = {}
    for path in found:  # named and found in a folder, or named twice as 'clip.mp4' and '/here/clip.mp4': once
        unique.setdefault(os.path.abspath(path), path)
    return list(unique.values())


SUMMARY_COLUMNS = ("input", "exercise", "confidence", "segments", "reps", "hold_s", "form_score", "duration_s",
                   "frames", "frames_with_pose", "error")  # fmt: skip


def summary_row(result: Analysis) -> dict[str, Any]:
    """One flat row of an analysis, for a table of many videos (``--output summary.csv``)."""
    reps, form = result.reps, result.form
    return {
        "input": result.input,
        "exercise": result.recognition.exercise,
        "confidence": None if result.recognition.confidence is None else round(result.recognition.confidence, 3),
        "segments": len(result.recognition.segments),
        "reps": None if reps is None or reps.hold_s is not None else reps.count,
        "hold_s": None if reps is None or reps.hold_s is None else round(reps.hold_s, 1),
        "form_score": None if form is None else form.score,
        "duration_s": round(result.duration_s, 2),
        "frames": result.frames,
        "frames_with_pose": result.frames_with_pose,
        "error": None,
    }


@dataclass
class Outcome:
    """One item's result in a batch: its analysis as a JSON dict and a summary row, or why it failed."""

    item: Item
    analysis: dict[str, Any] | None = None
    row: dict[str, Any] | None = None
    error: str | None = None


_worker_bundle: ModelBundle | None = None


def _load_bundle_once(model: str | None, exercise: str | None) -> None:
    global _worker_bundle
    if exercise is None:
        from .bundle import load_bundle

        _worker_bundle = load_bundle(model)


def _init_worker(model: str | None, exercise: str | None) -> None:
    # Ctrl-C reaches the whole process group: the parent reports it; a worker just stops.
    signal.signal(signal.SIGINT, lambda *_: os._exit(130))
    _load_bundle_once(model, exercise)


def _analyze_one(item: Item, options: AnalyzeOptions) -> Outcome:
    try:
        result = analyze_file(item.path, replace(options, video_id=item.video_id), _worker_bundle)
    except WorkoutError as exc:  # named by its file: say which of the file's sequences
        message, file_named = str(exc), f"{item.path}: "
        return Outcome(item, error=f"{item}: {message.removeprefix(file_named)}" if message.startswith(file_named)
                       else message)  # fmt: skip
    except Exception as exc:  # a file the readers did not foresee (or a bug): report it, go on with the others
        why = (str(exc).splitlines() or [""])[0]
        return Outcome(item, error=f"{item}: cannot be analysed ({type(exc).__name__}: {why})")
    return Outcome(item, result.to_dict(), summary_row(result))


def analyze_many(items: Iterable[Item | str | os.PathLike[str]], options: AnalyzeOptions = AnalyzeOptions(),
                 workers: int = 1) -> Iterator[Outcome]:  # fmt: skip
    """Analyse every item (see :func:`find_inputs`; a plain path is one file) with ``workers`` processes;
    yields an Outcome as each finishes.

    A model that cannot be loaded is the caller's error (raised at once); an item that cannot be
    analysed is an Outcome with ``error`` set, and the others go on. With ``workers`` > 1 the workers are
    new processes that import the calling script, so a script must run this under
    ``if __name__ == "__main__":``.
    """
    todo = [i if isinstance(i, Item) else Item(Path(i)) for i in items]
    _load_bundle_once(options.model, options.exercise)  # a bad model fails once, here, not in every worker
    if workers <= 1:
        for item in todo:
            yield _analyze_one(item, options)
        return
    # spawn, not fork: MediaPipe's native state is not fork-safe.
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(workers, mp_context=context, initializer=_init_worker,
                             initargs=(options.model, options.exercise)) as pool:  # fmt: skip
        futures: dict[Future, Item] = {pool.submit(_analyze_one, item, options): item for item in todo}
        pending = set(futures)
        try:
            while pending:
                done, pending = wait(pending, return_when=FIRST_COMPLETED)
                for future in done:
                    try:
                        yield future.result()
                    except BrokenProcessPool:
                        yield Outcome(futures[future], error=f"{futures[future]}: the worker died (crashed or killed; from a "
                                      'script, is the batch under if __name__ == "__main__"?)')  # fmt: skip
        finally:  # a caller that stops early (break, Ctrl-C) waits for the items under way, not for all the rest
            pool.shutdown(cancel_futures=True)
