"""The window decoder: segments in order, no flicker, 'no exercise recognised', streaming == offline."""

from dataclasses import dataclass

import numpy as np
import pytest

from workout_analysis.analysis.classify import DecoderConfig, Recognition, StreamingRecognizer, recognise

LABELS = ["squat", "push_up", "lunge", "no_exercise"]
HOP, WINDOW = 0.5, 2.0


@dataclass
class Windows:
    start: np.ndarray
    end: np.ndarray
    probs: np.ndarray
    labels: list


def windows(truth: list[str], noise: float = 0.3, seed: int = 0, labels=LABELS) -> Windows:
    """Windows every HOP seconds whose probabilities favour ``truth`` plus uniform noise."""
    rng = np.random.default_rng(seed)
    p = np.full((len(truth), len(labels)), 0.02)
    p[np.arange(len(truth)), [labels.index(c) for c in truth]] = 1.0
    p += rng.random(p.shape) * noise
    start = np.arange(len(truth)) * HOP
    return Windows(start, start + WINDOW, p / p.sum(1, keepdims=True), list(labels))


def runs(rec: Recognition) -> list[str]:
    return [s.exercise for s in rec.segments]


def test_joined_sequence_yields_its_segments_in_order():
    w = windows(["squat"] * 20 + ["no_exercise"] * 8 + ["push_up"] * 20 + ["lunge"] * 16)
    rec = recognise(w, start_s=0.0, end_s=float(w.end[-1]))
    assert runs(rec) == ["squat", "no_exercise", "push_up", "lunge"]
    # Boundaries halfway between the last window of one exercise and the first of the next (centres).
    assert [round(s.start_s, 2) for s in rec.segments] == [0.0, 10.75, 14.75, 24.75]
    assert rec.segments[-1].end_s == pytest.approx(w.end[-1])
    assert rec.exercise == "squat" or rec.exercise == "push_up"  # 10.75 s each; ties go to the likelier
    assert all(0.5 < s.confidence <= 1 for s in rec.segments)


def test_flickery_probabilities_give_no_flicker():
    # The two best classes trade places window by window; the argmax flickers, the decoder must not.
    rng = np.random.default_rng(3)
    p = np.tile([0.44, 0.36, 0.1, 0.1], (40, 1))
    flip = rng.random(40) < 0.4
    p[flip] = [0.36, 0.44, 0.1, 0.1]
    start = np.arange(40) * HOP
    w = Windows(start, start + WINDOW, p, LABELS)
    assert np.count_nonzero(np.diff(p.argmax(1))) > 10
    rec = recognise(w, DecoderConfig(min_confidence=0.3))
    assert runs(rec) == ["squat"]


def test_segments_are_never_shorter_than_the_minimum():
    truth = ["squat"] * 12 + ["push_up"] * 2 + ["squat"] * 12  # a 1 s blip in a squat set
    rec = recognise(windows(truth, noise=0.1), DecoderConfig(min_segment_s=2.0))
    assert runs(rec) == ["squat"]
    rec = recognise(windows(truth, noise=0.1), DecoderConfig(min_segment_s=0.5, switch_penalty=1.0))
    assert runs(rec) == ["squat", "push_up", "squat"]


def test_still_person_is_no_exercise_recognised():
    # A model with a no_exercise class that says so.
    rec = recognise(windows(["no_exercise"] * 30))
    assert not rec.recognised and rec.exercise == "no_exercise" and runs(rec) == ["no_exercise"]
    assert rec.describe() == "no exercise recognised"
    # A model without that class, unsure among its classes: rejected below min_confidence, not guessed.
    labels = ["squat", "push_up", "lunge", "plank", "deadlift", "bicep_curl", "pull_up", "shrug"]
    rng = np.random.default_rng(1)
    p = rng.dirichlet(np.full(len(labels), 8.0), size=30)  # every class near 12 %
    assert p.max() < 0.3 and (p.max(axis=1) > DecoderConfig().min_confidence).mean() > 0.3  # argmax would guess
    start = np.arange(30) * HOP
    rec = recognise(Windows(start, start + WINDOW, p, labels))
    assert not rec.recognised and rec.to_dict()["segments"][0]["exercise"] == "no_exercise"
    # The same model, sure of itself, is believed.
    rec = recognise(windows(["plank"] * 30, labels=labels))
    assert rec.exercise == "plank" and rec.confidence > 0.4


def test_time_without_windows_is_no_exercise():
    # Nobody in the frame from 10 s to 20 s: the model gives no windows there; the set must not be
    # stretched across the gap, and time before the first window is no exercise either.
    w = windows(["squat"] * 60, noise=0.1)
    kept = (w.start < 10) | (w.start >= 20)
    w = Windows(w.start[kept] + 5, w.end[kept] + 5, w.probs[kept], LABELS)  # last window ends at 36.5 s
    rec = recognise(w, start_s=0.0, end_s=50.0, hop_s=HOP)
    assert runs(rec) == ["no_exercise", "squat", "no_exercise", "squat", "no_exercise"]
    assert [round(s.start_s) for s in rec.segments] == [0, 6, 16, 26, 36]  # halfway between window centres
    assert rec.segments[-1].end_s == 50.0
    assert rec.probabilities["squat"] > 0.8  # empty windows do not dilute the probabilities
    # The model's last window ends where the input does: nothing is added after it.
    assert runs(recognise(w, start_s=0.0, end_s=36.5, hop_s=HOP))[-1] == "squat"


