"""Synthetic generator: ground truth consistent, bodies anatomically sane, deterministic, same format as extraction."""

from __future__ import annotations

import json

import numpy as np
import pytest

from workout_analysis.cli import main
from workout_analysis.exercises import ALL_EXERCISES, NO_EXERCISE, ORIGINAL_CLASSES
from workout_analysis.features import JOINT_ANGLES, angle_at, metric_xyz
from workout_analysis.sequence import LANDMARK_INDEX, SKELETON_EDGES, load_sequence
from workout_analysis.synth import FAULTS, SYNTH_EXERCISES, GroundTruth, generate
from workout_analysis.synth.motions import MOTIONS, Ctx
from workout_analysis.synth.skeleton import assemble, bone_lengths, sample_body
from workout_analysis.synth.timing import BACK, OUT, REST

# Skeleton edges that are bones: all but the torso's sides (shoulder-hip), which a bending spine changes.
_SIDES = {frozenset((LANDMARK_INDEX[f"{s}_shoulder"], LANDMARK_INDEX[f"{s}_hip"])) for s in ("left", "right")}
BONES = tuple(e for e in SKELETON_EDGES if frozenset(e) not in _SIDES)


@pytest.fixture(scope="module")
def samples():
    """One short clean set and one noisy set of every exercise."""
    return {ex: (generate(ex, seed=3, reps=3, noise=0.0), generate(ex, seed=4, reps=3)) for ex in SYNTH_EXERCISES}


def test_covers_the_original_classes_and_the_asked_extras():
    asked = {"lunge", "jumping_jack", "sit_up", "crunch", "front_raise", "tricep_extension", "mountain_climber"}
    assert set(ORIGINAL_CLASSES) | asked | {NO_EXERCISE} <= set(SYNTH_EXERCISES)
    assert set(SYNTH_EXERCISES) <= set(ALL_EXERCISES) | {NO_EXERCISE}
    for motion in MOTIONS.values():
        assert set(motion.faults) <= set(FAULTS)


def test_ground_truth_is_consistent(samples):
    for ex, pairs in samples.items():
        for seq, truth in pairs:
            t = len(seq)
            assert truth.exercise == ex and seq.meta["exercise"] == ex
            assert truth.phase.shape == truth.progress.shape == (t,)
            assert truth.reps == len(truth.rep_bounds) == (0 if MOTIONS[ex].hold else 3)
            ends = [-1]
            for start, end in truth.rep_bounds:
                assert 0 <= start < end < t and start > ends[-1]  # inside the sequence, in order, disjoint
                ends.append(end)
                assert truth.phase[start] == OUT and truth.phase[end] == BACK
                assert truth.progress[start:end + 1].max() > 0.4  # something moved
            outside = np.ones(t, bool)
            for start, end in truth.rep_bounds:
                outside[start:end + 1] = False
            assert (truth.phase[outside] == REST).all()


def test_range_faults_shorten_only_the_named_reps():
    _, truth = generate("squat", seed=11, reps=8, faults=("shallow_depth",), noise=0.0)
    (name, reps), = truth.faults
    assert name == "shallow_depth" and reps and all(0 <= r < 8 for r in reps)
    peak = np.array([truth.progress[a:b + 1].max() for a, b in truth.rep_bounds])
    named = np.isin(np.arange(8), reps)
    assert peak[named].max() < 0.7 <= peak[~named].min()
    _, truth = generate("push_up", seed=3, reps=6, faults=("incomplete_lockout",), noise=0.0)
    (_, reps), = truth.faults
    end_level = np.array([truth.progress[b] for _, b in truth.rep_bounds])
    assert (end_level[reps] > 0.15).all() and (np.delete(end_level, reps) < 0.06).all()


POSTURE_FAULTS = [(ex, f) for ex, m in MOTIONS.items() if not m.hold for f in m.faults
                  if f not in ("partial_range", "shallow_depth", "incomplete_lockout")]  # fmt: skip


@pytest.mark.parametrize(("exercise", "fault"), POSTURE_FAULTS)
def test_posture_faults_change_only_the_reps_they_name(exercise, fault):
    clean, _ = generate(exercise, seed=8, reps=6, noise=0.0)
    faulty, truth = generate(exercise, seed=8, reps=6, faults=(fault,), noise=0.0)
    (name, reps), = truth.faults
    assert name == fault and reps
    moved = np.linalg.norm(faulty.world - clean.world, axis=-1).max(axis=1)  # (T,) metres
    inside = np.zeros(len(moved), bool)
    for r in reps:
        a, b = truth.rep_bounds[r]
        inside[a:b + 1] = True
        assert moved[a:b + 1].max() > 0.03, f"{fault} barely shows in rep {r}"
    assert moved[~inside].max() < 1e-6


