"""Several people in one video: each keeps their number from frame to frame (PeopleTracker), and each is
analysed on their own (`workout analyze --people N`). The real test is two real shared clips put side by
side: the person found on the left must be the left clip's person, frame by frame."""

import json
import subprocess
import sys

import cv2
import numpy as np
import pytest
from conftest import shared_path

from workout_analysis.pose import DetectedPose, PeopleTracker, extract_people, extract_sequence
from workout_analysis.synth import generate

LEFT = ("videos", "squat", "prakhar__Bodyweight_Squats.mp4")  # 540 x 960, one person
RIGHT = ("videos", "bicep_curl", "prakhar__Heavy_Barbell_Curl.mp4")  # 540 x 960, one person
FRAMES = 120
HALF = (270, 480)  # each clip's size in the joined video


def person_at(image: np.ndarray, dx: float) -> DetectedPose:
    moved = image.copy()
    moved[:, 0] = moved[:, 0] * 0.4 + dx
    return DetectedPose(moved, np.zeros((33, 3), np.float32))


def test_tracker_keeps_numbers_through_swaps_and_short_absences():
    seq, _ = generate("squat", seed=3, noise=0.0)
    frames = seq.landmarks[:60]
    tracker = PeopleTracker()
    ids = []
    for i, image in enumerate(frames):
        left, right = person_at(image, 0.0), person_at(image, 0.55)
        if 20 <= i < 35:  # the person on the right leaves for half a second
            poses = [left]
        else:
            poses = [right, left] if i % 2 else [left, right]  # MediaPipe's order is not stable
        found = tracker.update(poses, i / 30)
        ids.append({k: float(p.centre[0]) for k, p in found.items()})
    assert tracker.tracks == 2
    assert all(x < 0.5 for frame in ids for k, x in frame.items() if k == 0)
    assert all(x > 0.5 for frame in ids for k, x in frame.items() if k == 1)
    assert all(len(frame) == (1 if 20 <= i < 35 else 2) for i, frame in enumerate(ids))
    stranger = person_at(frames[0], 0.3)
    stranger.image[:, 1] += 0.5  # far below both: a new person
    assert 2 in tracker.update([stranger], 61 / 30)


@pytest.fixture(scope="module")
def joined(tmp_path_factory):
    """The first FRAMES frames of two one-person clips side by side, and each clip alone at that size."""
    folder = tmp_path_factory.mktemp("people")
    readers = [cv2.VideoCapture(str(shared_path(*clip))) for clip in (LEFT, RIGHT)]
    paths = {name: folder / f"{name}.mp4" for name in ("joined", "left", "right")}
    writers = {name: cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), 30.0,
                                     (2 * HALF[0], HALF[1]) if name == "joined" else HALF)
               for name, path in paths.items()}  # fmt: skip
    for _ in range(FRAMES):
        halves = [cv2.resize(r.read()[1], HALF) for r in readers]
        writers["joined"].write(np.hstack(halves))
        writers["left"].write(halves[0])
        writers["right"].write(halves[1])
    for w in writers.values():
        w.release()
    return paths


@pytest.mark.slow
def test_each_person_of_a_joined_video_is_the_person_of_their_clip(joined):
    people = extract_people(joined["joined"], 2)
    assert len(people) == 2 and [p.meta["person"] for p in people] == [1, 2]
    assert all(p.has_pose.mean() > 0.95 and p.meta["width"] == 2 * HALF[0] for p in people)
    by_side = sorted(people, key=lambda p: np.nanmedian(p.landmarks[:, :, 0]))
    for person, side, offset in zip(by_side, ("left", "right"), (0.0, 0.5)):
        alone = extract_sequence(joined[side])
        both = person.has_pose & alone.has_pose
        x = person.landmarks[both, :, 0]
        assert np.all((x > offset - 0.05) & (x < offset + 0.55))  # never the other person, in any frame
        expected = alone.landmarks[both, :, :2] * [0.5, 1.0] + [offset, 0.0]
        error = np.abs(person.landmarks[both, :, :2] - expected)[alone.landmarks[both, :, 3] > 0.8]
        assert np.median(error) < 0.01  # the same landmarks as the clip alone, up to MediaPipe's jitter


@pytest.mark.slow
def test_analyze_people_json_and_its_errors(joined, tmp_path):
    def workout(*args):
        return subprocess.run([sys.executable, "-m", "workout_analysis.cli", "analyze", *map(str, args)],
                              capture_output=True, text=True, timeout=300)  # fmt: skip

    proc = workout(joined["joined"], "--people", "2", "--json")
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["schema_version"] == 1 and [p["person"] for p in out["people"]] == [1, 2]
    names = [p["input"] for p in out["people"]]  # each person says where they are: one on each side
    sides = [name.removeprefix(f"{joined['joined']} (person {k}, on the ").removesuffix(")") for k, name in enumerate(names, 1)]
    assert sorted(sides) == ["left", "right"], names
    assert all(p["frames_with_pose"] > 0.95 * FRAMES and p["reps"] is not None for p in out["people"])
    npz = tmp_path / "one.npz"
    generate("squat", seed=1)[0].save(npz)
    for args, words in (((npz, "--people", "2"), "--people needs a video"),
                        ((joined["joined"], "--people", "0"), "--people must be 1 or more")):  # fmt: skip
        bad = workout(*args)
        assert bad.returncode == 2 and words in bad.stderr and "Traceback" not in bad.stderr


def test_a_truncated_video_warns_for_each_person(tmp_path):
    """A cut AVI decodes its first frames; each person's analysis carries the warning, as one person's does."""
    from workout_analysis.batch import AnalyzeOptions, analyze_people

    reader = cv2.VideoCapture(str(shared_path(*LEFT)))
    full = tmp_path / "full.avi"
    writer = cv2.VideoWriter(str(full), cv2.VideoWriter_fourcc(*"MJPG"), 30.0, HALF)
    for _ in range(90):
        writer.write(cv2.resize(reader.read()[1], HALF))
    writer.release()
    cut = tmp_path / "cut.avi"
    cut.write_bytes(full.read_bytes()[: full.stat().st_size * 2 // 3])
    people = analyze_people(cut, 2, AnalyzeOptions(exercise="squat"))
    assert people and all(p.warnings and p.warnings[0].startswith(f"{cut}: truncated or corrupt") for p in people)
