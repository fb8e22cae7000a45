"""`workout live` and LiveSession: real MediaPipe on a real shared clip (skipped without it), the Python API
on real landmark sequences, and bad sources."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from conftest import shared_clip_frames, shared_path
from toy import arm_swings_before

from workout_analysis.analysis.reps import RepCounter, count_reps
from workout_analysis.analysis.report import analyze
from workout_analysis.bundle import load_bundle
from workout_analysis.live import LOST_AFTER_S, OVERLAY_COLUMNS, LiveSession
from workout_analysis.render import write_video
from workout_analysis.sequence import PoseSequence
from workout_analysis.synth import generate

CLIP = ("videos", "push_up", "pushfit__correct_correct103.mp4")  # 5 s, 150 frames at 29.97 fps, one person
LONG_CLIP = ("videos", "push_up", "pushfit__wrong_wrong16.mp4")  # 13 s at 25 fps, one person
EVENT_KEYS = {
    "exercise": {"event", "t", "exercise", "previous", "confidence"},
    "rep": {"event", "t", "exercise", "index", "start_s", "end_s", "duration_s", "score", "issues"},
    "hold": {"event", "t", "exercise", "hold_s"},
    "recount": {"event", "t", "exercise", "count", "taken_back"},
    "person_lost": {"event", "t"},
    "person_found": {"event", "t"},
}


def workout(*args: str | Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "workout_analysis.cli", *map(str, args)],
                          capture_output=True, text=True, timeout=300)  # fmt: skip


def events_of(proc: subprocess.CompletedProcess) -> list[dict]:
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.strip().splitlines()
    events = [json.loads(line) for line in lines]  # every line is one JSON object
    assert events[-1]["event"] == "summary" and events[-1]["schema_version"] == 1
    for e in events[:-1]:
        assert set(e) == EVENT_KEYS[e["event"]], e
        for issue in e.get("issues", []):  # as analyze's JSON has them, for apps to style and translate
            assert set(issue) == {"check", "severity", "message", "value"}, issue
    times = [e["t"] for e in events[:-1]]
    assert times == sorted(times)
    return events


@pytest.fixture(scope="module")
def bundle():
    import torch

    torch.set_num_threads(1)  # one window at a time: more threads only fight over the 2 cores
    return load_bundle()


def pushup(key: str) -> PoseSequence:
    with np.load(shared_path("landmarks", "pushfit", "pushups_form.npz"), allow_pickle=False) as data:
        array = data[key].astype(np.float32)
    return PoseSequence(array, 30.0, np.arange(len(array)) / 30.0, None, {})


def run_session(seq: PoseSequence, session: LiveSession) -> tuple[list, object]:
    events = []
    for landmarks, t in zip(seq.landmarks, seq.timestamps):
        events += session.push_landmarks(landmarks, t)
    return events, session.finish()


@pytest.mark.slow
def test_live_on_a_clip_agrees_with_analyze():
    """Live and offline see the same MediaPipe landmarks (VIDEO mode, same frames in order), the streaming
    recogniser equals the offline decoder after the last frame, and a clip shorter than the live buffer is
    counted from all its frames: exercise, probabilities and reps agree exactly. Form scores may not: live,
    a rep is compared only with the reps before it."""
    video = shared_path(*CLIP)
    live = events_of(workout("live", video, "--json"))
    offline = json.loads(workout("analyze", video, "--json").stdout)
    summary = live[-1]
    assert summary["frames"] == offline["frames"] == 150
    assert summary["frames_with_pose"] == offline["frames_with_pose"]
    assert summary["exercise"] == offline["exercise"] == "push_up"
    for name, p in offline["probabilities"].items():
        assert summary["probabilities"][name] == pytest.approx(p, abs=2e-4)
    assert summary["rep_count"] == offline["reps"]["count"] >= 1
    assert [(r["start_s"], r["end_s"]) for r in summary["reps"]] == [(r["start_s"], r["end_s"]) for r in offline["reps"]["reps"]]
    assert [e["exercise"] for e in live if e["event"] == "exercise"] == ["push_up"]
    assert sum(e["event"] == "rep" for e in live) == summary["rep_count"]  # every rep was announced


@pytest.mark.slow
def test_given_exercise_and_annotated_output(tmp_path):
    import cv2

    out = tmp_path / "annotated.mp4"
    proc = workout("live", shared_path(*CLIP), "--exercise", "Push-Up", "-o", out, "--json")
    events = events_of(proc)
    assert not [e for e in events if e["event"] == "exercise"]  # given, not recognised
    assert events[-1]["given"] and events[-1]["counted_as"] == "push_up"
    cap = cv2.VideoCapture(str(out))
    assert cap.isOpened() and int(cap.get(cv2.CAP_PROP_FRAME_COUNT)) == 150
    ok, frame = cap.read()
    assert ok and frame.shape[:2] == (540, 960)
    cap.release()
    assert [p.name for p in tmp_path.iterdir()] == ["annotated.mp4"]  # no temporary left behind


@pytest.mark.parametrize("args,words", [
    (("97",), ["camera 97", "cannot be opened"]),
    (("no_such.mp4",), ["no_such.mp4", "no such file"]),
    (("rtsp://127.0.0.1:9/none",), ["rtsp://127.0.0.1:9/none", "cannot be opened"]),
    (("0", "--max-seconds", "-1"), ["--max-seconds"]),
    (("0", "--exercise", "yoga"), ["unknown exercise"]),
    (("0", "--show"), ["--show", "no window"]),  # DISPLAY points nowhere: Qt would abort the process
])  # fmt: skip
def test_bad_source_is_one_line(args, words):
    proc = subprocess.run([sys.executable, "-m", "workout_analysis.cli", "live", *args], capture_output=True,
                          text=True, timeout=120, env={**os.environ, "DISPLAY": ":97"})  # fmt: skip
    assert proc.returncode == 2 and proc.stdout == ""
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("workout: error: ")
    assert all(w in lines[0] for w in words)


def test_session_on_landmarks_matches_analyze(bundle):
    """18 s of real push-ups: reps are announced while the set goes on, about the counter's delay after
    each ends, and the final reps are those of analyze()."""
    seq = pushup("correct/correct111")
    session = LiveSession(bundle, fps=30.0)
    events, summary = run_session(seq, session)
    offline = analyze(seq, bundle)
    lines = session.overlay()
    assert lines[0] == f"push up | reps {offline.reps.count}" and all(len(line) <= OVERLAY_COLUMNS and line.isascii() for line in lines)
    assert summary.recognition.exercise == offline.recognition.exercise == "push_up"
    assert [(r["start_s"], r["end_s"]) for r in summary.reps] == [(round(r.start_s, 2), round(r.end_s, 2)) for r in offline.reps.reps]
    reps = [e for e in events if e.kind == "rep"]
    assert len(reps) >= offline.reps.count - 2  # all but the last ones come before the end of the stream
    assert [e.data["index"] for e in reps + summary.events] == list(range(1, offline.reps.count + 1))
    late = [e.t - e.data["end_s"] for e in reps if e.t > 11]  # after the 10 s warm-up: steady delay
    assert late and max(late) < 3.0


def test_stage_apis_take_exercise_names_as_analyze_does_and_refuse_bad_input(bundle):
    from workout_analysis import WorkoutError
    from workout_analysis.analysis.form import LiveForm

    seq, _ = generate("squat", seed=3, reps=3)
    assert count_reps(seq, "Squats").method == "exercise" and RepCounter("Squats", 30.0).exercise == "squat"
    assert LiveForm("Squats").exercise == "squat" and LiveSession(exercise="Squats").given == "squat"
    assert RepCounter("Planks", 30.0).hold_s == 0.0  # a hold, timed as 'plank' is
    with pytest.raises(WorkoutError, match="unknown exercise 'squatz'"):
        LiveSession(exercise="squatz")  # given, as to analyze: a typo must not count the whole pose silently
    with pytest.raises(ValueError, match="fps"):
        LiveSession(exercise="squat", fps=0)
    with pytest.raises(ValueError, match=r"\(33, 4\) or \(33, 3\).*\(10, 33, 4\)"):
        RepCounter("squat", 30.0).update(seq.landmarks[:10], 0.0)  # a batch is not a frame
    with pytest.raises(ValueError, match="RGB"):
        LiveSession(bundle).push_frame(np.zeros((48, 64), np.uint8), 0.0)
    with pytest.raises(ValueError, match=r"\(33, 4\) array, got shape \(132,\)"):
        LiveSession(bundle).push_landmarks(seq.landmarks[0].ravel(), 0.0)
    legs_masked = seq.landmarks[0].copy()
    legs_masked[23:] = np.nan  # an app hiding what the phone does not see: NaN confidences and invalid JSON followed
    with pytest.raises(ValueError, match="the landmarks have NaN .* some but not all landmarks: give all 33"):
        LiveSession(bundle).push_landmarks(legs_masked, 0.0)
    nobody = np.full((33, 4), np.nan, np.float32)
    nobody[:, 3] = 0.0  # nobody seen, visibility 0: as files say it (has_pose judges x, y, z)
    assert LiveSession(bundle).push_landmarks(nobody, 0.0) == []
    with pytest.raises(ValueError, match="some but not all landmarks"):
        RepCounter("squat", 30.0).update(legs_masked, 0.0)
    masked = PoseSequence(np.where(np.arange(33)[None, :, None] >= 23, np.nan, seq.landmarks), seq.fps, meta={"source": "app"})
    with pytest.raises(WorkoutError, match="app: frame 0 has NaN"):
        analyze(masked)


def test_a_pushed_frame_gives_its_own_size_over_a_declared_one(bundle):
    """The aspect correction follows the frames: a declared 640x480 on a portrait clip had counted 2 of 3 reps."""
    with LiveSession(bundle, width=640, height=480) as session:
        session.push_frame(np.zeros((960, 540, 3), np.uint8), 0.0)
        assert (session.width, session.height) == (540, 960)


def test_a_session_under_a_second_names_no_exercise_as_analyze_refuses_to(bundle):
    seq = pushup("correct/correct111")
    session = LiveSession(bundle, fps=30.0)
    for landmarks, t in zip(seq.landmarks[:25], seq.timestamps[:25]):  # 0.83 s
        session.push_landmarks(landmarks, t)
    assert not session.finish().recognition.recognised


def test_a_recount_takes_reps_back_in_the_session_too():
    """Arm swings before a squat set, counted live until the squats show the counter's signal: a
    ``recount`` event withdraws them, the rep events after it continue from its count, and the summary
    holds the set's reps only, as count_reps finds them."""
    seq, truth = generate("squat", seed=20, reps=10)
    warmed_up = arm_swings_before(seq)
    session = LiveSession(exercise="squat", fps=warmed_up.fps, width=warmed_up.meta["width"], height=warmed_up.meta["height"])
    events, summary = run_session(warmed_up, session)
    events += summary.events
    recounts = [k for k, e in enumerate(events) if e.kind == "recount"]
    assert recounts and all(events[k].data["taken_back"] > 0 for k in recounts)
    count = 0
    for e in events:  # the running count a display would show
        if e.kind == "recount":
            assert e.data["count"] <= count
            count = e.data["count"]
        elif e.kind == "rep":
            count += 1
            assert e.data["index"] == count
    offline = count_reps(warmed_up, "squat", referee=False)
    assert count == summary.to_dict()["rep_count"] == offline.count == truth.reps
    live_bounds = np.array([(r["start_s"], r["end_s"]) for r in summary.reps])
    assert np.abs(live_bounds - [(r.start_s, r.end_s) for r in offline.reps]).max() < 0.2  # the same reps, to a few frames
    assert "taken back" in events[recounts[0]].to_text()
    # form: the first rep after a recount is compared with no withdrawn rep (the swings' ranges, in another
    # signal's unit, told the squats to use their full range: 8 of 10)
    after = summary.reps[events[recounts[-1]].data["count"]]
    assert "rom" not in [issue["check"] for issue in after["issues"]]


