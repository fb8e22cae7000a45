"""`workout analyze FOLDER`: a collection analysed as a batch, a bad file reported while the rest goes on,
the summary written whole; and the same through the Python API (`batch.analyze_many`)."""

import csv
import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from conftest import shared_path

from workout_analysis.batch import (
    SUMMARY_COLUMNS,
    AnalyzeOptions,
    analyze_file,
    analyze_many,
    find_files,
    find_inputs,
)
from workout_analysis.errors import WorkoutError
from workout_analysis.synth import generate

VIDEO = ("videos", "squat", "spotter__squat-james-smith.mp4")  # 3.3 s, one person


def workout(*args: str | Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "workout_analysis.cli", "analyze", *map(str, args)],
                          capture_output=True, text=True, timeout=300)  # fmt: skip


@pytest.fixture(scope="module")
def collection(tmp_path_factory) -> Path:
    """A folder as a researcher has one: synthetic sets in sub-folders, a broken file, a stray text file."""
    root = tmp_path_factory.mktemp("collection")
    for exercise, folder in (("squat", "legs"), ("push_up", "chest")):
        seq, _ = generate(exercise, seed=11)
        (root / folder).mkdir()
        seq.save(root / folder / f"{exercise}.npz")
    (root / "chest" / "broken.npz").write_bytes(b"not a landmark file")
    (root / "notes.txt").write_text("ignored: not a video or landmark file")
    return root


def test_find_inputs_walks_folders_and_refuses_what_is_missing(collection, tmp_path):
    found = find_files([collection])
    assert [p.relative_to(collection).as_posix() for p in found] == ["chest/broken.npz", "chest/push_up.npz",
                                                                     "legs/squat.npz"]  # fmt: skip
    assert find_files([collection / "legs" / "squat.npz", collection]) == [collection / "legs" / "squat.npz",
                                                                           *found[:2]]  # fmt: skip
    assert [i.path for i in find_inputs([collection])] == found and all(i.video_id is None for i in find_inputs([collection]))
    relative = Path(os.path.relpath(collection / "legs" / "squat.npz"))
    assert find_files([relative, collection / "legs"]) == [relative]  # one file, however it is named
    with pytest.raises(WorkoutError, match="no such file or folder"):
        find_files([tmp_path / "nope"])
    with pytest.raises(WorkoutError, match="no video or landmark file found"):
        find_files([tmp_path])


