"""A folder of exercise videos -> one landmark table (Parquet), extracted in parallel and resumably.

Layout read: ``DATA_DIR/<exercise>/<video files>``. Each video is extracted by a worker process (one
Pose Landmarker each) into a cache entry named by a hash of the file's content and the extraction
settings, written atomically; the table is assembled from the entries at the end. So a run that is
interrupted, even by kill -9, resumes where it stopped, and a re-run does no work twice.
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import os
import queue
import signal
import sys
import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from .errors import WorkoutError
from .fileio import atomic_path, make_folder
from .sequence import IMAGE_COLUMNS, LANDMARK_NAMES, ORIGINAL_CSV_COLUMNS, WORLD_COLUMNS, PoseSequence, load_sequence
from .video import VIDEO_SUFFIXES, header_frame_count

if TYPE_CHECKING:
    from tqdm import tqdm

# Bump when what a cache entry holds changes, so old entries are not reused. 2: videos with a rotation tag
# (phones) are read upright, and frames keep their own times in a variable-frame-rate video. 3: frames of
# non-square pixels are scaled to the shape a player shows.
CACHE_FORMAT = 3
CSV_NAME = "pose_landmarks_dataset.csv"
SOURCE_COLUMNS = ("source_repo", "source")  # accepted names of the source column in a sources TSV


@dataclass(frozen=True)
class ExtractSettings:
    """Everything that changes the landmarks of a video; all of it is part of the cache key."""

    stride: int = 1
    num_poses: int = 1
    min_detection_confidence: float = 0.5
    min_presence_confidence: float = 0.5
    min_tracking_confidence: float = 0.5

    def estimator_options(self) -> dict[str, float]:
        return {k: v for k, v in asdict(self).items() if k != "stride"}


@dataclass(frozen=True)
class VideoItem:
    """One video of the folder: its file, class, id (``<folder>/<file stem>``, the folder as named: 'Squats/a'
    of class squat) and source (person/origin)."""

    path: Path
    exercise: str
    video_id: str
    source: str


@dataclass
class ExtractSummary:
    """What a run wrote: counts, the videos that failed (one line each) and warnings (truncated, no person)."""

    output: Path
    videos: int = 0
    frames: int = 0
    frames_with_pose: int = 0
    extracted: int = 0  # videos extracted by this run (the rest came from the cache)
    failed: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    csv: Path | None = None
    notes: list[str] = field(default_factory=list)  # how folders became classes and videos got sources

    def __str__(self) -> str:
        lines = [
            f"wrote {self.output}: {_count(self.videos, 'video')}, {_count(self.frames, 'frame')}, "
            f"{self.frames_with_pose} with a pose ({self.extracted} extracted now, {self.videos - self.extracted} "
            "from the cache)",
            *self.notes,
        ]
        if self.csv is not None:
            lines.append(f"wrote {self.csv}: {self.frames_with_pose} frames with a pose")
        lines += [f"warning: {w}" for w in self.warnings]
        if self.failed:
            lines.append(f"failed: {len(self.failed)} video{'s' if len(self.failed) > 1 else ''}, skipped:")
            lines += [f"  {f}" for f in self.failed]
        return "\n".join(lines)


# --- the folder -------------------------------------------------------------------------------------


def find_videos(data_dir: str | os.PathLike[str], sources: str | os.PathLike[str] | None = None,
                notes: list[str] | None = None) -> list[VideoItem]:  # fmt: skip
    """The videos of ``DATA_DIR/<exercise>/``, sorted, with their class and source; or ``data_dir`` itself when
    it is one video (its exercise left empty: nothing names it).

    A folder's class is this project's name for it when it names a known exercise ('Squats' -> squat), else
    the folder name in snake_case ('Jumping Jack' -> jumping_jack, were it unknown); folders naming one class
    are merged. The source comes from ``DATA_DIR/INDEX.tsv`` when it has ``file`` and ``source_repo`` columns
    (``file`` relative to DATA_DIR or a bare file name), or from the ``sources`` TSV of that form when given,
    else it is the video id itself, so that grouping by source falls back to grouping by video. ``notes`` (when given)
    receives one line per thing done that the user did not spell out: names mapped, folders merged, files
    skipped, how sources were found.
    """
    from .exercises import class_name

    notes = notes if notes is not None else []
    root = Path(data_dir)
    if root.is_file() and root.suffix.lower() in VIDEO_SUFFIXES:  # one video's landmarks: no exercise to label them
        return [VideoItem(root, "", root.stem, root.stem)]
    if not root.is_dir():
        raise WorkoutError(f"{root}: not a folder (expected DATA_DIR/<exercise>/<video files>, or one video file)")
    table = Path(sources) if sources is not None else None
    source_of = read_sources(table) if table is not None else {}
    if not source_of and (root / "INDEX.tsv").is_file():
        table, source_of = root / "INDEX.tsv", read_sources(root / "INDEX.tsv", strict=False)
    items: list[VideoItem] = []
    skipped: list[str] = []
    folders_of: dict[str, list[str]] = {}  # class -> the folders holding it
    matched = 0
    for folder in sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")):
        exercise = class_name(folder.name)
        for path in sorted(p for p in folder.iterdir() if not p.name.startswith(".")):
            if not (path.is_file() and path.suffix.lower() in VIDEO_SUFFIXES):
                skipped.append(f"{folder.name}/{path.name}")
                continue
            video_id = f"{folder.name}/{path.stem}"
            source = source_of.get(f"{folder.name}/{path.name}") or source_of.get(path.name)
            matched += source is not None
            items.append(VideoItem(path, exercise, video_id, source or video_id))
            if folder.name not in folders_of.setdefault(exercise, []):
                folders_of[exercise].append(folder.name)
    loose = sorted(p.name for p in root.iterdir() if p.is_file() and p.suffix.lower() in VIDEO_SUFFIXES)
    if not items:
        where = f"; the {_count(len(loose), 'video')} directly in it must be in exercise sub-folders" if loose else ""
        raise WorkoutError(f"{root}: no videos found (expected DATA_DIR/<exercise>/<files ending "
                           f"{', '.join(VIDEO_SUFFIXES)}>){where}")  # fmt: skip
    for exercise, folders in folders_of.items():
        if len(folders) > 1:
            notes.append(f"folders {' and '.join(repr(f) for f in folders)} are one class: {exercise}")
        elif folders[0] != exercise:
            notes.append(f"folder {folders[0]!r} -> {exercise}")
    if loose:  # no folder names their exercise
        notes.append(f"skipped {_count(len(loose), 'video')} directly in {root}, not in an exercise folder: "
                     f"{', '.join(loose)}")  # fmt: skip
    if skipped:
        notes.append(f"skipped {_count(len(skipped), 'file')} that {'is' if len(skipped) == 1 else 'are'} not a "
                     f"video: {', '.join(skipped)}")  # fmt: skip
    if source_of:
        notes.append(f"sources: {_count(matched, 'video')} matched in {table}"
                     + (f", {len(items) - matched} not: each its own source" if matched < len(items) else ""))
    else:
        notes.append("sources: none given (no --sources, no INDEX.tsv with file and source_repo): each video is "
                     "its own source, so a split keeps videos apart but not people")  # fmt: skip
    return items


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def read_sources(path: str | os.PathLike[str], strict: bool = True) -> dict[str, str]:
    """``file -> source`` from a TSV with a ``file`` column and a ``source_repo`` (or ``source``) column.

    With ``strict`` False a TSV without those columns gives an empty mapping instead of an error.
    """
    path = Path(path)
    try:
        table = pd.read_csv(path, sep="\t", dtype=str, keep_default_na=False)
    except (OSError, ValueError) as exc:
        raise WorkoutError(f"{path}: cannot read the sources table: {exc}") from None
    column = next((c for c in SOURCE_COLUMNS if c in table.columns), None)
    if "file" not in table.columns or column is None:
        if not strict:
            return {}
        raise WorkoutError(f"{path}: a sources table needs a 'file' column and a 'source_repo' or 'source' column")
    return {f: s for f, s in zip(table["file"], table[column]) if f and s}


# --- the cache --------------------------------------------------------------------------------------


def file_hash(path: Path) -> str:
    """SHA-256 of the file's content."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def cache_key(content_hash: str, settings: ExtractSettings, model: str, mediapipe: str) -> str:
    """Name of a video's cache entry: changes with the file's content, the settings or the model."""
    facts = {"content": content_hash, "settings": asdict(settings), "model": model, "mediapipe": mediapipe,
             "format": CACHE_FORMAT}  # fmt: skip
    return hashlib.sha256(json.dumps(facts, sort_keys=True).encode()).hexdigest()[:32]