def test_person_lost_and_found(bundle):
    seq = pushup("correct/correct103")
    gap = slice(60, 60 + int(2 * LOST_AFTER_S * 30))
    seq.landmarks[gap] = np.nan
    events, summary = run_session(seq, LiveSession(bundle, exercise="push_up", fps=30.0))
    kinds = [(e.kind, round(e.t, 2)) for e in events if e.kind.startswith("person")]
    assert kinds == [("person_lost", round(seq.timestamps[59] + LOST_AFTER_S, 2)), ("person_found", round(seq.timestamps[gap.stop], 2))]
    assert summary.frames_with_pose == len(seq) - (gap.stop - gap.start)


def test_memory_is_bounded(bundle):
    """A long stream: the replay buffer stays at its size, and so do the recogniser's pending windows."""
    seq = pushup("correct/correct111")
    session = LiveSession(bundle, fps=30.0, window_s=5.0)
    for i in range(2):  # 37 s of stream
        for landmarks, t in zip(seq.landmarks, seq.timestamps + i * 18.4):
            session.push_landmarks(landmarks, t)
    assert len(session.history) == 150 and session.frames == 2 * len(seq)
    assert len(session.recognizer.pending) < 50
    assert session.finish().recognition.exercise == "push_up"


def test_ctrl_c_ends_with_the_summary(tmp_path):
    """A file interrupted after the first event: exit 0, the summary of what was seen.

    LONG_CLIP four times over (52 s), not paced in real time: on a loaded machine, pacing drops frames and the
    first event can come only at the end, and a short clip can be done before the interrupt lands (both
    happened beside other heavy jobs); unpaced, 52 s of video take far longer than the interrupt needs."""
    import signal

    looped, frames = tmp_path / "four_sets.mp4", shared_clip_frames(*LONG_CLIP)
    write_video(frames * 4, looped, 25.0)
    proc = subprocess.Popen([sys.executable, "-m", "workout_analysis.cli", "live", str(looped), "--json"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # fmt: skip
    first = json.loads(proc.stdout.readline())
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0 and "Traceback" not in err
    summary = json.loads(out.strip().splitlines()[-1])
    assert first["event"] == "exercise" and summary["event"] == "summary"
    assert first["t"] <= summary["duration_s"] < 4 * len(frames) / 25.0 - 1  # stopped part-way, after the event
    assert summary["frames"] == round(summary["duration_s"] * 25.0)  # every frame up to there (25 fps, no pacing)


def test_realtime_says_when_it_drops_frames(tmp_path):
    """4K frames, annotated and written, cannot keep up with real time: the frames are dropped, and said to be."""
    import cv2

    big = tmp_path / "uhd.mp4"
    write_video((cv2.resize(frame, (3840, 2160)) for frame in shared_clip_frames(*CLIP)[:50]), big, 25.0)  # 2 s
    proc = workout("live", big, "--realtime", "-o", tmp_path / "out.mp4", "--exercise", "push_up")
    assert proc.returncode == 0, proc.stderr
    dropped = re.search(r"warning: (\d+) of (\d+) frames dropped to keep up with real time", proc.stderr)
    assert dropped and int(dropped[1]) > 0.05 * int(dropped[2])
    unpaced = workout("live", big, "-o", tmp_path / "out.mp4", "--exercise", "push_up")
    assert unpaced.returncode == 0 and "dropped" not in unpaced.stderr
