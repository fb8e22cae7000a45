"""`workout analyze` end to end, through a subprocess as a user runs it: real MediaPipe, the real
embedded model, real shared clips (skipped without them), and every kind of bad input."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from conftest import shared_path

from workout_analysis.analysis.report import analyze
from workout_analysis.sequence import from_flat

CLIP = ("videos", "squat", "spotter__squat-james-smith.mp4")  # 3.3 s, one person, side view
TOP_KEYS = {"schema_version", "input", "exercise", "recognised", "given", "confidence", "runner_ups",
            "probabilities", "frames", "frames_with_pose", "fps", "duration_s", "segments", "model", "reps",
            "form"}  # fmt: skip


def workout(*args: str | Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "workout_analysis.cli", "analyze", *map(str, args)],
                          capture_output=True, text=True, timeout=300)  # fmt: skip


def assert_one_line_error(proc: subprocess.CompletedProcess, code: int, *words: str) -> None:
    assert proc.returncode == code, proc.stderr
    assert "Traceback" not in proc.stderr
    last = proc.stderr.strip().splitlines()[-1]
    assert last.startswith("workout: error: ")
    for word in words:
        assert word in last
    assert proc.stdout == ""


@pytest.fixture(scope="module")
def pushup_npy(tmp_path_factory) -> Path:
    """A real push-up sequence (pushfit landmarks) as a bare (T, 33, 4) array, as another tool writes it."""
    with np.load(shared_path("landmarks", "pushfit", "pushups_form.npz"), allow_pickle=False) as data:
        array = data["correct/correct103"].astype(np.float32)
    path = tmp_path_factory.mktemp("lm") / "pushup.npy"
    np.save(path, array)
    return path


@pytest.mark.slow
def test_video_json_has_the_schema():
    video = shared_path(*CLIP)
    proc = workout(video, "--json")
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)  # stdout is pure JSON: the progress bar went to stderr
    assert TOP_KEYS <= set(out)
    assert out["input"] == str(video) and out["frames"] == 82 and out["fps"] == 25.0
    assert out["frames_with_pose"] >= 70  # one person, in view throughout
    assert out["model"]["classes"] == len(out["probabilities"]) and out["exercise"] in out["probabilities"]
    assert sum(out["probabilities"].values()) == pytest.approx(1.0, abs=1e-3)
    seg = out["segments"]
    assert seg[0]["start_s"] == 0.0 and seg[-1]["end_s"] == pytest.approx(out["duration_s"], abs=0.05)
    assert all(a["end_s"] == b["start_s"] for a, b in zip(seg, seg[1:]))  # no gaps, in order
    if out["recognised"]:
        assert 0 < out["confidence"] <= 1 and out["reps"]["exercise"] == out["exercise"]
    else:  # repeated movement is still counted, by the class-agnostic fallback; form needs an exercise
        assert out["reps"]["method"] == "fallback" and out["form"] is None


def test_landmark_file_text_report(pushup_npy):
    proc = workout(pushup_npy, "--fps", "30")
    assert proc.returncode == 0, proc.stderr
    text = proc.stdout
    assert f"{pushup_npy}: 150 frames at 30 fps" in text
    assert "Exercise: push up" in text
    assert "Repetitions:" in text


def test_parquet_table_is_a_batch_of_its_videos_or_one_by_id(pushup_npy, tmp_path):
    import pandas as pd

    from workout_analysis.sequence import IMAGE_COLUMNS, TABLE_META_COLUMNS

    landmarks = np.load(pushup_npy)
    rows = []
    for video in ("push_up/a", "push_up/b"):
        meta = pd.DataFrame({"video_id": video, "exercise": "push_up", "source": "someone", "path": f"{video}.mp4",
                             "frame": np.arange(len(landmarks)), "timestamp": np.arange(len(landmarks)) / 30.0,
                             "fps": 30.0, "has_pose": True})  # fmt: skip
        rows.append(pd.concat([meta, pd.DataFrame(landmarks.reshape(len(landmarks), -1), columns=IMAGE_COLUMNS)], axis=1))
    table = tmp_path / "landmarks.parquet"
    pd.concat(rows)[[*TABLE_META_COLUMNS, *IMAGE_COLUMNS]].to_parquet(table)
    batch = workout(table, "--exercise", "push_up")
    assert batch.returncode == 0, batch.stderr
    printed = sorted(line.split(": ")[0] for line in batch.stdout.splitlines())  # as each finishes: any order
    assert printed == [f"{table} (video push_up/{v})" for v in "ab"]
    assert_one_line_error(workout(table, "--video-id", "push_up/c"), 2, str(table), "no video 'push_up/c'")
    proc = workout(table, "--video-id", "push_up/b", "--exercise", "push_up", "--json")
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["input"] == f"{table} (video push_up/b)" and out["frames"] == len(landmarks)
    import matplotlib

    from workout_analysis.cli import main

    svg = tmp_path / "b.svg"
    with matplotlib.rc_context({"svg.fonttype": "none"}):  # the plot's text as text, to read its title back
        assert main(["analyze", str(table), "--video-id", "push_up/b", "--exercise", "push_up", "--plot", str(svg)]) == 0
    assert "landmarks.parquet (video push_up/b): " in svg.read_text()  # the id holds a '/': not cut at it


def test_given_exercise_skips_recognition(pushup_npy):
    proc = workout(pushup_npy, "--exercise", "push-up", "--json")
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["exercise"] == "push_up" and out["given"] and out["confidence"] is None
    assert out["model"] is None and out["probabilities"] == {}
    assert out["reps"]["count"] >= 1


def test_plot_is_written(pushup_npy, tmp_path):
    png = tmp_path / "reps.png"
    proc = workout(pushup_npy, "--exercise", "push_up", "--plot", png)
    assert proc.returncode == 0, proc.stderr
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_an_output_that_cannot_be_written_is_refused_before_the_work(pushup_npy, tmp_path):
    """A folder in the way of --plot or --annotate failed only after the analysis, and the result was lost."""
    (tmp_path / "reps.png").mkdir()
    (tmp_path / "a file").write_text("x")
    assert_one_line_error(workout(pushup_npy, "--plot", tmp_path / "reps.png"), 2, "reps.png: --plot names a folder")
    assert_one_line_error(workout(pushup_npy, "--annotate", tmp_path / "a file" / "out.mp4"), 2,
                          "out.mp4: --annotate cannot be written there", "is a file, not a folder")  # fmt: skip
    assert_one_line_error(workout(pushup_npy, "--annotate", "/proc/out.mp4"), 2, "--annotate cannot be written there")
    assert_one_line_error(workout(pushup_npy, "--plot", tmp_path / "p.png", "--annotate", tmp_path / "a.mp4", "--people",
                                  "2"), 2, "--plot and --annotate draw one person's reps")  # fmt: skip
    clip = tmp_path / "clip.mp4"
    clip.write_bytes(b"not read")
    assert_one_line_error(workout(clip, "--annotate", clip), 2, "--annotate would write over the input")
    assert clip.read_bytes() == b"not read"


def test_annotate_draws_the_analysis_on_the_clip_itself(tmp_path):
    import cv2

    out = tmp_path / "annotated.mp4"
    proc = workout(shared_path(*CLIP), "--exercise", "squat", "--annotate", out)
    assert proc.returncode == 0, proc.stderr
    source, drawn = cv2.VideoCapture(str(shared_path(*CLIP))), cv2.VideoCapture(str(out))
    pairs = []
    while (a := source.read())[0] & (b := drawn.read())[0]:
        pairs.append((a[1].astype(int), b[1].astype(int)))
    assert len(pairs) == 82 and not drawn.read()[0]  # every frame, at the clip's size
    before, after = pairs[40]
    assert np.abs(before - after)[:25, :150].mean() > 40  # the text band ("squat | reps ...") at the top left
    assert np.abs(before - after)[-100:, -100:].mean() < 12  # elsewhere the clip (re-encoded), not a canvas


@pytest.mark.slow
def test_video_without_a_person_exits_3(tmp_path):
    import cv2

    path = tmp_path / "empty_room.mp4"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), 15, (160, 120))
    for i in range(20):  # a plain scene with a slowly moving box: no person
        frame = np.full((120, 160, 3), 200, np.uint8)
        cv2.rectangle(frame, (10 + i, 40), (40 + i, 80), (60, 90, 120), -1)
        writer.write(frame)
    writer.release()
    proc = workout(path)
    assert_one_line_error(proc, 3, str(path), "no person")


def test_a_video_id_for_a_video_is_refused_not_ignored():
    video = shared_path(*CLIP)
    assert_one_line_error(workout(video, "--video-id", "x"), 2, str(video), "a video holds one sequence")


def test_text_file_renamed_mp4(tmp_path):
    path = tmp_path / "notes.mp4"
    path.write_text("this is not a video\n" * 20)
    assert_one_line_error(workout(path, "--exercise", "squat"), 2, str(path))


def test_wrong_shape_npy(tmp_path):
    path = tmp_path / "bad.npy"
    np.save(path, np.zeros((10, 5), np.float32))
    assert_one_line_error(workout(path), 2, str(path), "(T, 33, 3)")


def test_one_frame_is_too_short_to_recognise(tmp_path, pushup_npy):
    path = tmp_path / "one.npy"
    np.save(path, np.load(pushup_npy)[:1])
    assert_one_line_error(workout(path), 2, str(path), "too short")
    proc = workout(path, "--exercise", "squat", "--json")  # a named exercise needs no motion to name it
    assert proc.returncode == 0 and json.loads(proc.stdout)["frames"] == 1


def test_a_person_in_few_frames_is_a_warning(tmp_path, pushup_npy):
    array = np.load(pushup_npy)
    array[: 2 * len(array) // 3] = np.nan  # the person is seen in the last third only
    path = tmp_path / "partly.npy"
    np.save(path, array)
    proc = workout(path, "--exercise", "push_up", "--json")
    assert proc.returncode == 0, proc.stderr
    warning = f"{path}: a person was found in only {len(array) - 2 * len(array) // 3} of its {len(array)} frames"
    assert warning in proc.stderr and warning in json.loads(proc.stdout)["warnings"][0]
    assert "a person was found in only" not in workout(pushup_npy, "--exercise", "push_up").stderr
    batch = workout(path, pushup_npy, "--exercise", "push_up", "--workers", "1")  # a batch says it too, per item
    assert batch.returncode == 0 and f"workout: warning: {warning}" in batch.stderr
    assert batch.stderr.count("a person was found in only") == 1


def test_an_uncertain_exercise_is_a_warning_that_says_what_to_do(pushup_npy, monkeypatch):
    from workout_analysis.analysis import report
    from workout_analysis.sequence import load_sequence

    seq = load_sequence(pushup_npy, fps=30)
    result = analyze(seq)
    assert result.recognition.recognised and not any("uncertain" in w for w in result.warnings)  # sure enough
    monkeypatch.setattr(report, "UNSURE", result.recognition.confidence + 0.01)  # the same verdict, less sure
    warning = next(w for w in analyze(seq).warnings if "uncertain" in w)
    second, p = result.recognition.runner_ups[0]
    assert (f"uncertain (push up, {result.recognition.confidence:.0%} sure; perhaps {second.replace('_', ' ')}, {p:.0%}); "
            "if it is another, name it with --exercise") in warning  # fmt: skip
    assert not any("uncertain" in w for w in analyze(seq, exercise="push_up").warnings)  # named: nothing to doubt


def test_landmarks_with_no_pose_exit_3(tmp_path):
    path = tmp_path / "nobody.npy"
    np.save(path, np.full((40, 33, 4), np.nan, np.float32))
    assert_one_line_error(workout(path), 3, str(path), "no person")


@pytest.mark.parametrize(
    "args, words",
    [
        (["--exercise", "yoga"], ["unknown exercise", "yoga"]),
        (["--stride", "0"], ["--stride"]),
        (["--min-confidence", "2"], ["--min-confidence"]),
        (["--model", "/nonexistent/bundle"], ["/nonexistent/bundle"]),
        (["--plot", "reps.txt"], ["reps.txt", "--plot", ".png"]),  # before any work, not after it
        (["--annotate", "out.gif"], ["out.gif", "--annotate", ".webm"]),
    ],
)
def test_bad_options(pushup_npy, args, words):
    assert_one_line_error(workout(pushup_npy, *args), 2, *words)


def test_python_api_matches_the_cli(pushup_npy):
    seq = from_flat(np.load(pushup_npy), fps=30.0, meta={"source": str(pushup_npy)})
    result = analyze(seq, exercise="push_up")
    proc = workout(pushup_npy, "--exercise", "push_up", "--json")
    assert json.loads(proc.stdout)["reps"] == result.to_dict()["reps"]
    assert result.input == json.loads(proc.stdout)["input"] == str(pushup_npy)  # a video extracted in Python: its path


def test_unrecognised_movement_is_counted_by_the_fallback(pushup_npy):
    from workout_analysis.analysis.classify import DecoderConfig

    seq = from_flat(np.load(pushup_npy), fps=30.0)
    result = analyze(seq, config=DecoderConfig(min_confidence=1.0))  # nothing is sure enough: all rejected
    assert not result.recognition.recognised and result.form is None
    assert result.reps.method == "fallback" and result.reps.count >= 1
    assert "Repeated movements (counted from the whole pose):" in result.to_text()
    # a whole-pose component's range has no unit a person could read: it is not printed; notes always are
    assert {r.rom_unit for r in result.reps.reps} == {"pc"}
    result.reps.notes.append("1 slow movement(s) left out")
    lines = result.to_text().splitlines()
    assert "  note: 1 slow movement(s) left out" in lines
    assert not any("range" in line for line in lines if line.lstrip().startswith("rep "))


@pytest.mark.parametrize(("given", "expected"), [
    ("Sit-Ups", "sit_up"), ("crunches", "crunch"), ("bench_pressing", "bench_press"), ("jump_jack", "jumping_jack"),
    ("barbell biceps curl", "bicep_curl"), ("chest fly machine", "chest_fly"), ("leg raises", "leg_raise"),
    ("tricep Pushdown", "tricep_pushdown"), ("pull Up", "pull_up"), ("Lunges", "lunge"), ("tricep dip", "tricep_dips"),
    ("dip", "tricep_dips"), ("bench presses", "bench_press"),
])  # fmt: skip
def test_exercise_names_as_people_and_datasets_write_them(given, expected):
    from workout_analysis.analysis.report import check_exercise
    from workout_analysis.errors import WorkoutError
    from workout_analysis.exercises import ORIGINAL_CLASSES

    assert check_exercise(given) == expected
    assert all(check_exercise(original) == ours for ours, original in ORIGINAL_CLASSES.items())
    for unknown in ("pommelhorse", "rest", "yoga"):  # "rest" is no exercise to count
        with pytest.raises(WorkoutError, match="unknown exercise"):
            check_exercise(unknown)


def _recognition(main: str, *segments: tuple[str, float, float, float]):
    """A verdict with these (exercise, start_s, end_s, confidence) segments, ``main`` the exercise."""
    from workout_analysis.analysis.classify import Recognition, Segment

    return Recognition(main, 0.5, segments=[Segment(a, b, e, c) for e, a, b, c in segments])


def test_one_set_with_a_long_unsure_other_exercise_counts_every_rep():
    """A model unsure of a person names part of one set as another exercise (RepCount-A: mostly 0.2-0.3
    sure): every rep still counts. Sessions 2-3 cut at 10 s of one other exercise and lost these."""
    from workout_analysis.analysis.report import _reps_and_form, counted_part
    from workout_analysis.synth import generate

    seq, truth = generate("squat", seed=5, reps=10, view="side")
    cut = float(seq.timestamps[len(seq) // 3])
    end = float(seq.timestamps[-1]) + 1 / seq.fps
    rec = _recognition("squat", ("deadlift", 0.0, cut, 0.26), ("squat", cut, end, 0.6))
    assert cut >= 10.0 and counted_part(seq, rec) is seq
    assert _reps_and_form(seq, rec)[0].count == truth.reps
    assert counted_part(seq, rec, min_other_confidence=0.2) is not seq  # a surer "other" would cut


def test_two_exercises_count_only_the_main_ones_reps():
    """Squats then lunges, the lunges named as three similar classes (each under 7.5 s): their time is summed,
    the video cut to the squats' span, and only the squats counted (the lunges bend the knees too)."""
    from workout_analysis.analysis.reps import count_reps
    from workout_analysis.analysis.report import _reps_and_form, counted_part
    from workout_analysis.sequence import PoseSequence
    from workout_analysis.synth import generate

    squats, truth = generate("squat", seed=5, reps=6, view="side", size_known=False)
    lunges, _ = generate("lunge", seed=6, reps=4, view="side", size_known=False)
    seq = PoseSequence(np.concatenate([squats.landmarks, lunges.landmarks]), squats.fps)
    split = (len(squats) - 0.5) / seq.fps  # between the two sets' frames
    end = len(seq) / seq.fps
    third = (end - split) / 3
    rec = _recognition("squat", ("squat", 0.0, split, 0.7), ("lunge", split, split + third, 0.45),
                       ("split_squat", split + third, split + 2 * third, 0.35),
                       ("side_leg_raise", split + 2 * third, end, 0.4))  # fmt: skip
    assert third < 7.5 <= end - split
    assert count_reps(seq, "squat").count > truth.reps  # counted whole, the lunges add reps
    assert len(counted_part(seq, rec)) == len(squats)
    assert _reps_and_form(seq, rec)[0].count == truth.reps


