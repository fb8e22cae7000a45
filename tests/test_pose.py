"""Pose extraction with the real MediaPipe model bundle on real shared clips."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest
from conftest import shared_clip_frames, shared_path, write_test_video

from workout_analysis.errors import WorkoutError
from workout_analysis.pose import DetectedPose, PoseEstimator, _follow, extract_sequence, pose_model_path
from workout_analysis.render import write_video
from workout_analysis.sequence import LANDMARK_INDEX

CLIP = ("videos", "squat", "spotter__ezgif-82e53c7736a3c4fc.mp4")  # 26 frames, 500x500, 25 fps, one woman


def test_model_bundle_is_built_once_from_the_wheel(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WORKOUT_MODEL_CACHE", str(tmp_path))
    path = pose_model_path()
    assert path.parent == tmp_path and path.name.startswith("pose_landmarker_full-mediapipe-")
    with zipfile.ZipFile(path) as bundle:
        assert sorted(bundle.namelist()) == ["pose_detector.tflite", "pose_landmarks_detector.tflite"]
        # The normalisation metadata is what the tasks API needs and the wheel's bare models lack.
        assert b"TFLITE_METADATA" in bundle.read("pose_detector.tflite")
    assert list(tmp_path.iterdir()) == [path]  # no temporary left behind
    mtime = path.stat().st_mtime_ns
    assert pose_model_path() == path and path.stat().st_mtime_ns == mtime


@pytest.fixture(scope="module")
def squat() -> object:
    return extract_sequence(shared_path(*CLIP))


def test_extract_sequence_finds_a_plausible_pose(squat) -> None:
    seq = squat
    assert len(seq) == 26 and seq.fps == pytest.approx(25.0)
    assert seq.has_pose.mean() > 0.9
    assert np.allclose(seq.timestamps, np.arange(26) / 25.0)
    assert seq.meta["width"] == 500 and seq.meta["height"] == 500 and seq.meta["source"].endswith(CLIP[-1])
    lm = seq.landmarks[seq.has_pose]
    assert np.nanmin(lm[..., :2]) > -0.2 and np.nanmax(lm[..., :2]) < 1.2
    assert 0.0 <= np.nanmin(lm[..., 3]) and np.nanmax(lm[..., 3]) <= 1.0
    # Upright person: nose above hips above ankles (image y grows downwards).
    y = np.nanmedian(lm[..., 1], axis=0)
    assert y[LANDMARK_INDEX["nose"]] < y[LANDMARK_INDEX["left_hip"]] < y[LANDMARK_INDEX["left_ankle"]]
    # World landmarks are hip-centred metres: hips about 0.2-0.4 m apart, everything within 1.5 m.
    world = seq.world[seq.has_pose]
    hips = np.linalg.norm(world[:, LANDMARK_INDEX["left_hip"]] - world[:, LANDMARK_INDEX["right_hip"]], axis=1)
    assert 0.15 < np.median(hips) < 0.5 and np.abs(world).max() < 1.5


def test_stride_keeps_every_nth_frame_with_source_times(squat) -> None:
    seq = extract_sequence(shared_path(*CLIP), stride=4)
    assert len(seq) == 7 and seq.meta["stride"] == 4 and seq.fps == 25.0 / 4
    assert np.allclose(seq.timestamps, np.arange(0, 26, 4) / 25.0)
    assert seq.has_pose.all()
    # Same frames as the full run, so nearly the same landmarks (tracking history differs a little).
    assert np.nanmax(np.abs(seq.xyz[:, :, :2] - squat.xyz[::4, :, :2])) < 0.05


def _phone_style_copy(clip: tuple[str, ...], fps: float, out: Path) -> None:
    """The shared ``clip`` as a phone stores a portrait video: each frame turned a quarter counter-clockwise, with
    the track's display matrix saying "turn it back a quarter clockwise" (what ffprobe reports as rotation -90)."""
    import struct

    write_video((np.ascontiguousarray(np.rot90(frame, 1)) for frame in shared_clip_frames(*clip)), out, fps)
    data = bytearray(out.read_bytes())
    tkhd = data.find(b"tkhd")
    assert data[tkhd + 4] == 0  # version 0: the matrix sits 40 bytes after the version and flags
    struct.pack_into(">9i", data, tkhd + 4 + 40, 0, 1 << 16, 0, -(1 << 16), 0, 0, 0, 0, 1 << 30)
    out.write_bytes(bytes(data))