def test_no_window_at_all_is_one_no_exercise_segment():
    empty = Windows(np.zeros(0), np.zeros(0), np.zeros((0, 4)), LABELS)
    rec = recognise(empty, start_s=0.0, end_s=1.5)
    assert not rec.recognised and rec.to_dict()["segments"] == [
        {"start_s": 0.0, "end_s": 1.5, "exercise": "no_exercise", "confidence": None}
    ]
    online = StreamingRecognizer(LABELS, HOP, start_s=0.0)
    assert online.result(1.5).to_dict() == rec.to_dict()


def test_runner_ups_and_dict_schema():
    rec = recognise(windows(["lunge"] * 30, noise=0.4))
    d = rec.to_dict()
    assert set(d) == {"exercise", "recognised", "given", "confidence", "runner_ups", "probabilities", "segments"}
    assert d["exercise"] == "lunge" and d["recognised"] and not d["given"]
    assert [r["exercise"] for r in d["runner_ups"]] == [c for c in d["probabilities"] if c not in ("lunge", "no_exercise")]
    assert sum(d["probabilities"].values()) == pytest.approx(1.0, abs=1e-3)
    assert list(d["probabilities"].values()) == sorted(d["probabilities"].values(), reverse=True)
    assert set(d["segments"][0]) == {"start_s", "end_s", "exercise", "confidence"}


def test_given_exercise_skips_the_model():
    rec = Recognition.from_given("squat", 0.0, 12.0)
    assert rec.given and rec.confidence is None and rec.describe() == "squat (given)"
    assert rec.to_dict()["segments"] == [{"start_s": 0.0, "end_s": 12.0, "exercise": "squat", "confidence": None}]


def _stream(w: Windows, config: DecoderConfig, end_s: float, peek_every: int = 0) -> tuple[Recognition, int]:
    rec = StreamingRecognizer(w.labels, HOP, config, start_s=0.0)
    most = 0
    for i in range(len(w.start)):
        rec.push_windows(Windows(w.start[i : i + 1], w.end[i : i + 1], w.probs[i : i + 1], w.labels))
        most = max(most, len(rec.pending))
        if peek_every and i % peek_every == 0:
            rec.result()  # looking must not disturb the stream
    return rec.result(end_s), most


def test_streaming_equals_offline_on_random_inputs():
    rng = np.random.default_rng(7)
    for trial in range(80):
        n = int(rng.integers(1, 80))
        p = rng.dirichlet(np.full(4, rng.uniform(0.1, 2.0)), size=n)
        start = np.arange(n) * HOP
        kept = rng.random(n) > rng.uniform(0.0, 0.3)  # windows without enough pose are missing
        w = Windows(start[kept], start[kept] + WINDOW, p[kept], LABELS)
        config = DecoderConfig(rng.uniform(0.2, 0.7), rng.uniform(0.0, 8.0), rng.uniform(0.0, 4.0))
        end_s = n * HOP + WINDOW + float(rng.choice([0.0, 3.0]))  # with or without an empty tail
        online, _ = _stream(w, config, end_s, peek_every=7)
        assert online.to_dict() == recognise(w, config, 0.0, end_s, HOP).to_dict(), trial


def test_streaming_memory_stays_bounded_on_a_long_stream():
    truth = (["squat"] * 60 + ["no_exercise"] * 20 + ["push_up"] * 60) * 10  # 1400 windows, ~12 min
    w = windows(truth, noise=0.3, seed=2)
    online, most = _stream(w, DecoderConfig(), float(w.end[-1]))
    assert most < 40  # undecided windows only, not the whole stream
    assert online.to_dict() == recognise(w, start_s=0.0, end_s=float(w.end[-1])).to_dict()
    assert len(online.segments) == 30


def test_streaming_through_the_default_model_equals_offline():
    """Frame by frame through the embedded model's own stream, on a real sequence: the same answer."""
    from conftest import shared_path

    from workout_analysis.bundle import load_bundle
    from workout_analysis.sequence import PoseSequence

    with np.load(shared_path("landmarks", "pushfit", "pushups_form.npz"), allow_pickle=False) as data:
        landmarks = data["correct/correct103"].astype(np.float32)
    seq = PoseSequence(np.concatenate([landmarks, landmarks[::-1]]), fps=30.0)  # 10 s
    bundle = load_bundle()
    end_s = len(seq) / seq.fps
    offline = recognise(bundle.predict_windows(seq), DecoderConfig(), 0.0, end_s, bundle.hop / bundle.fps)
    online = StreamingRecognizer.for_bundle(bundle)
    for frame, t in zip(seq.landmarks, seq.timestamps):
        online.push(frame, t)
    assert online.finish(end_s).to_dict() == offline.to_dict()
    assert offline.recognised and len(offline.segments) >= 1
