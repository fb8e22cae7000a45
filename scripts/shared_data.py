"""The real labelled sequences of ../shared/data, for the training and comparison scripts (never shipped).

- the landmark table of ``videos/`` made by ``workout extract`` (default ``/work/cache/shared_videos.parquet``),
  with each clip's frame size and source repository from ``videos/INDEX.tsv``;
- ``landmarks/repcount_a``: RepCount-A test videos of 7 of our classes (one source: its people are
  unknown, so they are kept together in every split);
- ``landmarks/pushfit``: push-up sequences from the same source as the ``pushfit__`` clips.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from workout_analysis.sequence import PoseSequence, from_flat

SHARED = Path(os.environ.get("WORKOUT_SHARED_DATA", Path(__file__).resolve().parents[2] / "shared" / "data"))
TABLE = Path(os.environ.get("WORKOUT_SHARED_TABLE", "/work/cache/shared_videos.parquet"))
REPCOUNT_CLASSES = {"bench_pressing": "bench_press", "front_raise": "front_raise", "jump_jack": "jumping_jack",
                    "pull_up": "pull_up", "push_up": "push_up", "situp": "sit_up", "squat": "squat"}  # fmt: skip
PUSHFIT_SOURCE = "riyer8/cs231n-pushfit"


def video_sequences(table: Path = TABLE) -> list[PoseSequence]:
    """One sequence per shared clip, with width/height and source_repo from INDEX.tsv."""
    import pandas as pd

    from workout_analysis.train import load_training_sequences

    index = pd.read_csv(SHARED / "videos" / "INDEX.tsv", sep="\t")
    by_id = {f"{r['class']}/{Path(r['file']).stem}": r for _, r in index.iterrows()}
    sequences = load_training_sequences(table)
    for s in sequences:
        row = by_id.get(s.meta["video_id"])
        if row is not None:
            s.meta.update(width=float(row["width"]), height=float(row["height"]), source=str(row["source_repo"]))
        s.meta["dataset"] = "videos"
    return sequences


def repcount_sequences() -> list[PoseSequence]:
    import pandas as pd

    folder = SHARED / "landmarks" / "repcount_a"
    notes = pd.read_csv(folder / "annotations.csv")
    out = []
    with np.load(folder / "poses.npz", allow_pickle=False) as poses:
        for _, row in notes.iterrows():
            if row["exercise"] in REPCOUNT_CLASSES and row["name"] in poses.files:
                meta = {"video_id": f"repcount_a/{row['name']}", "exercise": REPCOUNT_CLASSES[row["exercise"]],
                        "source": "repcount_a", "dataset": "repcount_a"}  # fmt: skip
                out.append(from_flat(poses[row["name"]][:, :99].astype(np.float32), 30.0, meta))
    return out


def pushfit_sequences() -> list[PoseSequence]:
    out = []
    with np.load(SHARED / "landmarks" / "pushfit" / "pushups_form.npz", allow_pickle=False) as data:
        for key in data.files:
            meta = {"video_id": f"pushfit/{key}", "exercise": "push_up", "source": PUSHFIT_SOURCE, "dataset": "pushfit"}
            out.append(from_flat(np.nan_to_num(data[key].astype(np.float32), nan=0.0), 30.0, meta))
    return out


def real_sequences(with_videos: bool = True) -> list[PoseSequence]:
    """Every labelled real sequence with a pose (the video table only when it exists)."""
    seqs = repcount_sequences() + pushfit_sequences()
    if with_videos and TABLE.exists():
        seqs = video_sequences() + seqs
    return [s for s in seqs if s.has_pose.any()]
