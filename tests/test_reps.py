"""Repetition counting: synthetic sets with exact counts, the hard cases, live == offline, real RepCount-A."""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest
from conftest import shared_path
from toy import arm_swings_before, standing_still

from workout_analysis.analysis.reps import RepCounter, _implausible_frames, count_reps
from workout_analysis.analysis.signals import bone_reference, implausible
from workout_analysis.exercises import ALL_EXERCISES, HOLDS
from workout_analysis.features import metric_xyz
from workout_analysis.sequence import LANDMARK_INDEX, PoseSequence, from_flat
from workout_analysis.synth import generate

MAIN = ("squat", "push_up", "lunge", "bicep_curl", "shoulder_press", "deadlift", "pull_up", "lateral_raise",
        "bench_press", "jumping_jack", "sit_up")  # fmt: skip


def _insert(seq: PoseSequence, at: int, frames: np.ndarray) -> PoseSequence:
    """The sequence with ``frames`` (k, 33, 4) inserted before frame ``at`` (timestamps re-made from fps)."""
    return PoseSequence(np.concatenate([seq.landmarks[:at], frames, seq.landmarks[at:]]), seq.fps, meta=seq.meta)


@pytest.mark.parametrize("exercise", MAIN)
def test_synthetic_counts_exactly(exercise):
    seq, truth = generate(exercise, seed=11, reps=7)
    report = count_reps(seq, exercise)
    assert report.count == truth.reps == 7
    assert report.method == "exercise"
    # each counted rep overlaps one true rep (times, not just the number, are right)
    for rep, (a, b) in zip(report.reps, truth.rep_bounds):
        overlap = min(rep.end_frame, b) - max(rep.start_frame, a)
        assert overlap > 0.5 * (b - a), (rep, (a, b))
        assert rep.duration_s > 0 and rep.rom > 0


def test_every_exercise_has_a_counter_and_most_count_right():
    """Over all repeating exercises of the generator, one set each: within one rep for at least 90 %."""
    errors = {}
    for exercise in ALL_EXERCISES:
        if exercise in HOLDS:
            continue
        seq, truth = generate(exercise, seed=3, reps=6)
        errors[exercise] = count_reps(seq, exercise).count - truth.reps
    off = {k: v for k, v in errors.items() if abs(v) > 1}
    assert len(off) <= 0.1 * len(errors), off


def test_a_set_of_one_rep_is_counted_from_the_exercises_own_signal():
    """One rep does not repeat: a minor component's chance wiggle used to win, counting 0 or 2 on half of the
    generator's one-rep sets (now 1 on nine in ten) and setting reps apart from the real movement."""
    right = 0
    for exercise in MAIN:
        seq, truth = generate(exercise, seed=100, reps=1)
        report = count_reps(seq, exercise)
        right += report.count == truth.reps == 1 and report.signal_name != "pose_pc"
    assert right >= 0.8 * len(MAIN)


def test_a_short_clip_is_not_judged_misread_on_cycles_a_rep_or_two_cannot_show():
    """A single donkey kick (3.8 s): its ankle's autocorrelation peaks at 33 frames, 3.4 "cycles" against one rep.
    Judged misread, it gave way to a whole-pose component that counted 2; within 20 s the check does not apply."""
    seq, truth = generate("donkey_kick", seed=100, reps=1)
    report = count_reps(seq, "donkey_kick", referee=False)
    assert report.count == truth.reps == 1 and report.signal_name != "pose_pc", (report.count, report.signal_name)


def test_one_real_squat_in_a_short_clip_is_one_rep_from_the_knee():
    from workout_analysis.pose import extract_sequence

    seq = extract_sequence(shared_path("videos", "squat", "spotter__ezgif-86390101c826d574.mp4"))  # 1.3 s
    report = count_reps(seq, "squat")  # standing at 0 s, below parallel at 0.68 s, standing again at 1.28 s
    assert report.signal_name == "knee" and report.count == 1
    rep = report.reps[0]
    assert rep.start_s < 0.4 and 0.5 < rep.bottom_s < 0.85 and rep.end_s > 0.9


def test_unknown_exercise_falls_back_to_whole_pose_periodicity():
    seq, truth = generate("squat", seed=5, reps=8, view="side")
    for name in (None, "zumba"):
        report = count_reps(seq, name)
        assert report.method == "fallback" and report.signal_name == "pose_pc"
        assert abs(report.count - truth.reps) <= 1
    assert "zumba" in count_reps(seq, "zumba").notes[0]