def default_cache_dir(output: Path) -> Path:
    """``OUT.cache/`` beside the output file."""
    return output.with_name(output.name + ".cache")


def _remove_stale_temporaries(cache_dir: Path, older_than_s: float = 60.0) -> None:
    """Delete temporary files left by a killed run (a live one exists only while an entry is written)."""
    now = time.time()
    for tmp in cache_dir.glob(".*.tmp*"):
        try:
            if now - tmp.stat().st_mtime > older_than_s:
                tmp.unlink()
        except FileNotFoundError:
            pass


# --- extraction of one video (runs in a worker) ----------------------------------------------------

_progress_queue: multiprocessing.Queue | None = None


def _init_worker(progress: multiprocessing.Queue) -> None:
    global _progress_queue
    _progress_queue = progress
    # Ctrl-C reaches the whole process group: the parent reports it; a worker just stops, silently.
    # What it was writing is a temporary file, never a cache entry.
    signal.signal(signal.SIGINT, lambda *_: os._exit(130))


def _report_to_queue(frames: int) -> None:
    if _progress_queue is not None:
        _progress_queue.put(frames)


def extract_to_cache(
    path: Path, entry: Path, settings: ExtractSettings, progress: Callable[[int], None] | None = None
) -> str | None:
    """Extract one video into the cache entry ``entry``; returns None, or one line saying why it failed."""
    from .pose import extract_sequence

    try:
        options = settings.estimator_options()
        seq = extract_sequence(path, settings.stride, progress=progress or _report_to_queue, **options)
        seq.save(entry)
    except WorkoutError as exc:
        return str(exc)
    except Exception as exc:  # a codec or MediaPipe failure on one file must not stop the batch
        return f"{path}: {type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else 'failed'}"
    return None