def test_counted_part_without_a_main_exercise_or_its_segments_is_the_whole_sequence():
    """Other exercises decoded for long, but nothing recognised, or no segment of the main exercise (a
    Recognition built by hand): no span to cut to, the whole sequence (was an IndexError)."""
    from workout_analysis.analysis.report import counted_part
    from workout_analysis.synth import generate

    seq, _ = generate("squat", seed=5, reps=4, view="side")
    end = len(seq) / seq.fps
    for main in ("squat", "no_exercise"):
        assert counted_part(seq, _recognition(main, ("lunge", 0.0, end, 0.9))) is seq
    assert len(counted_part(seq, _recognition("squat", ("lunge", 0.0, end / 2, 0.9), ("squat", end / 2, end, 0.9)))) < len(seq)


def test_a_model_without_a_no_exercise_class_says_it_cannot_reject():
    """A model trained on a few class folders names whatever moves as one of them: the report says so (a user's
    4-class model called a pull-up a squat, 100 % sure). The embedded model, which has the class, gets no such line."""
    from toy import toy_sequence, toy_sequences

    from workout_analysis.train import TrainConfig, fit

    config = TrainConfig.for_model("tcn", epochs=2, windows_per_class=40, hop=10)
    bundle, _ = fit(toy_sequences(2), None, ["arm_raise", "squat"], config, progress=False)
    seq = toy_sequence("squat", 7)
    warning = next(w for w in analyze(seq, bundle).warnings if "no 'no exercise' class" in w)
    assert "knows only 2 exercises (arm raise, squat)" in warning
    assert not any("no 'no exercise' class" in w for w in analyze(seq).warnings)