def test_pause_at_the_bottom_neither_splits_nor_merges():
    seq, truth = generate("squat", seed=2, reps=6, view="side")
    a, b = truth.rep_bounds[2]
    bottom = a + int(np.argmax(truth.progress[a : b + 1]))
    # 3 s held at the bottom, with the small wobble a real pause has
    hold = np.repeat(seq.landmarks[bottom : bottom + 1], int(3 * seq.fps), axis=0)
    hold[..., :2] += np.random.default_rng(0).normal(0, 0.002, hold[..., :2].shape)
    assert count_reps(_insert(seq, bottom, hold), "squat").count == 6


def test_slow_tempo_counts_the_same():
    seq, truth = generate("push_up", seed=4, reps=5, view="side")
    slow = PoseSequence(np.repeat(seq.landmarks, 3, axis=0), seq.fps, meta=seq.meta)  # 3x slower
    assert count_reps(slow, "push_up").count == 5


@pytest.mark.parametrize("exercise, seed", [("pull_up", 4), ("push_up", 6), ("bicep_curl", 7)])
def test_tempo_that_changes_within_the_set(exercise, seed):
    """Six reps 4x slower, then the same six at normal speed (one person, one camera): the fast reps
    are a quarter of the typical cycle, yet neither merged nor dropped as glitches."""
    fast, truth = generate(exercise, seed=seed, reps=6, view="side")
    slow, _ = generate(exercise, seed=seed, reps=6, view="side", fps=4 * fast.fps)  # played at fast.fps
    both = PoseSequence(np.concatenate([slow.landmarks, fast.landmarks]), fast.fps)
    report = count_reps(both, exercise, referee=False)  # the local tempo of the exercise's own signals
    assert abs(report.count - 2 * truth.reps) <= 1
    fast_start = len(slow) / fast.fps
    assert abs(sum(r.start_s >= fast_start - 1 for r in report.reps) - truth.reps) <= 1


def test_partial_rep_is_reported_not_counted():
    seq, truth = generate("squat", seed=6, reps=5, view="side")
    knee = count_reps(seq, "squat").signal
    a, b = truth.rep_bounds[0]
    bottom = a + int(np.nanargmin(knee[a : b + 1]))
    top, rng = np.nanmax(knee[a:bottom]), np.nanmax(knee[a:bottom]) - knee[bottom]
    # the first rep's way down from where the knee starts bending until 40 % of its range, then back
    # up, at half speed: a dip that turns back early
    start = max(i for i in range(a, bottom) if knee[i] >= top - 0.05 * rng)
    stop = min(i for i in range(start, bottom) if knee[i] <= top - 0.4 * rng)
    down = list(np.repeat(np.arange(start, stop + 1), 2))
    last_end = truth.rep_bounds[-1][1]
    report = count_reps(_insert(seq, last_end + 1, seq.landmarks[down + down[::-1]]), "squat")
    assert report.count == 5
    assert report.partial_reps == 1


def test_shallow_reps_are_counted_or_reported_never_lost_or_split():
    """Reps through 45-65 % of the range: counted when past half the local range, else reported partial."""
    for seed in (8, 9):
        seq, truth = generate("squat", seed=seed, reps=8, view="side", faults=("partial_range",))
        report = count_reps(seq, "squat")
        assert report.count >= truth.reps - len(truth.faults[0][1])  # every full rep counted
        assert abs(report.count + report.partial_reps - truth.reps) <= 1


def test_slow_set_up_or_walking_off_is_not_a_rep():
    """A slow dip (a rep played 5x slower: setting up, walking off, resting) before or after a set of
    six is not counted (it was, as a seventh rep)."""
    for exercise, positions in (("squat", ("before", "after")), ("push_up", ("after",))):
        seq, truth = generate(exercise, seed=12, reps=6, view="side")
        a, b = truth.rep_bounds[0]
        slow = np.repeat(seq.landmarks[a : b + 1], 5, axis=0)
        for where in positions:
            both = _insert(seq, 0 if where == "before" else truth.rep_bounds[-1][1] + 1, slow)
            report = count_reps(both, exercise, referee=False)  # the stragglers of the exercise's own signals
            assert report.count == 6, (exercise, where)
            assert "not counted" in report.notes[-1]
            assert report.reps[-1].index == 6