# --- the table --------------------------------------------------------------------------------------


def sequence_rows(seq: PoseSequence, item: VideoItem, stride: int) -> pd.DataFrame:
    """A video's rows of the landmark table: exactly the columns of ``TABLE_META_COLUMNS`` + image + world."""
    n = len(seq)
    world = seq.world if seq.world is not None else np.full((n, 33, 3), np.nan, np.float32)
    columns: dict[str, object] = {
        "video_id": [item.video_id] * n,
        "exercise": [item.exercise] * n,
        "source": [item.source] * n,
        "path": [str(item.path)] * n,
        "frame": np.arange(n, dtype=np.int64) * stride,
        "timestamp": seq.timestamps.astype(np.float64),
        "fps": np.full(n, seq.fps * stride, np.float64),  # the video's rate: timestamp = frame / fps
        "has_pose": seq.has_pose,
    }
    columns.update(zip(IMAGE_COLUMNS, seq.landmarks.reshape(n, -1).T))
    columns.update(zip(WORLD_COLUMNS, world.reshape(n, -1).T))
    return pd.DataFrame(columns)


def original_csv_table(table: pd.DataFrame) -> pd.DataFrame:
    """The original design's ``pose_landmarks_dataset.csv``: x, y, z of 33 landmarks, a label; pose frames only."""
    rows = table[table["has_pose"]]
    xyz = [f"{name}_{c}" for name in LANDMARK_NAMES for c in ("x", "y", "z")]
    out = pd.DataFrame(rows[xyz].to_numpy(), columns=list(ORIGINAL_CSV_COLUMNS))
    out["label"] = rows["exercise"].to_numpy()
    return out


# --- the whole folder -------------------------------------------------------------------------------


