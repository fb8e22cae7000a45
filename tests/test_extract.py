"""`workout extract` / extract_folder on real shared clips: table layout, CSV, stride, cache, resume after kill -9."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import shared_path, write_test_video

from workout_analysis.dataset import ExtractSettings, extract_folder, find_videos, read_sources
from workout_analysis.errors import WorkoutError
from workout_analysis.sequence import (
    IMAGE_COLUMNS, ORIGINAL_CSV_COLUMNS, TABLE_META_COLUMNS, WORLD_COLUMNS, load_sequence,
)  # fmt: skip

# The shortest shared clips (frames in the header): two squats of one source, a curl of another.
CLIPS = {
    "squat/spotter__ezgif-82e53c7736a3c4fc.mp4": 26,
    "squat/spotter__ezgif-8836d28ba9f446a1.mp4": 26,
    "bicep_curl/vengaza__curls2.mp4": 40,
}
COLUMNS = [*TABLE_META_COLUMNS, *IMAGE_COLUMNS, *WORLD_COLUMNS]


def make_data_dir(root: Path, clips: dict[str, int] = CLIPS, index: bool = True) -> Path:
    """DATA_DIR/<exercise>/<clip> with links to shared clips, and the rows of INDEX.tsv that name them."""
    videos = shared_path("videos")
    for name in clips:
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).symlink_to(videos / name)
    if index:
        table = pd.read_csv(videos / "INDEX.tsv", sep="\t", dtype=str)
        table[table["file"].isin(list(clips))].to_csv(root / "INDEX.tsv", sep="\t", index=False)
    return root


@pytest.fixture(scope="module")
def extracted(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, object]:
    """One in-process run at stride 2, with a broken file and a video of an empty room beside the clips."""
    root = tmp_path_factory.mktemp("extract")
    data = make_data_dir(root / "data")
    (data / "squat" / "broken.mp4").write_text("not a video")
    write_test_video(data / "plank" / "empty_room.mp4", 6)
    out = root / "out" / "table.parquet"
    logged: list[str] = []
    summary = extract_folder(data, out, settings=ExtractSettings(stride=2), workers=1, csv=root / "out" / "d.csv",
                             progress=False, log=logged.append)  # fmt: skip
    return out, data, (summary, logged)


def test_table_has_exactly_the_documented_columns_and_types(extracted) -> None:
    out, data, (summary, _) = extracted
    table = pd.read_parquet(out)
    assert list(table.columns) == COLUMNS
    assert table["frame"].dtype == np.int64 and table["has_pose"].dtype == bool
    assert table["timestamp"].dtype == np.float64 and table["fps"].dtype == np.float64
    assert all(table[c].dtype == np.float32 for c in (*IMAGE_COLUMNS, *WORLD_COLUMNS))
    assert sorted(table["video_id"].unique()) == [
        "bicep_curl/vengaza__curls2", "plank/empty_room",
        "squat/spotter__ezgif-82e53c7736a3c4fc", "squat/spotter__ezgif-8836d28ba9f446a1",
    ]  # fmt: skip
    rows = table[table["video_id"] == "bicep_curl/vengaza__curls2"]
    assert rows["frame"].tolist() == list(range(0, 40, 2))
    assert np.allclose(rows["timestamp"], rows["frame"] / 24.0) and (rows["fps"] == 24.0).all()
    assert (rows["exercise"] == "bicep_curl").all()
    assert (rows["path"] == str(data / "bicep_curl" / "vengaza__curls2.mp4")).all()
    # Sources come from INDEX.tsv; the empty room, absent from it, is its own source.
    sources = table.groupby("video_id")["source"].first()
    assert sources["squat/spotter__ezgif-82e53c7736a3c4fc"] == "vishalpatill/Spotter"
    assert sources["bicep_curl/vengaza__curls2"] == "venGaza/aiTrainer"
    assert sources["plank/empty_room"] == "plank/empty_room"
    # The frame size travels in the Parquet metadata, so that features can undo the aspect.
    curl = load_sequence(out, video_id="bicep_curl/vengaza__curls2")
    assert (curl.meta["width"], curl.meta["height"], curl.meta["fps_guessed"]) == (360, 640, False)
    assert len(curl) == 20 and curl.has_pose.mean() > 0.85


def test_pose_frames_are_plausible_and_missing_ones_are_nan(extracted) -> None:
    out, _, (summary, _) = extracted
    table = pd.read_parquet(out)
    real = table[table["video_id"] != "plank/empty_room"]
    assert real["has_pose"].mean() > 0.85
    pose = real[real["has_pose"]]
    assert pose[list(IMAGE_COLUMNS)].notna().all().all() and pose[list(WORLD_COLUMNS)].notna().all().all()
    assert pose["left_hip_y"].median() > pose["nose_y"].median()
    empty = table[table["video_id"] == "plank/empty_room"]
    assert len(empty) == 3 and not empty["has_pose"].any() and empty[list(IMAGE_COLUMNS)].isna().all().all()
    assert (summary.videos, summary.frames, summary.frames_with_pose) == (4, len(table), int(table["has_pose"].sum()))


def test_broken_video_is_reported_and_skipped(extracted) -> None:
    _, data, (summary, logged) = extracted
    line = f"{data / 'squat' / 'broken.mp4'}: is not a readable video (unknown format, truncated or corrupt)"
    assert summary.failed == [line] and logged == [f"skipped: {line}"]
    assert summary.warnings == [f"{data / 'plank' / 'empty_room.mp4'}: no person found in any frame"]
    text = str(summary)
    assert "4 videos" in text and "failed: 1 video, skipped:" in text and line in text


def test_original_csv_has_99_features_and_label_for_pose_frames(extracted) -> None:
    out, _, (summary, _) = extracted
    csv = pd.read_csv(out.parent / "d.csv")
    table = pd.read_parquet(out)
    assert list(csv.columns) == [*ORIGINAL_CSV_COLUMNS, "label"]
    assert len(csv) == summary.frames_with_pose
    assert set(csv["label"]) == {"squat", "bicep_curl"}
    pose = table[table["has_pose"]]
    assert np.allclose(csv[["x0", "y0", "z0", "x32"]].to_numpy(),
                       pose[["nose_x", "nose_y", "nose_z", "right_foot_index_x"]].to_numpy(), atol=1e-6)  # fmt: skip


def test_rerun_uses_the_cache_and_does_no_work_twice(extracted) -> None:
    out, data, (first, _) = extracted
    cache = out.with_name(out.name + ".cache")
    entries = {p: p.stat().st_mtime_ns for p in cache.glob("*.npz")}
    assert len(entries) == 4
    again = extract_folder(data, out, settings=ExtractSettings(stride=2), workers=1, progress=False, log=lambda _: None)
    assert again.extracted == 0 and again.frames == first.frames
    assert {p: p.stat().st_mtime_ns for p in cache.glob("*.npz")} == entries
    # Other settings are other cache entries: stride 3 extracts everything anew.
    other = extract_folder(data, out.with_name("s3.parquet"), settings=ExtractSettings(stride=3), workers=1,
                           cache_dir=cache, progress=False, log=lambda _: None)  # fmt: skip
    assert other.extracted == 4 and len(list(cache.glob("*.npz"))) == 8


@pytest.mark.slow
def test_two_workers_give_the_same_table_as_one(tmp_path: Path) -> None:
    data = make_data_dir(tmp_path / "data")
    tables = {}
    for workers in (1, 2):
        out = tmp_path / f"w{workers}.parquet"
        summary = extract_folder(data, out, settings=ExtractSettings(stride=3), workers=workers, progress=False)
        assert summary.extracted == 3 and not summary.failed
        tables[workers] = pd.read_parquet(out)
    pd.testing.assert_frame_equal(tables[1], tables[2])


@pytest.mark.slow
def finished_entries(cache: Path) -> int:
    """Cache entries written in full (pathlib's glob also matches the hidden temporary file being written)."""
    return sum(1 for p in cache.glob("*.npz") if not p.name.startswith("."))


def test_run_killed_mid_way_resumes_and_completes(tmp_path: Path) -> None:
    data = make_data_dir(tmp_path / "data")
    out, cache = tmp_path / "table.parquet", tmp_path / "cache"
    command = [sys.executable, "-m", "workout_analysis.cli", "extract", str(data), "-o", str(out),
               "--cache", str(cache), "--workers", "1", "--quiet"]  # fmt: skip
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 90
        while not finished_entries(cache) and time.monotonic() < deadline and process.poll() is None:
            time.sleep(0.05)
        os.kill(process.pid, signal.SIGKILL)
    finally:
        process.wait()
    done = finished_entries(cache)
    assert 1 <= done < 3, "the run was killed too late to test resuming"
    assert not out.exists()  # the table is written only once everything is in
    summary = extract_folder(data, out, workers=1, cache_dir=cache, progress=False)
    assert summary.extracted == 3 - done and summary.videos == 3
    table = pd.read_parquet(out)
    assert table.groupby("video_id").size().to_dict() == {
        "bicep_curl/vengaza__curls2": 40, "squat/spotter__ezgif-82e53c7736a3c4fc": 26,
        "squat/spotter__ezgif-8836d28ba9f446a1": 26,
    }  # fmt: skip
    assert not [p for p in tmp_path.rglob("*") if ".tmp" in p.name]


def test_sources_tsv_and_fallback_to_video_id(tmp_path: Path) -> None:
    data = make_data_dir(tmp_path / "data", index=False)
    assert {v.source for v in find_videos(data)} == {v.video_id for v in find_videos(data)}
    tsv = tmp_path / "sources.tsv"
    tsv.write_text("file\tsource\nvengaza__curls2.mp4\tperson_a\nsquat/spotter__ezgif-82e53c7736a3c4fc.mp4\tperson_b\n")
    sources = {v.video_id: v.source for v in find_videos(data, tsv)}
    assert sources == {
        "bicep_curl/vengaza__curls2": "person_a", "squat/spotter__ezgif-82e53c7736a3c4fc": "person_b",
        "squat/spotter__ezgif-8836d28ba9f446a1": "squat/spotter__ezgif-8836d28ba9f446a1",
    }  # fmt: skip
    (tmp_path / "bad.tsv").write_text("name\torigin\na\tb\n")
    with pytest.raises(WorkoutError, match=r"bad\.tsv: a sources table needs a 'file' column"):
        read_sources(tmp_path / "bad.tsv")


def test_folder_without_videos_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "squat").mkdir()
    (tmp_path / "squat" / "notes.txt").write_text("x")
    with pytest.raises(WorkoutError, match="no videos found"):
        find_videos(tmp_path)
    with pytest.raises(WorkoutError, match="not a folder"):
        find_videos(tmp_path / "missing")