def test_unknown_fault_view_or_exercise_is_refused():
    with pytest.raises(ValueError, match="cannot show fault"):
        generate("squat", faults=("elbows_flared",))
    with pytest.raises(ValueError, match="unknown view"):
        generate("squat", view="ceiling")
    with pytest.raises(ValueError, match="unknown exercise"):
        generate("juggling")
    with pytest.raises(ValueError, match="noise"):
        generate("squat", noise=-1.0)


def test_bone_lengths_constant_and_joints_in_human_range(samples):
    for ex, ((seq, _), _) in samples.items():
        lengths = bone_lengths(seq.world.astype(np.float64), BONES)
        assert np.ptp(lengths, axis=0).max() < 1e-3, ex
        for name in ("left_elbow", "right_elbow", "left_knee", "right_knee"):
            angle = angle_at(seq.world, *JOINT_ANGLES[name])
            assert angle.min() > 25 and angle.max() <= 180.0, (ex, name, angle.min())
        assert seq.world[:, :, 1].std() > 0 and np.isfinite(seq.landmarks).all()


def test_noise_behaves_like_a_detector(samples):
    seq, truth = generate("push_up", seed=5, reps=4, view="side")
    vis = seq.visibility[seq.has_pose]
    assert 0 <= vis.min() and vis.max() <= 1
    far = "left" if truth.camera["azimuth"] < 0 else "right"  # the side turned away from the camera
    near = "right" if far == "left" else "left"
    assert np.nanmean(vis[:, LANDMARK_INDEX[f"{far}_knee"]]) < np.nanmean(vis[:, LANDMARK_INDEX[f"{near}_knee"]])
    for start, end in truth.events["dropouts"]:
        assert not seq.has_pose[start:end + 1].any()


def test_deterministic():
    a, ta = generate("lunge", seed=21, reps=4, faults=("shallow_depth",))
    b, tb = generate("lunge", seed=21, reps=4, faults=("shallow_depth",))
    c, _ = generate("lunge", seed=22, reps=4)
    np.testing.assert_array_equal(a.landmarks, b.landmarks)
    np.testing.assert_array_equal(a.world, b.world)
    assert ta.to_json() == tb.to_json()
    assert len(a) != len(c) or not np.array_equal(a.landmarks, c.landmarks, equal_nan=True)


def test_same_format_as_extraction_and_round_trips(tmp_path):
    seq, truth = generate("bench_press", seed=2, reps=3)
    assert seq.landmarks.dtype == np.float32 and seq.landmarks.shape[1:] == (33, 4)
    assert seq.world.dtype == np.float32 and seq.world.shape == (len(seq), 33, 3)
    assert {"source", "width", "height", "exercise", "seed"} <= set(seq.meta)  # pose.py writes source/width/height
    visible = seq.landmarks[seq.has_pose]
    assert 0.3 < np.nanmedian(visible[..., 0]) < 0.7 and 0.3 < np.nanmedian(visible[..., 1]) < 0.7
    path = tmp_path / "b.npz"
    seq.save(path)
    back = load_sequence(path)
    np.testing.assert_array_equal(back.landmarks, seq.landmarks)
    np.testing.assert_array_equal(back.world, seq.world)
    assert back.fps == seq.fps
    assert GroundTruth.from_sequence(back).to_json() == truth.to_json()