def test_slow_walk_off_after_the_set_is_not_a_rep_live():
    """Live, a straggler is judged against the reps reported so far: after the set it is left out too."""
    seq, truth = generate("push_up", seed=12, reps=6, view="side")
    a, b = truth.rep_bounds[0]
    both = _insert(seq, truth.rep_bounds[-1][1] + 1, np.repeat(seq.landmarks[a : b + 1], 5, axis=0))
    both.meta.update(width=seq.meta["width"], height=seq.meta["height"])
    assert _live(both, "push_up")[0].count == count_reps(both, "push_up").count == 6


def test_person_walking_into_frame_and_set_starting_mid_video():
    seq, truth = generate("bicep_curl", seed=9, reps=8, view="front")
    nobody = np.full((int(4 * seq.fps), 33, 4), np.nan, np.float32)
    assert count_reps(_insert(seq, 0, nobody), "bicep_curl").count == 8
    # the recording starts at the bottom of rep 3: reps 3..8 are complete except the cut one
    a, b = truth.rep_bounds[2]
    mid = a + int(np.argmax(truth.progress[a : b + 1]))
    assert count_reps(seq.slice(mid, len(seq)), "bicep_curl").count in (5, 6)


def test_no_pose_no_movement_and_no_exercise_count_nothing():
    empty = PoseSequence(np.full((90, 33, 4), np.nan, np.float32))
    assert count_reps(empty, "squat").count == 0 and "no pose" in count_reps(empty, "squat").notes[0]
    seq, _ = generate("squat", seed=1, reps=4)
    still = PoseSequence(np.repeat(seq.landmarks[:1], 300, axis=0), seq.fps)
    report = count_reps(still, "squat")
    assert report.count == 0 and report.notes == ["too little movement to count repetitions"]
    assert count_reps(seq, "no_exercise").count == 0


def test_plank_reports_time_under_tension():
    seq, truth = generate("plank", seed=3)
    report = count_reps(seq, "plank")
    assert report.count == 0 and report.method == "hold"
    assert 0.8 * seq.duration <= report.hold_s <= seq.duration
    live = RepCounter("plank", seq.fps)
    for lm, t in zip(seq.landmarks, seq.timestamps):
        live.update(lm, t)
    assert abs(live.hold_s - report.hold_s) <= 0.1 * seq.duration


def test_a_signal_that_barely_moves_is_never_chosen():
    """Jumping jacks named a squat (a wrong recognition): the squat's signals repeat with the jumps but
    move too little to count; the whole pose counts the set instead of 'too little movement'."""
    seq, truth = generate("jumping_jack", seed=1, reps=7)
    report = count_reps(seq, "squat")
    assert report.count == truth.reps and report.signal_name == "pose_pc"


def test_a_hold_that_keeps_moving_is_counted():
    """A set of jumping jacks taken for a plank (the body never holds still): its reps, not 0."""
    seq, truth = generate("jumping_jack", seed=4, reps=8)
    report = count_reps(seq, "plank")
    assert report.exercise == "plank" and report.method == "fallback"
    assert abs(report.count - truth.reps) <= 1
    assert report.hold_s < 0.5 * seq.duration and "held still" in report.notes[-1]
    plank, _ = generate("plank", seed=4)  # a real hold stays a hold
    assert count_reps(plank, "plank").method == "hold"


def test_report_is_json_friendly():
    seq, _ = generate("lunge", seed=1, reps=4)
    d = json.loads(json.dumps(count_reps(seq, "lunge").to_dict()))
    assert d["count"] == len(d["reps"]) and set(d["reps"][0]) >= {"index", "start_s", "end_s", "duration_s", "rom"}


def _live(seq: PoseSequence, exercise: str | None) -> tuple[RepCounter, list, int]:
    """The counter after the whole stream, the (rep, time) pairs it reported, and how many it took back."""
    counter, emitted, taken_back = RepCounter(exercise, seq.fps, aspect=seq.meta["width"] / seq.meta["height"]), [], 0
    for lm, t in zip(seq.landmarks, seq.timestamps):
        emitted += [(rep, t) for rep in counter.update(lm, t)]
        taken_back += len(counter.retracted)
    emitted += [(rep, seq.timestamps[-1]) for rep in counter.finish()]
    return counter, emitted, taken_back + len(counter.retracted)


