import numpy as np
import pytest

from workout_analysis import LANDMARK_NAMES, PoseSequence, WorkoutError, load_sequence
from workout_analysis.sequence import MIRROR_INDEX, from_flat


def _random(t=10, seed=0):
    rng = np.random.default_rng(seed)
    return rng.random((t, 33, 4)).astype(np.float32)


def test_mirror_index_swaps_sides_and_keeps_centre():
    assert LANDMARK_NAMES[MIRROR_INDEX[LANDMARK_NAMES.index("left_knee")]] == "right_knee"
    assert MIRROR_INDEX[0] == 0  # nose
    assert sorted(MIRROR_INDEX) == list(range(33))


def test_npz_round_trip_keeps_everything(tmp_path):
    lm = _random()
    lm[3] = np.nan
    world = _random()[..., :3]
    seq = PoseSequence(lm, fps=25.0, world=world, meta={"exercise": "squat"})
    seq.save(tmp_path / "s.npz")
    back = load_sequence(tmp_path / "s.npz")
    np.testing.assert_array_equal(back.landmarks, seq.landmarks)
    np.testing.assert_array_equal(back.world, seq.world)
    assert back.fps == 25.0 and back.meta["exercise"] == "squat"
    assert back.has_pose.tolist() == [i != 3 for i in range(10)]


@pytest.mark.parametrize("shape", [(12, 33, 3), (12, 33, 4), (12, 99)])
def test_npy_shapes_accepted(tmp_path, shape):
    np.save(tmp_path / "a.npy", np.random.default_rng(1).random(shape).astype(np.float32))
    seq = load_sequence(tmp_path / "a.npy", fps=15)
    assert len(seq) == 12 and seq.fps == 15


def test_between_takes_the_frames_of_a_time_span_with_their_own_timestamps():
    seq = PoseSequence(_random(10), fps=10.0)  # frames at 0.0, 0.1, ... 0.9 s
    part = seq.between(0.3, 0.6)
    np.testing.assert_allclose(part.timestamps, [0.3, 0.4, 0.5, 0.6])
    np.testing.assert_array_equal(part.landmarks, seq.landmarks[3:7])
    assert len(seq.between(0.3, 0.3 - 1e-3)) == 0 and len(seq.between(2.0, 3.0)) == 0
    assert len(seq.between(0.0, 1.0)) == 10


def test_all_zero_frame_means_no_pose():
    a = _random(5)[..., :3]
    a[2] = 0
    assert from_flat(a).has_pose.tolist() == [True, True, False, True, True]


@pytest.mark.parametrize(
    "array, problem",
    [(np.zeros((5, 32, 3)), "shape"), (np.full((5, 99), 0.5), None)],
)
def test_wrong_shape_is_one_line_error_naming_file(tmp_path, array, problem):
    if problem is None:
        array[1, 7] = np.nan  # partial NaN: corrupt, not "no pose"
        problem = "NaN"
    path = tmp_path / "bad.npy"
    np.save(path, array)
    with pytest.raises(WorkoutError, match=problem) as err:
        load_sequence(path)
    assert str(path) in str(err.value) and "\n" not in str(err.value)


def test_a_file_of_no_frames_says_so(tmp_path):
    path = tmp_path / "empty.npy"
    np.save(path, np.zeros((0, 33, 4), np.float32))
    with pytest.raises(WorkoutError, match=r"empty\.npy: holds no frames$"):
        load_sequence(path)


def test_text_file_is_not_a_landmark_file(tmp_path):
    path = tmp_path / "notes.npz"
    path.write_text("hello")
    with pytest.raises(WorkoutError, match=r"notes\.npz: not a readable landmark file: not a numpy \.npz array"):
        load_sequence(path)
    complex_values = tmp_path / "complex.npy"
    np.save(complex_values, np.ones((5, 33, 3), complex))
    with pytest.raises(WorkoutError, match="complex128 are not landmark coordinates"):
        load_sequence(complex_values)