def test_one_video_gives_a_table_of_one_unlabelled_video(tmp_path: Path, capsys) -> None:
    """A home user wanting one clip's landmarks (to render them, say) was told to make DATA_DIR/<exercise>/ folders."""
    from workout_analysis.cli import main

    clip = shared_path("videos", "squat", "spotter__ezgif-82e53c7736a3c4fc.mp4")
    out = tmp_path / "clip.parquet"
    assert main(["extract", str(clip), "-o", str(out), "--stride", "5", "--quiet"]) == 0
    table = pd.read_parquet(out)
    assert set(table["video_id"]) == {clip.stem} and set(table["exercise"]) == {""} and len(table) == 6
    capsys.readouterr()
    assert main(["train", str(out), "-o", str(tmp_path / "model")]) == 2  # nothing names its exercise
    assert "has no exercise label" in capsys.readouterr().err


def test_output_that_is_not_parquet_is_refused_before_any_work(tmp_path: Path, capsys) -> None:
    from workout_analysis.cli import main

    assert main(["extract", str(tmp_path), "-o", str(tmp_path / "landmarks.csv")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "landmarks.csv" in err[0] and ".parquet" in err[0] and "--csv" in err[0]
    assert not (tmp_path / "landmarks.csv").exists()


def test_same_clip_in_two_folders_is_extracted_once(tmp_path: Path) -> None:
    name = "squat/spotter__ezgif-82e53c7736a3c4fc.mp4"
    data = make_data_dir(tmp_path / "data", {name: 26}, index=False)
    (data / "goblet_squat").mkdir()
    (data / "goblet_squat" / "copy.mp4").symlink_to(shared_path("videos", name))
    summary = extract_folder(data, tmp_path / "t.parquet", settings=ExtractSettings(stride=5), workers=2, progress=False)
    assert (summary.videos, summary.extracted, summary.frames) == (2, 1, 12)
    assert len(list((tmp_path / "t.parquet.cache").glob("*.npz"))) == 1
    table = pd.read_parquet(tmp_path / "t.parquet")
    assert sorted(table["exercise"].unique()) == ["goblet_squat", "squat"]


def test_unwritable_output_is_a_one_line_error_and_the_work_is_kept(extracted, tmp_path: Path) -> None:
    out, data, _ = extracted
    cache = out.with_name(out.name + ".cache")
    with pytest.raises(WorkoutError, match="is a folder"):
        extract_folder(data, tmp_path, cache_dir=cache, progress=False)
    (tmp_path / "file").write_text("x")
    with pytest.raises(WorkoutError, match=r"file: cannot make a folder there .* extracted videos are cached"):
        extract_folder(data, tmp_path / "file" / "t.parquet", settings=ExtractSettings(stride=2), cache_dir=cache,
                       progress=False, log=lambda _: None)  # fmt: skip


def test_folder_names_become_class_names_and_the_notes_say_what_was_done(tmp_path: Path) -> None:
    """A user test's 'Squats' and 'squat' folders were two classes, 'Jumping Jack' a class name with a space,
    and a notes.txt and unmatched --sources rows went unmentioned."""
    for name in ("Squats/a.mp4", "squat/b.mp4", "squat/notes.txt", "Jumping Jack/c.mp4", "Box-Jump/d.mov"):
        (tmp_path / name).parent.mkdir(exist_ok=True)
        (tmp_path / name).write_text("")  # find_videos never opens a file
    tsv = tmp_path / "who.tsv"
    tsv.write_text("file\tsource\nSquats/a.mp4\tann\nc.mp4\tbob\n")
    notes: list[str] = []
    items = find_videos(tmp_path, tsv, notes)
    assert {i.video_id: i.exercise for i in items} == {"Squats/a": "squat", "squat/b": "squat",
                                                       "Jumping Jack/c": "jumping_jack", "Box-Jump/d": "box_jump"}  # fmt: skip
    assert [i.source for i in items] == ["Box-Jump/d", "bob", "ann", "squat/b"]
    assert notes == ["folder 'Box-Jump' -> box_jump", "folder 'Jumping Jack' -> jumping_jack",
                     "folders 'Squats' and 'squat' are one class: squat",
                     "skipped 1 file that is not a video: squat/notes.txt",
                     f"sources: 2 videos matched in {tsv}, 2 not: each its own source"]  # fmt: skip


def test_videos_directly_in_the_folder_are_told_to_go_into_exercise_folders(tmp_path: Path) -> None:
    (tmp_path / "clip.mp4").write_text("")
    with pytest.raises(WorkoutError, match=r"the 1 video directly in it must be in exercise sub-folders"):
        find_videos(tmp_path)
    (tmp_path / "squat").mkdir()
    (tmp_path / "squat" / "a.mp4").write_text("")
    notes: list[str] = []
    assert [i.video_id for i in find_videos(tmp_path, notes=notes)] == ["squat/a"]
    assert f"skipped 1 video directly in {tmp_path}, not in an exercise folder: clip.mp4" in notes


def test_summary_counts_in_good_english_and_shows_the_notes() -> None:
    from workout_analysis.dataset import ExtractSummary

    summary = ExtractSummary(Path("t.parquet"), videos=1, frames=1, frames_with_pose=1, extracted=1,
                             notes=["folder 'Squats' -> squat"])  # fmt: skip
    assert str(summary).splitlines() == ["wrote t.parquet: 1 video, 1 frame, 1 with a pose (1 extracted now, 0 from "
                                         "the cache)", "folder 'Squats' -> squat"]  # fmt: skip