@pytest.mark.parametrize("exercise", ["squat", "push_up", "jumping_jack", "pull_up"])
def test_live_counter_matches_offline_with_bounded_delay(exercise):
    seq, truth = generate(exercise, seed=21, reps=10)
    offline = count_reps(seq, exercise)
    counter, emitted, taken_back = _live(seq, exercise)
    assert counter.count == offline.count == truth.reps and taken_back == 0
    assert [r.index for r in counter.reps] == list(range(1, counter.count + 1))
    # after the warm-up every rep is reported within the promised delay of its end
    for rep, t in emitted:
        if rep.end_s > 12:
            assert t - rep.end_s <= counter.delay_s + 0.1
    assert len(counter._points) <= counter._points.maxlen  # bounded memory


@pytest.mark.parametrize("seed", [20, 21])
def test_live_counter_takes_back_a_warm_up_once_the_set_shows_its_signal(seed):
    """14 s of arm swings before 10 squats: the live counter's first choice (a whole-pose component) counts
    the swings; once the squats show that the knee is the signal, its recount of the buffer takes them
    back, and the count is the set's, as offline. Adding only what the new choice found after the last
    rep reported, it counted 18 and 19."""
    seq, truth = generate("squat", seed=seed, reps=10)
    warmed_up = arm_swings_before(seq)
    counter, emitted, taken_back = _live(warmed_up, "squat")
    assert counter.count == count_reps(warmed_up, "squat", referee=False).count == truth.reps
    assert taken_back >= 5 and len(emitted) - taken_back == counter.count
    assert [r.index for r in counter.reps] == list(range(1, counter.count + 1))
    assert counter.reps[0].bottom_s > 14.0  # the swings are gone, not the squats


@pytest.mark.parametrize("exercise, seed", [("jumping_jack", 1), ("lunge", 2)])
def test_live_counter_keeps_the_set_through_a_rest_after_it(exercise, seed):
    """12 reps, then 25 s of standing still: when the counter chooses again its buffer is mostly rest, and
    a choice made from the last few reps counted the rest's jitter (14 and 13, the recount replacing the
    set's reps). A buffer in which the person moves less than half the time does not change the choice."""
    seq, truth = generate(exercise, seed=seed, reps=12)
    rested = _insert(seq, len(seq), standing_still(seq.landmarks[np.flatnonzero(seq.has_pose)[-1]], 25.0, seq.fps))
    counter, _, _ = _live(rested, exercise)
    assert counter.count == count_reps(rested, exercise, referee=False).count == truth.reps


@pytest.mark.parametrize("exercise, seed", [("jumping_jack", 1), ("jumping_jack", 3), ("bicep_curl", 0)])
def test_live_counter_counts_a_set_that_starts_after_standing_still(exercise, seed):
    """16 s of standing still, then 8 reps: the counter's first choice, made from the stillness, has no
    range. The rule that keeps a choice through a rest after a set (the buffer mostly still) kept it, so
    a short set was counted late or not at all (2, 0 and 5 of 8); with no rep counted there is nothing to keep."""
    seq, truth = generate(exercise, seed=seed, reps=8)
    waited = _insert(seq, 0, standing_still(seq.landmarks[np.flatnonzero(seq.has_pose)[0]], 16.0, seq.fps, seed))
    counter, _, _ = _live(waited, exercise)
    assert counter.count == count_reps(waited, exercise, referee=False).count == truth.reps


_LIMBS = [(LANDMARK_INDEX[f"{side}_{root}"], [LANDMARK_INDEX[f"{side}_{j}"] for j in joints]) for side in ("left", "right")
          for root, joints in (("shoulder", ("elbow", "wrist", "pinky", "index", "thumb")),
                               ("hip", ("knee", "ankle", "heel", "foot_index")))]  # fmt: skip


def _fold(frames: np.ndarray, shift: np.ndarray) -> None:
    """In place: (k, 33, 4) landmarks whose limbs fold into the torso and whose skeleton jumps by ``shift``
    (x, y), as when the detector half loses the lifter or fits clutter."""
    for root, joints in _LIMBS:
        frames[:, joints, :2] = frames[:, [root], :2] + 0.2 * (frames[:, joints, :2] - frames[:, [root], :2])
    frames[..., :2] += shift


def _glitched(seq: PoseSequence, seed: int, share: float = 0.3) -> tuple[PoseSequence, np.ndarray]:
    """The sequence with bursts of 3-8 frames (``share`` of them) folded and displaced (:func:`_fold`); and
    which frames those are."""
    rng = np.random.default_rng(seed)
    lm, hit = seq.landmarks.copy(), np.zeros(len(seq), bool)
    i = int(rng.integers(0, 10))
    while i < len(lm):
        n = int(rng.integers(3, 9))
        _fold(lm[i : i + n], rng.normal(0, 0.15, 2))
        hit[i : i + n] = True
        i += int(n / share * rng.uniform(0.5, 1.5))
    return PoseSequence(lm, seq.fps, meta=seq.meta), hit