def test_a_phone_clip_stored_on_its_side_is_turned_upright(tmp_path: Path) -> None:
    clip = ("videos", "squat", "spotter__squat-james-smith.mp4")  # 360x640 portrait, 82 frames at 25 fps
    phone = tmp_path / "portrait.mp4"
    _phone_style_copy(clip, 25.0, phone)
    seq, original = extract_sequence(phone), extract_sequence(shared_path(*clip))
    assert (seq.meta["width"], seq.meta["height"]) == (360, 640) and seq.has_pose.mean() > 0.9
    y = np.nanmedian(seq.landmarks[seq.has_pose][..., 1], axis=0)  # upright, as in the clip itself
    assert y[LANDMARK_INDEX["nose"]] < y[LANDMARK_INDEX["left_hip"]] < y[LANDMARK_INDEX["left_ankle"]]
    both = seq.has_pose & original.has_pose
    assert np.nanmedian(np.abs(seq.xyz[both, :, :2] - original.xyz[both, :, :2])) < 0.02


def test_non_square_pixels_are_shown_as_a_player_shows_them(tmp_path: Path) -> None:
    """Anamorphic video (15 of the shared clips: 960x640 frames of 3:8 pixels, shown as 360x640) is scaled back: a
    person stretched to twice their width was found in about half the frames of such a clip."""
    if shutil.which("ffmpeg") is None:
        pytest.skip("ffmpeg is not installed (apt install ffmpeg)")
    clip = ("videos", "squat", "spotter__squat-james-smith.mp4")  # 360x640
    wide = tmp_path / "anamorphic.mp4"  # stored 720x640, pixels half as wide as tall: shown 360x640 again
    subprocess.run(["ffmpeg", "-v", "error", "-i", str(shared_path(*clip)), "-vf", "scale=720:640,setsar=1/2",
                    "-c:v", "mpeg4", "-q:v", "2", str(wide)], check=True)  # fmt: skip
    seq, original = extract_sequence(wide), extract_sequence(shared_path(*clip))
    assert (seq.meta["width"], seq.meta["height"]) == (360, 640) and seq.has_pose.mean() > 0.9
    both = seq.has_pose & original.has_pose
    assert np.nanmedian(np.abs(seq.xyz[both, :, :2] - original.xyz[both, :, :2])) < 0.02


def test_mediapipe_native_warnings_do_not_reach_the_user() -> None:
    """It logs on its first call and on the first that tracks a person ("Using NORM_RECT without IMAGE_DIMENSIONS"),
    which landed in the middle of the progress bar."""
    clip = shared_path("videos", "bicep_curl", "vengaza__curls3.mp4")  # the tracking warning comes on frame 1
    script = ("import itertools, sys; from workout_analysis.pose import PoseEstimator; from workout_analysis.video import "
              f"VideoReader\nwith VideoReader({str(clip)!r}) as r, PoseEstimator() as p:\n"
              "    found = sum(bool(p.detect(f.rgb, f.timestamp)) for f in itertools.islice(r, 8))\n"
              "print('frames with a pose:', found, file=sys.stderr)")  # fmt: skip
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0 and proc.stderr.strip() in [f"frames with a pose: {n}" for n in (6, 7, 8)], proc.stderr


def test_threads_finding_poses_at_once_leave_stderr_as_it_was() -> None:
    """Silencing MediaPipe redirects the process's descriptor 2; threads each saving and restoring it used to leave
    it on /dev/null for good (four live sessions at once, as an app serving several phones would run them), and the
    app's own errors vanished."""
    script = ("import os, threading\nimport numpy as np\nfrom workout_analysis.live import LiveSession\n"
              "def work():\n    with LiveSession(fps=30, exercise='squat') as session:\n"
              "        for k in range(3):\n            session.push_frame(np.zeros((360, 640, 3), np.uint8), k / 30)\n"
              "threads = [threading.Thread(target=work) for _ in range(4)]\n"
              "[t.start() for t in threads]\n[t.join() for t in threads]\nos.write(2, b'stderr still there')\n")  # fmt: skip
    for _ in range(2):  # a race: twice, to catch it more often than not
        proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
        assert proc.returncode == 0 and proc.stderr.endswith("stderr still there"), proc.stderr


