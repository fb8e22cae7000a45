import json

import numpy as np
import pytest
import torch

from toy import CLASSES, toy_sequence
from workout_analysis import WorkoutError
from workout_analysis.bundle import WindowProbs, load_bundle, save_bundle
from workout_analysis.sequence import PoseSequence
from workout_analysis.train import TrainConfig, bundle_for


@pytest.fixture(scope="module")
def bundle():
    torch.manual_seed(0)
    b = bundle_for(TrainConfig.for_model("tcn"), list(CLASSES))
    b.model.eval()
    b.temperature = 1.7
    return b


def _gappy(seed=5, seconds=8.0):
    seq = toy_sequence("squat", seed, seconds=seconds)
    lm = seq.landmarks.copy()
    lm[20:26] = np.nan  # a short gap: filled inside the window
    lm[100:150] = np.nan  # a long one: its windows are left out
    rng = np.random.default_rng(seed)
    ts = np.cumsum(rng.uniform(0.6, 1.4, len(lm))) / 30.0  # irregular frame times
    return PoseSequence(lm, 30.0, ts - ts[0], meta={"width": 640, "height": 480})


def test_window_probabilities_are_distributions_over_the_labels(bundle):
    out = bundle.predict_windows(_gappy())
    assert isinstance(out, WindowProbs) and out.labels == list(CLASSES)
    assert len(out) > 5 and out.probs.shape == (len(out), 2)
    np.testing.assert_allclose(out.probs.sum(axis=1), 1, rtol=1e-5)
    assert (np.diff(out.start) > 0).all() and (out.end - out.start <= 2.0 + 1e-9).all()
    seq = _gappy()
    gap_start, gap_end = seq.timestamps[100], seq.timestamps[149]
    overlap = np.minimum(out.end, gap_end) - np.maximum(out.start, gap_start)
    assert (overlap < 1.0 + 0.1).all()  # windows mostly without a pose are left out...
    assert (out.start > gap_end - 1.0).any()  # ...and the ones after the gap are back


def test_streaming_gives_exactly_the_windows_of_the_whole_pass(bundle):
    seq = _gappy()
    whole = bundle.predict_windows(seq)
    stream = bundle.stream(width=640, height=480)
    parts = [stream.push(lm, t) for lm, t in zip(seq.landmarks, seq.timestamps)]
    assert parts[0] is None and stream.finish() is None
    got = WindowProbs.concat([p for p in parts if p is not None], bundle.labels)
    np.testing.assert_allclose(got.start, whole.start)
    np.testing.assert_allclose(got.end, whole.end)
    np.testing.assert_allclose(got.probs, whole.probs, atol=1e-5)


def test_a_clip_shorter_than_a_window_gets_one_padded_window_in_both_modes(bundle):
    seq = toy_sequence("arm_raise", seed=1, seconds=1.0)
    whole = bundle.predict_windows(seq)
    stream = bundle.stream()
    assert all(stream.push(lm, t) is None for lm, t in zip(seq.landmarks, seq.timestamps))
    last = stream.finish()
    assert len(whole) == 1 and len(last) == 1
    np.testing.assert_allclose(last.probs, whole.probs, atol=1e-5)


def test_no_person_gives_no_windows(bundle):
    empty = PoseSequence(np.full((60, 33, 4), np.nan, np.float32), 30.0)
    assert len(bundle.predict_windows(empty)) == 0


def test_round_trip_keeps_predictions_and_writes_no_pickle(bundle, tmp_path):
    save_bundle(bundle, tmp_path / "m")
    assert sorted(p.name for p in (tmp_path / "m").iterdir()) == ["bundle.json", "weights.safetensors"]
    back = load_bundle(tmp_path / "m")
    assert load_bundle(tmp_path / "m" / "bundle.json").labels == back.labels  # the file names its folder
    seq = _gappy()
    np.testing.assert_array_equal(back.predict_windows(seq).probs, bundle.predict_windows(seq).probs)
    assert (back.kind, back.window, back.hop, back.fps, back.temperature) == ("tcn", 30, 5, 15.0, 1.7)
    meta = json.loads((tmp_path / "m" / "bundle.json").read_text())
    assert len(meta["weights_sha256"]) == 64 and meta["features"]["kind"] == "pose"


def _break(directory, what):
    meta_path, weights = directory / "bundle.json", directory / "weights.safetensors"
    meta = json.loads(meta_path.read_text())
    if what == "tampered":
        data = bytearray(weights.read_bytes())
        data[-1] ^= 1
        weights.write_bytes(bytes(data))
    elif what == "version":
        meta["format_version"] = 99
    elif what == "missing":
        weights.unlink()
    elif what == "shapes":
        meta["labels"].append("extra_class")  # the weights have one output fewer
    elif what == "garbage":
        meta_path.write_text("{not json")
        return
    meta_path.write_text(json.dumps(meta))


@pytest.mark.parametrize(
    "what, message",
    [("tampered", "SHA-256 does not match"), ("version", "bundle format 99"), ("missing", "missing"),
     ("shapes", "inconsistent model bundle: the weights do not match the model and labels bundle.json describes"),
     ("garbage", "not readable")],
)  # fmt: skip
def test_broken_bundles_are_refused_with_one_line_naming_the_file(bundle, tmp_path, what, message):
    save_bundle(bundle, tmp_path / "m")
    _break(tmp_path / "m", what)
    with pytest.raises(WorkoutError, match=message) as err:
        load_bundle(tmp_path / "m")
    assert str(tmp_path / "m") in str(err.value) and "\n" not in str(err.value)


def test_a_model_folder_that_is_not_there_or_is_a_file_is_named_as_such(tmp_path):
    with pytest.raises(WorkoutError, match=r"nope_dir: no such model folder"):
        load_bundle(tmp_path / "nope_dir")
    (tmp_path / "a_file").write_text("x")
    with pytest.raises(WorkoutError, match=r"a_file: is not a model folder"):
        load_bundle(tmp_path / "a_file")


def test_embedded_default_bundle_loads_and_knows_the_exercises():
    b = load_bundle()
    assert {"squat", "push_up", "bicep_curl", "no_exercise"} <= set(b.labels)
    out = b.predict_windows(toy_sequence("squat", seed=0, seconds=5.0))
    assert len(out) > 0 and np.allclose(out.probs.sum(axis=1), 1, atol=1e-5)


@pytest.mark.slow
def test_default_bundle_names_a_real_clip_through_real_mediapipe():
    """The whole chain on a real shared clip: MediaPipe -> windows -> the embedded model. The clip is
    one the default model was trained on (a smoke test of the chain; accuracy is measured in docs/)."""
    from conftest import shared_path

    from workout_analysis.pose import extract_sequence

    seq = extract_sequence(shared_path("videos", "push_up", "pushfit__correct_correct61.mp4"))
    probs = load_bundle().predict_windows(seq)
    assert len(probs) > 0 and probs.labels[int(probs.mean().argmax())] == "push_up"