def default_workers() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def extract_folder(
    data_dir: str | os.PathLike[str],
    output: str | os.PathLike[str],
    *,
    settings: ExtractSettings | None = None,
    workers: int | None = None,
    cache_dir: str | os.PathLike[str] | None = None,
    sources: str | os.PathLike[str] | None = None,
    csv: str | os.PathLike[str] | None = None,
    progress: bool = True,
    log: Callable[[str], None] | None = None,
) -> ExtractSummary:
    """Extract every video of ``DATA_DIR/<exercise>/`` into the Parquet table ``output``.

    Videos already in the cache (same content, same settings, same model) are not extracted again.
    A video that cannot be read is reported through ``log`` (default: stderr) and skipped. Raises
    :class:`WorkoutError` when no video at all could be extracted. ``csv`` also writes the original
    design's CSV there.
    """
    from tqdm import tqdm

    from .pose import mediapipe_version, model_id

    settings = settings or ExtractSettings()
    if settings.stride < 1:
        raise WorkoutError(f"stride must be 1 or more, got {settings.stride}")
    log = log or (lambda line: tqdm.write(line, file=sys.stderr))
    output = Path(output)
    if output.is_dir():
        raise WorkoutError(f"{output}: is a folder; give the table's file name, e.g. {output / 'landmarks.parquet'}")
    summary = ExtractSummary(output)
    items = find_videos(data_dir, sources, summary.notes)
    cache = Path(cache_dir) if cache_dir is not None else default_cache_dir(output)
    make_folder(cache)
    _remove_stale_temporaries(cache)

    model, mediapipe = model_id(), mediapipe_version()
    entries = {item: cache / f"{cache_key(file_hash(item.path), settings, model, mediapipe)}.npz" for item in items}
    # One job per cache entry: a clip copied into two folders is extracted once.
    jobs: dict[Path, VideoItem] = {}
    for item in items:
        if not entries[item].is_file():
            jobs.setdefault(entries[item], item)
    todo = list(jobs.values())
    # Longest first, so that the last videos to finish are short ones and no worker idles long.
    expected = {item: header_frame_count(item.path, settings.stride) for item in todo}
    todo.sort(key=lambda item: -expected[item])
    failed: dict[Path, str] = {}  # cache entry -> why it could not be made

    with tqdm(total=sum(expected.values()), unit="frame", desc="extract", disable=not progress, smoothing=0.05) as bar:
        def finish(item: VideoItem, error: str | None) -> None:
            if error is not None:
                failed[entries[item]] = error
                log(f"skipped: {error}")
            else:
                summary.extracted += 1

        n_workers = max(1, min(workers or default_workers(), len(todo)))
        if todo and n_workers == 1:
            for item in todo:
                finish(item, extract_to_cache(item.path, entries[item], settings, bar.update))
        elif todo:
            _run_pool(todo, entries, settings, n_workers, bar, finish)
        bar.total = bar.n  # failed and short videos never deliver all the frames their headers promise
        bar.refresh()

    tables, video_facts = [], {}
    for item in items:
        if entries[item] in failed:
            summary.failed.append(failed[entries[item]])
            continue
        try:
            seq = load_sequence(entries[item])
        except WorkoutError as exc:  # only a disk fault can do this to an atomically written entry
            entries[item].unlink(missing_ok=True)
            summary.failed.append(f"{item.path}: its cache entry was unreadable and is removed, run again ({exc})")
            continue
        if "truncated" in seq.meta:
            summary.warnings.append(str(seq.meta["truncated"]))
        if not seq.has_pose.any():
            summary.warnings.append(f"{item.path}: no person found in any frame")
        tables.append(sequence_rows(seq, item, settings.stride))
        video_facts[item.video_id] = {k: seq.meta[k] for k in ("width", "height", "fps_guessed") if k in seq.meta}
    if not tables:
        raise WorkoutError(f"{data_dir}: no video could be extracted ({len(summary.failed)} failed)")
    table = pd.concat(tables, ignore_index=True)
    # Per-video facts that are not columns, kept in the Parquet metadata (``sequences_from_table`` reads them):
    # the frame size, without which features cannot undo the aspect of image coordinates.
    table.attrs["videos"] = video_facts
    target = output
    try:
        with atomic_path(output) as tmp:
            table.to_parquet(tmp, index=False)
        if csv is not None:
            summary.csv = target = Path(csv)
            with atomic_path(summary.csv) as tmp:
                original_csv_table(table).to_csv(tmp, index=False)
    except OSError as exc:  # the landmarks are safe in the cache: a re-run only writes the table
        problem = exc.strerror or str(exc)
        raise WorkoutError(f"{target}: cannot write it ({problem}); the extracted videos are cached") from None
    except WorkoutError as exc:  # no folder or file can be made there (fileio)
        raise WorkoutError(f"{exc}; the extracted videos are cached") from None
    summary.videos = len(tables)
    summary.frames = len(table)
    summary.frames_with_pose = int(table["has_pose"].sum())
    return summary