def test_stderr_silencing_overlapping_in_two_threads_restores_it_whatever_the_order() -> None:
    """The race of the test above made certain: A in, B in, A out, B out. Saving and restoring per caller, B saved
    /dev/null and put it back last; an exception inside must restore stderr too."""
    import os
    import threading

    from workout_analysis.video import native_stderr_silenced

    def where() -> tuple[int, int]:
        info = os.fstat(2)
        return info.st_dev, info.st_ino

    real, null = where(), os.stat(os.devnull)
    a_in, b_in, a_out = threading.Event(), threading.Event(), threading.Event()
    inside: list[tuple[int, int]] = []

    def a() -> None:
        with native_stderr_silenced():
            a_in.set()
            b_in.wait(5)
        a_out.set()

    def b() -> None:
        a_in.wait(5)
        with native_stderr_silenced():
            b_in.set()
            a_out.wait(5)
            inside.append(where())  # A has left; B is still inside: still silenced

    threads = [threading.Thread(target=a), threading.Thread(target=b)]
    [t.start() for t in threads]
    [t.join(10) for t in threads]
    assert inside == [(null.st_dev, null.st_ino)] and where() == real
    with pytest.raises(RuntimeError), native_stderr_silenced():
        raise RuntimeError("inside")
    assert where() == real


def test_pose_is_found_in_a_process_without_stderr() -> None:
    """A daemon may run with descriptor 2 closed: silencing MediaPipe used to fail on os.dup(2) there."""
    script = ("import os, numpy as np\nos.close(2)\nfrom workout_analysis.pose import PoseEstimator\n"
              "with PoseEstimator() as p:\n    p.detect(np.zeros((64, 64, 3), np.uint8), 0.0)\nprint('ok')")  # fmt: skip
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert proc.stdout.strip() == "ok"


def test_no_person_gives_nan_frames(tmp_path: Path) -> None:
    seq = extract_sequence(write_test_video(tmp_path / "empty_room.mp4", 8))
    assert len(seq) == 8 and not seq.has_pose.any()
    assert np.isnan(seq.landmarks).all() and np.isnan(seq.world).all()


def test_estimator_accepts_repeated_timestamps_and_reports_progress() -> None:
    frames = []
    seq = extract_sequence(shared_path(*CLIP), stride=13, progress=frames.append)
    assert sum(frames) == len(seq) == 2
    rgb = np.zeros((64, 64, 3), np.uint8)
    with PoseEstimator() as estimator:
        # VIDEO mode needs strictly increasing timestamps; the estimator makes equal ones so.
        assert estimator.detect(rgb, 0.0) == [] and estimator.detect(rgb, 0.0) == []
    with pytest.raises(WorkoutError, match="num_poses must be 1 or more"):
        PoseEstimator(num_poses=0)


def _pose(cx: float, cy: float, half: float) -> DetectedPose:
    """A fake person: 33 landmarks spread over a box of half-size ``half`` centred at (cx, cy)."""
    rng = np.random.default_rng(0)
    xy = np.column_stack([cx + rng.uniform(-half, half, 33), cy + rng.uniform(-half, half, 33)])
    xy[[11, 12, 23, 24]] = [cx, cy]  # shoulders and hips on the centre
    image = np.column_stack([xy, np.zeros(33), np.ones(33)]).astype(np.float32)
    return DetectedPose(image, np.zeros((33, 3), np.float32))


def test_most_prominent_person_first_then_followed() -> None:
    big_centre, small_side, big_corner = _pose(0.5, 0.5, 0.3), _pose(0.2, 0.5, 0.1), _pose(0.15, 0.15, 0.14)
    assert big_centre.prominence > small_side.prominence
    assert big_centre.prominence > big_corner.prominence
    ranked = sorted([small_side, big_corner, big_centre], key=lambda p: -p.prominence)
    assert ranked[0] is big_centre
    assert _follow([], None) is None
    assert _follow(ranked, None) is big_centre
    # Once a person is followed, the nearest one stays chosen even when another becomes more prominent.
    followed = _pose(0.22, 0.5, 0.1)
    assert _follow([big_centre, followed], small_side) is followed


def test_unwritable_model_cache_is_a_one_line_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "file").write_text("x")
    monkeypatch.setenv("WORKOUT_MODEL_CACHE", str(tmp_path / "file" / "models"))
    with pytest.raises(WorkoutError, match="pose model cannot be written there; set WORKOUT_MODEL_CACHE"):
        pose_model_path()