def test_implausible_skeletons_are_found_and_real_bodies_are_not():
    for exercise in ("squat", "jumping_jack", "sit_up", "bench_press", "lunge", "pull_up"):
        seq, _ = generate(exercise, seed=30)
        points = metric_xyz(seq)
        assert implausible(points, bone_reference(points)).mean() < 0.01, exercise  # any view, any pose
        bad, hit = _glitched(seq, seed=1)
        points = metric_xyz(bad)
        flagged = implausible(points, bone_reference(points))
        assert flagged[hit].mean() > 0.8 and flagged[~hit].mean() < 0.01, exercise


@pytest.mark.parametrize(("exercise", "seed"), [("squat", 21), ("bench_press", 21), ("bicep_curl", 20), ("bicep_curl", 22)])
def test_glitched_skeleton_frames_are_gaps_not_movement(exercise, seed):
    """A third of the frames hold a folded, displaced skeleton: treated as gaps, they neither add reps nor
    hide them, offline (with or without the exercise) and live. Counted as movement, the whole pose's
    components followed the glitches (squat 12 of 8, bench press 9, a curl set 7)."""
    seq, truth = generate(exercise, seed=seed, reps=8)
    bad, _ = _glitched(seq, seed=seed - 20)
    assert count_reps(bad, None).count == truth.reps
    assert count_reps(bad, exercise, referee=False).count == truth.reps
    assert _live(bad, exercise)[0].count == truth.reps


@pytest.mark.parametrize("fps", [30.0, 60.0])
def test_plausible_frames_between_close_implausible_ones_are_gaps_offline_and_live(fps):
    """Single folded frames 0.13 s apart (plausible runs under DOUBTFUL_S = 0.2 s): the whole stretch is a
    gap; 0.4 s apart: only the folded frames. The same frames offline and live (the live counter marks
    them as they arrive), at any frame rate."""
    seq, _ = generate("squat", seed=21, reps=6, fps=fps)
    t = seq.timestamps - seq.timestamps[0]
    end = t[-1]
    assert end > 20  # the glitches come after the live warm-up
    close = np.flatnonzero((t >= end - 9) & (t < end - 7))[:: round(0.13 * fps)]
    apart = np.flatnonzero((t >= end - 6) & (t < end - 2))[:: round(0.4 * fps)]
    lm = seq.landmarks.copy()
    for i in np.concatenate([close, apart]):
        _fold(lm[i : i + 1], np.array([0.05, 0.0]))
    bad = PoseSequence(lm, fps, meta=seq.meta)
    expected = np.zeros(len(seq), bool)
    expected[close[0] : close[-1] + 1] = expected[apart] = True
    points = metric_xyz(bad)
    assert np.array_equal(_implausible_frames(points, bone_reference(points), fps), expected)
    counter = RepCounter("squat", fps, aspect=seq.meta["width"] / seq.meta["height"], window_s=end + 1)
    for frame, when in zip(bad.landmarks, bad.timestamps):
        counter.update(frame, when)
    gaps = expected | ~bad.has_pose  # and the generator's dropouts
    assert len(counter._raw) == len(seq) and np.array_equal(np.isnan(np.array(counter._raw)), gaps)


# --- real data: RepCount-A ---------------------------------------------------------------------------

NAME_MAP = {"squat": "squat", "push_up": "push_up", "pull_up": "pull_up", "situp": "sit_up",
            "jump_jack": "jumping_jack", "bench_pressing": "bench_press", "front_raise": "front_raise"}  # fmt: skip


@pytest.fixture(scope="module")
def repcount():
    folder = shared_path("landmarks", "repcount_a")
    poses = np.load(folder / "poses.npz", allow_pickle=False)
    with open(folder / "annotations.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    return [(from_flat(poses[r["name"]][:, :99].astype(np.float32), 30.0), NAME_MAP.get(r["exercise"]),
             int(r["count"]), r["exercise"]) for r in rows]  # fmt: skip


def test_repcount_a_beats_the_pca_peak_baseline(repcount):
    """True exercise given: MAE under the no-learning PCA-peak baseline (0.29), OBO above it (0.57)."""
    pred = np.array([count_reps(seq, ex).count for seq, ex, _, _ in repcount])
    true = np.array([t for _, _, t, _ in repcount])
    mae = np.mean(np.abs(pred - true) / np.maximum(true, 1))
    obo = np.mean(np.abs(pred - true) <= 1)
    assert mae < 0.25 and obo > 0.62, (mae, obo)