def test_damaged_npz_is_one_line_error_and_a_batch_goes_on(tmp_path):
    from workout_analysis.batch import find_inputs

    good = tmp_path / "good.npz"
    np.savez(good, a=np.random.default_rng(0).random((40, 33, 4)).astype(np.float32), b=np.zeros((5, 33, 4)))
    data = good.read_bytes()
    (tmp_path / "truncated.npz").write_bytes(data[:3000])  # a copy cut short
    flipped = bytearray(data)
    flipped[2000] ^= 0xFF  # one byte of the first array's data changed: its CRC no longer matches
    (tmp_path / "corrupt.npz").write_bytes(bytes(flipped))
    for name in ("truncated.npz", "corrupt.npz"):
        with pytest.raises(WorkoutError, match="damaged .npz") as err:
            load_sequence(tmp_path / name, video_id="a")
        assert str(tmp_path / name) in str(err.value) and "\n" not in str(err.value)
    # finding a batch's inputs reads each .npz's names: a damaged one is listed as one item, to fail alone
    items = sorted((i.path.name, i.video_id) for i in find_inputs([tmp_path]))
    assert items == [("corrupt.npz", "a"), ("corrupt.npz", "b"), ("good.npz", "a"), ("good.npz", "b"), ("truncated.npz", None)]


def test_original_training_csv_of_several_exercises_is_not_taken_for_one_sequence(tmp_path):
    import pandas as pd

    from workout_analysis.sequence import ORIGINAL_CSV_COLUMNS

    frames = pd.DataFrame(np.random.default_rng(0).random((6, 99)), columns=list(ORIGINAL_CSV_COLUMNS))
    frames["label"] = ["squat"] * 3 + ["push_up"] * 3
    frames.to_csv(tmp_path / "pose_landmarks_dataset.csv", index=False)
    with pytest.raises(WorkoutError, match="holds frames of 2 exercises .squat, push_up. and no video boundaries"):
        load_sequence(tmp_path / "pose_landmarks_dataset.csv")
    frames.assign(label="squat").to_csv(tmp_path / "one.csv", index=False)
    assert len(load_sequence(tmp_path / "one.csv")) == 6


def test_csv_of_other_columns_names_the_columns_it_expects(tmp_path):
    path = tmp_path / "summary.csv"
    path.write_text("input,exercise,reps\nclip.mp4,squat,5\n")
    with pytest.raises(WorkoutError, match=r"summary\.csv: not a landmark CSV: expected .* x0, y0, \.\.\., z32 .* found 3: input, exercise, reps"):
        load_sequence(path)
    import pandas as pd

    rows = np.random.default_rng(0).random((5, 104))  # RepCount-A's layout, as a CSV: still read
    pd.DataFrame(rows, columns=[f"c{k}" for k in range(104)]).to_csv(tmp_path / "repcount.csv", index=False)
    assert len(load_sequence(tmp_path / "repcount.csv")) == 5


def test_atomic_write_gives_ordinary_permissions_and_leaves_nothing_on_failure(tmp_path):
    import os
    import stat

    from workout_analysis.fileio import atomic_path, atomic_write_text

    atomic_write_text(tmp_path / "a.json", "{}")
    mask = os.umask(0)
    os.umask(mask)
    assert stat.S_IMODE((tmp_path / "a.json").stat().st_mode) == 0o666 & ~mask
    with pytest.raises(RuntimeError), atomic_path(tmp_path / "b.json") as tmp:
        tmp.write_text("half")
        raise RuntimeError("crash mid-write")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.json"]


def test_a_place_that_cannot_be_written_is_one_line_before_any_work(tmp_path, capsys):
    from workout_analysis.cli import main
    from workout_analysis.fileio import atomic_write_text

    (tmp_path / "file").write_text("x")  # a file where a folder should be
    with pytest.raises(WorkoutError, match=r"file: cannot make a folder there \(.*\)$"):
        atomic_write_text(tmp_path / "file" / "a.json", "{}")
    assert main(["synth", "--exercise", "squat", "-o", str(tmp_path / "file" / "s.npz")]) == 2
    assert "file: cannot make a folder there" in capsys.readouterr().err
    # train: before the table is read (it does not exist), not after the training
    assert main(["train", str(tmp_path / "never_read.parquet"), "-o", str(tmp_path / "file")]) == 2
    assert "-o names the bundle's folder, and a file of that name is in the way" in capsys.readouterr().err


def test_timestamps_must_be_finite_and_increasing(tmp_path):
    landmarks = np.full((4, 33, 4), 0.5, np.float32)
    for bad in ([0.0, 0.1, np.nan, 0.3], [0.3, 0.2, 0.1, 0.0], [0.0, 0.1, 0.1, 0.2]):
        with pytest.raises(ValueError, match="timestamps must be finite seconds that increase"):
            PoseSequence(landmarks, 10.0, np.array(bad))
        np.savez(tmp_path / "bad.npz", landmarks=landmarks, timestamps=np.array(bad), fps=np.float64(10.0))
        with pytest.raises(WorkoutError, match=r"bad\.npz: not a readable landmark file: timestamps must be finite"):
            load_sequence(tmp_path / "bad.npz")