def _run_pool(
    todo: list[VideoItem],
    entries: dict[VideoItem, Path],
    settings: ExtractSettings,
    n_workers: int,
    bar: tqdm,
    finish: Callable[[VideoItem, str | None], None],
) -> None:
    """Extract ``todo`` with ``n_workers`` processes, feeding their frame counts into the progress bar."""
    # spawn, not fork: the parent has loaded MediaPipe, whose native state is not fork-safe.
    context = multiprocessing.get_context("spawn")
    progress = context.Queue()

    def drain() -> None:
        try:
            while True:
                bar.update(progress.get_nowait())
        except queue.Empty:
            pass

    with ProcessPoolExecutor(n_workers, mp_context=context, initializer=_init_worker, initargs=(progress,)) as pool:
        futures: dict[Future, VideoItem] = {
            pool.submit(extract_to_cache, item.path, entries[item], settings): item for item in todo
        }
        pending = set(futures)
        while pending:
            done, pending = wait(pending, timeout=0.5, return_when=FIRST_COMPLETED)
            drain()
            for future in done:
                item = futures[future]
                try:
                    error = future.result()
                except BrokenProcessPool:
                    error = f"{item.path}: the extraction worker died (crash or killed); run again to retry"
                finish(item, error)
    drain()


# --- Splits (owned by the models engineer): by video and by source, never by frame ------------------


def split_groups(sequences: list[PoseSequence], by: str = "source") -> np.ndarray:
    """The unit a split must keep whole: the source (person/repository) when known, else the video;
    ``by="video"`` keeps only videos whole (for a validation part inside a single source)."""
    keys = ("source", "video_id") if by == "source" else ("video_id",)
    return np.array([str(next((s.meta[k] for k in keys if s.meta.get(k)), i)) for i, s in enumerate(sequences)])


def grouped_folds(sequences: list[PoseSequence], n_folds: int, seed: int = 0,
                  by: str = "source") -> list[tuple[np.ndarray, np.ndarray]]:  # fmt: skip
    """(train, test) index pairs over ``sequences``: each group in exactly one test fold, stratified by
    exercise as far as the groups allow. Fewer groups than folds -> as many folds as groups."""
    import warnings

    from sklearn.model_selection import StratifiedGroupKFold

    labels = np.array([s.meta["exercise"] for s in sequences])
    groups = split_groups(sequences, by)
    n = min(n_folds, len(set(groups)))
    if n < 2:
        raise ValueError(f"need at least 2 sources or videos to split, got {len(set(groups))}")
    folds = StratifiedGroupKFold(n_splits=n, shuffle=True, random_state=seed)
    with warnings.catch_warnings():  # "the least populated class has fewer members than n_splits": expected here
        warnings.simplefilter("ignore", UserWarning)
        return [(train, test) for train, test in folds.split(np.zeros(len(labels)), labels, groups)]


def split_folds(test_fraction: float) -> int:
    """How many folds :func:`grouped_split` cuts so that one of them holds out about ``test_fraction``."""
    return max(2, round(1 / test_fraction))


def grouped_split(sequences: list[PoseSequence], test_fraction: float = 0.2, seed: int = 0,
                  by: str = "source") -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
    """One (train, test) split holding out about ``test_fraction`` of the groups (see grouped_folds)."""
    return grouped_folds(sequences, split_folds(test_fraction), seed, by)[0]