def test_repcount_a_jumping_jacks_and_front_raises(repcount):
    """Clean, frontal, fast (jumping jacks) and slow (front raises) real sets: within one rep for most."""
    for label in ("jump_jack", "front_raise"):
        clips = [(seq, ex, t) for seq, ex, t, lab in repcount if lab == label]
        ok = [abs(count_reps(seq, ex).count - t) <= 1 for seq, ex, t in clips]
        assert np.mean(ok) >= 0.7, label


def test_repcount_a_live_agrees_with_offline(repcount):
    """On real clips the live counter stays within a rep of the offline one on most clips."""
    clips = [(seq, ex) for seq, ex, _, lab in repcount if lab == "squat"]
    diffs = []
    for seq, ex in clips:
        seq.meta.update(width=1, height=1)
        diffs.append(abs(_live(seq, ex)[0].count - count_reps(seq, ex, referee=False).count))  # live: no referee
    assert np.mean(np.array(diffs) <= 1) >= 0.75, diffs


def test_repcount_a_live_recounts_noisy_bench_presses():
    """Bench presses whose landmarks are noisy: the live counter's choice of signal keeps changing, and
    each recount replaces what the previous choice reported. It stays within two reps of the offline
    count (4 and 3); adding reps at each change instead, it counted 15 and 9."""
    with np.load(shared_path("landmarks", "repcount_a", "poses.npz"), allow_pickle=False) as poses:
        for name in ("stu10_6", "stu10_1"):
            seq = from_flat(poses[name][:, :99].astype(np.float32), 30.0, {"width": 1, "height": 1})
            counter, _, taken_back = _live(seq, "bench_press")
            assert taken_back > 0 and abs(counter.count - count_reps(seq, "bench_press", referee=False).count) <= 2, name


def test_repcount_a_sit_ups_taken_for_russian_twists():
    """A wrong, alternating label (the recogniser's mistake on two real sit-up sets): the whole pose,
    which repeats at the sit-ups' own tempo, still counts them (the twist signal counted 2 of 6, 2 of 14).
    train3344 loses a third of its frames to implausible skeletons (session 4): 7 of 14, as named right (docs/reps.md)."""
    with np.load(shared_path("landmarks", "repcount_a", "poses.npz"), allow_pickle=False) as poses:
        seqs = {name: from_flat(poses[name][:, :99].astype(np.float32), 30.0) for name in ("stu10_60", "train3344")}
    assert abs(count_reps(seqs["stu10_60"], "russian_twist").count - 6) <= 1
    twists = count_reps(seqs["train3344"], "russian_twist").count
    assert twists >= 6 and twists == count_reps(seqs["train3344"], "sit_up").count


def test_repcount_a_a_signal_read_as_far_fewer_reps_than_it_repeats_gives_way():
    """A lying lifter's noisy landmarks: the whole pose's component that repeats most clearly (every 3.2 s)
    is read as 2 reps over 9 of its cycles, its posture drift swamping the local range. The next signal
    that reads consistently (the elbow) is taken: 12 or more of the 16 bench presses, where 2 were counted."""
    with np.load(shared_path("landmarks", "repcount_a", "poses.npz"), allow_pickle=False) as poses:
        seq = from_flat(poses["stu10_5"][:, :99].astype(np.float32), 30.0)
    for exercise, signal in (("bench_press", "elbow"), (None, "pose_pc")):
        report = count_reps(seq, exercise, referee=False)
        assert 12 <= report.count <= 18 and report.signal_name == signal, (exercise, report.count, report.signal_name)


def test_a_plan_made_from_the_live_buffer_caches_its_local_tempi_by_frame_number():
    """Checking the choice reads the signal once (_misread); the local tempi it caches must be kept under the
    buffer's frame numbers, which the live counter looks them up by, not the buffer's own from 0 (a recount
    after the buffer's first 30 s then used another moment's tempo: 2 of 22 long RepCount-A clips one rep off)."""
    from workout_analysis.analysis.reps import _make_plan
    from workout_analysis.features import metric_xyz

    seq, _ = generate("squat", seed=3, reps=10, view="side")
    first = 100_000  # the buffer's first frame, long into a stream
    plan, _ = _make_plan(metric_xyz(seq), "squat", seq.fps, first)
    assert plan._local and all(first <= k < first + len(seq) for k in plan._local)