def test_cli_synth_single_file_and_folder(tmp_path, capsys):
    out = tmp_path / "sample_squat.npz"
    assert main(["synth", "--exercise", "squat", "--reps", "8", "--seed", "7", "-o", str(out)]) == 0
    truth = GroundTruth.from_sequence(load_sequence(out))
    assert truth.exercise == "squat" and truth.reps == 8
    assert main(["synth", "--exercise", "plank", "--count", "2", "--seed", "1", "-o", str(tmp_path / "set")]) == 0
    assert sorted(p.name for p in (tmp_path / "set" / "plank").iterdir()) == ["plank_1.npz", "plank_2.npz"]
    assert main(["synth", "--exercise", "squat", "--fault", "elbows_flared", "-o", str(tmp_path / "x.npz")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "elbows_flared" in err[0] and not (tmp_path / "x.npz").exists()
    assert main(["synth", "--exercise", "squat", "--fps", "0", "-o", str(tmp_path / "x.npz")]) == 2
    assert "--fps must be more than 0, got 0.0" in capsys.readouterr().err
    # names as analyze --exercise takes them
    assert main(["synth", "--exercise", "Push-Ups", "--reps", "2", "-o", str(tmp_path / "p.npz")]) == 0
    assert GroundTruth.from_sequence(load_sequence(tmp_path / "p.npz")).exercise == "push_up"


def test_ground_truth_json_is_plain_json():
    _, truth = generate("russian_twist", seed=1, reps=4)
    d = json.loads(truth.to_json())
    assert d["rep_sides"] == ["left", "right", "left", "right"] or d["rep_sides"] == ["right", "left", "right", "left"]
    assert GroundTruth.from_dict(d).rep_bounds == truth.rep_bounds


def test_holds_and_no_exercise_have_no_reps():
    seq, truth = generate("plank", seed=2, faults=("hips_sagging",))
    assert truth.reps == 0 and truth.rep_bounds == [] and truth.hold == (0, len(seq) - 1)
    assert truth.faults == [("hips_sagging", [])]  # a hold's fault covers the whole hold
    for seed in range(4):  # standing, walking, resting, fidgeting
        seq, truth = generate("no_exercise", seed=seed)
        assert truth.reps == 0 and (truth.phase == REST).all() and len(seq) >= 8 * 30 * 0.9


def test_real_sequences_have_no_ground_truth():
    seq, _ = generate("squat", seed=1, reps=1)
    seq.meta.pop("truth")
    assert GroundTruth.from_sequence(seq) is None


def test_arm_exercises_are_sometimes_framed_on_the_upper_body():
    cropped = [generate("bicep_curl", seed=s, reps=2, noise=0.0) for s in range(12)]
    cropped = [(seq, t) for seq, t in cropped if t.camera["cropped"]]
    assert 1 <= len(cropped) <= 9  # about 30 %
    for seq, _ in cropped:
        y = seq.landmarks[..., 1]
        hips = y[:, [LANDMARK_INDEX["left_hip"], LANDMARK_INDEX["right_hip"]]]
        ankles = y[:, [LANDMARK_INDEX["left_ankle"], LANDMARK_INDEX["right_ankle"]]]
        assert 0.0 < y[:, 0].min() and hips.max() < 0.97  # head and hips in the frame
        assert ankles.max() <= 0.97 + 1e-6  # legs guessed inside the bottom edge, as MediaPipe does
    assert not any(generate("squat", seed=s, reps=1)[1].camera["cropped"] for s in range(12))


def _trunk_from_floor(exercise: str, seed: int) -> np.ndarray:
    """Degrees between the hip->shoulder line and the floor over progress 0..1, in the body frame (Y up)."""
    rng = np.random.default_rng(seed)
    p = np.linspace(0.0, 1.0, 11)
    ctx = Ctx(sample_body(rng), rng, p, p, np.ones_like(p))
    points = assemble(ctx.body, MOTIONS[exercise].build(ctx))
    spine = points[:, [LANDMARK_INDEX["left_shoulder"], LANDMARK_INDEX["right_shoulder"]]].mean(1) - points[
        :, [LANDMARK_INDEX["left_hip"], LANDMARK_INDEX["right_hip"]]].mean(1)
    return np.degrees(np.arctan2(spine[:, 1], -spine[:, 2]))  # lying head toward -Z: 0 flat, 90 upright


def test_sit_up_comes_up_to_upright_and_crunch_does_not():
    for seed in range(8):
        sit, crunch = _trunk_from_floor("sit_up", seed), _trunk_from_floor("crunch", seed)
        assert abs(sit[0]) < 12 and abs(crunch[0]) < 12  # both start lying down
        assert 60 <= sit[-1] <= 95, sit[-1]  # trunk near upright
        assert 15 <= crunch[-1] <= 42, crunch[-1]  # only the shoulder blades leave the floor


def test_frame_size_can_be_left_out_like_landmark_files_without_it():
    known, truth = generate("jumping_jack", seed=5, reps=2)
    unknown, truth_u = generate("jumping_jack", seed=5, reps=2, size_known=False)
    assert "width" not in unknown.meta and "height" not in unknown.meta and truth_u.camera["width"] > 0
    np.testing.assert_array_equal(known.landmarks, unknown.landmarks)  # the same set, only the meta differs
    aspect = truth.camera["width"] / truth.camera["height"]
    ratio = np.nanmedian(metric_xyz(unknown)[..., 0] / metric_xyz(known)[..., 0])
    assert ratio == pytest.approx(1 / aspect, rel=1e-3)  # read with aspect 1: x squeezed or stretched