def test_batch_reports_the_bad_file_and_writes_the_summary(collection, tmp_path):
    summary = tmp_path / "summary.csv"
    proc = workout(collection, "--workers", "1", "-o", summary)
    assert proc.returncode == 1  # one file failed
    assert "Traceback" not in proc.stderr
    errors = [line for line in proc.stderr.splitlines() if line.startswith("workout: error: ")]
    assert len(errors) == 1 and "broken.npz" in errors[0]
    assert "2 of 3 analysed, 1 failed" in proc.stderr
    lines = proc.stdout.strip().splitlines()
    assert len(lines) == 2
    assert all(re.fullmatch(r".+\.npz: (squat|push up) \(\d+%\), \d+ reps, form \d+/100", line) for line in lines)
    with open(summary, newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert tuple(rows[0]) == SUMMARY_COLUMNS
    assert [Path(r["input"]).name for r in rows] == ["broken.npz", "push_up.npz", "squat.npz"]  # input order
    assert rows[0]["error"] and not rows[0]["exercise"]
    for row, exercise in zip(rows[1:], ("push_up", "squat")):
        assert row["error"] == "" and row["exercise"] == exercise  # clean synthetic sets are recognised
        assert int(row["reps"]) >= 3 and 0 <= int(row["form_score"]) <= 100
    assert not list(tmp_path.glob(".*"))  # no temporary left beside the summary


def test_batch_json_lines_match_single_file_analysis(collection, tmp_path):
    out = tmp_path / "all.jsonl"
    squat = collection / "legs" / "squat.npz"
    proc = workout(squat, collection / "chest" / "push_up.npz", "--json", "--workers", "2", "-o", out)
    assert proc.returncode == 0, proc.stderr
    printed = [json.loads(line) for line in proc.stdout.splitlines()]
    written = [json.loads(line) for line in out.read_text().splitlines()]
    assert sorted(r["input"] for r in printed) == sorted(r["input"] for r in written)
    assert written[0]["input"] == str(squat)  # the file keeps the order of the inputs
    single = analyze_file(squat).to_dict()
    assert written[0]["exercise"] == single["exercise"] and written[0]["reps"] == single["reps"]


def test_batch_options_are_checked_up_front(collection, tmp_path):
    (tmp_path / "a folder.csv").mkdir()
    for args, words in (((collection, "-o", tmp_path / "x.txt"), ".csv"),
                        ((collection, "-o", tmp_path / "a folder.csv"), "names a folder"),
                        ((collection, "--plot", tmp_path / "p.png"), "one input"),
                        ((collection / "legs" / "squat.npz", "-o", tmp_path / "x.csv"), "batch")):  # fmt: skip
        proc = workout(*args)
        assert proc.returncode == 2 and proc.stdout == ""
        assert proc.stderr.strip().startswith("workout: error: ") and words in proc.stderr
        assert "Traceback" not in proc.stderr


def test_analyze_many_with_a_given_exercise_on_a_real_video(collection, tmp_path):
    video = tmp_path / "clip.mp4"
    shutil.copy(shared_path(*VIDEO), video)
    outcomes = {o.item.path.name: o for o in analyze_many([video, collection / "chest" / "broken.npz"],
                                                      AnalyzeOptions(exercise="squat"))}  # fmt: skip
    assert "broken.npz" in outcomes["broken.npz"].error
    clip = outcomes["clip.mp4"]
    assert clip.error is None and clip.row["exercise"] == "squat" and clip.analysis["given"] is True
    assert clip.row["frames"] == 82 and clip.row["frames_with_pose"] >= 70


def test_a_file_of_several_sequences_is_a_batch_of_them(tmp_path):
    """RepCount-A's layout: one .npz, an array (T, 104) per video (99 coordinates, then 5 angles)."""
    arrays = {}
    for exercise in ("squat", "jumping_jack"):
        seq, _ = generate(exercise, seed=21, noise=0.0)
        flat = np.nan_to_num(seq.landmarks[..., :3]).reshape(len(seq), 99)  # no pose: an all-zero row
        arrays[f"{exercise}_clip"] = np.concatenate([flat, np.zeros((len(seq), 5))], axis=1).astype(np.float16)
    poses = tmp_path / "poses.npz"
    np.savez(poses, **arrays)
    proc = workout(poses, "--workers", "1", "-o", tmp_path / "out.csv")
    assert proc.returncode == 0, proc.stderr
    with open(tmp_path / "out.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert [r["input"] for r in rows] == [f"{poses} (video squat_clip)", f"{poses} (video jumping_jack_clip)"]
    assert all(r["error"] == "" and r["exercise"] and r["frames"] == r["frames_with_pose"] for r in rows)
    one = workout(poses, "--video-id", "squat_clip", "--json")  # one of them, as a single analysis: the same
    assert one.returncode == 0, one.stderr
    single = json.loads(one.stdout)
    assert single["exercise"] == rows[0]["exercise"] and str(single["frames"]) == rows[0]["frames"]
    assert str((single["reps"] or {}).get("count", "")) == rows[0]["reps"]
    missing = workout(poses, "--video-id", "nope")
    assert missing.returncode == 2 and "no sequence 'nope' in this file" in missing.stderr


def test_pose_cache_is_reused(tmp_path):
    from workout_analysis.batch import pose_cache_entry
    from workout_analysis.sequence import load_sequence

    video = shared_path(*VIDEO)
    options = AnalyzeOptions(exercise="squat", pose_cache=str(tmp_path / "poses"))
    first = analyze_file(video, options)
    entry = pose_cache_entry(video, options)
    assert entry.is_file() and first.frames == 82
    cached = load_sequence(entry)
    cached.slice(0, 40).save(entry)  # a changed entry shows that the next run reads it, not the video
    again = analyze_file(video, options)
    assert again.frames == 40 and again.input == str(video)
    blocked = tmp_path / "a file"
    blocked.write_text("")
    for bad, words in ((video, "--pose-cache cannot make a folder there"), (tmp_path / "gone.mp4", "no such file")):
        with pytest.raises(WorkoutError, match=words):  # at once, not after the pose extraction
            analyze_file(bad, replace(options, pose_cache=str(blocked / "poses")))


def test_an_error_names_the_sequence_of_a_file_of_several(tmp_path):
    odd = tmp_path / "odd.npz"
    np.savez(odd, short=np.zeros(3), words=np.array(["q"]))
    errors = sorted(o.error for o in analyze_many(find_inputs([odd]), AnalyzeOptions(exercise="squat")))
    assert [e.split(": ")[0] for e in errors] == [f"{odd} (video short)", f"{odd} (video words)"]
    assert all("not a readable landmark file" in e for e in errors)
