"""Form checks and camera view: synthetic sets with injected faults, views, real PushFit push-ups."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest
from conftest import shared_path

from workout_analysis.analysis.form import CHECKS, FORM_EXERCISES, assess_form
from workout_analysis.analysis.reps import count_reps
from workout_analysis.analysis.view import detect_view
from workout_analysis.sequence import LANDMARK_INDEX, PoseSequence
from workout_analysis.synth import generate


def _form(exercise, seed, view=None, faults=(), reps=6):
    seq, truth = generate(exercise, seed=seed, reps=reps, view=view, faults=faults)
    return assess_form(seq, exercise, count_reps(seq, exercise)), truth


def _true_rep(rep, truth) -> int:
    """The true rep (0-based) a checked rep overlaps most."""
    overlaps = [min(rep.end_s, b / 30.0) - max(rep.start_s, a / 30.0) for a, b in truth.rep_bounds]
    return int(np.argmax(overlaps))


def test_ten_exercises_have_checks_with_reasons():
    assert set(FORM_EXERCISES) >= {"squat", "push_up", "lunge", "bicep_curl", "shoulder_press", "deadlift", "plank",
                                   "pull_up", "lateral_raise", "bench_press"}  # fmt: skip
    for checks in CHECKS.values():
        for c in checks:
            assert c.threshold and len(c.reason) > 30 and set(c.views) <= {"front", "side", "angled"}


@pytest.mark.parametrize("exercise", FORM_EXERCISES)
def test_clean_synthetic_sets_score_well(exercise):
    form, _ = _form(exercise, seed=31)
    assert form.reps and form.view in ("front", "side", "angled")
    assert form.score >= 75, [(r.index, [i.message for i in r.issues]) for r in form.reps]


@pytest.mark.parametrize(
    ("exercise", "fault", "view", "check", "seed"),
    [("squat", "shallow_depth", "side", "depth", 41), ("squat", "knees_caving", "front", "knee_valgus", 41),
     ("squat", "heels_lifting", "side", "heels", 41), ("push_up", "hips_sagging", "side", "hip_sag", 41),
     ("push_up", "hips_piked", "side", "hip_pike", 41), ("bicep_curl", "swinging", "side", "swing", 41),
     ("lunge", "shallow_depth", "side", "depth", 41), ("shoulder_press", "incomplete_lockout", "45", "lockout", 41),
     ("push_up", "elbows_flared", "front", "elbow_flare", 41), ("plank", "hips_sagging", "side", "hip_sag", 41),
     # the lockout a rep returns to (before: any top of the rep, and the rep's start was always locked out)
     ("push_up", "incomplete_lockout", "side", "lockout", 45)],
)  # fmt: skip
def test_injected_fault_is_caught_on_its_reps(exercise, fault, view, check, seed):
    form, truth = _form(exercise, seed=seed, view=view, faults=(fault,))
    if exercise == "plank":  # a hold: one stretch, faulty as a whole
        assert [r.index for r in form.reps if any(i.check == check for i in r.issues)] == [0]  # the whole hold, not "rep 1"
        return
    affected = set(truth.faults[0][1])
    flagged = {_true_rep(r, truth) for r in form.reps if any(i.check == check for i in r.issues)}
    assert len(flagged & affected) >= 0.6 * len(affected), (flagged, affected)
    assert len(flagged - affected) <= 1, (flagged, affected)


def test_curl_height_is_judged_on_the_arm_that_curled():
    """From the front, the mean of both elbows bottomed out near 90° in an alternating curl (the resting arm stays
    straight): "curl all the way up" on 16 of 30 clean generator sets, and on every rep of a real one."""
    flagged = 0
    for seed in range(10):
        form, _ = _form("bicep_curl", seed=seed, view="front", reps=4)
        flagged += any(i.check == "curl_height" for r in form.reps for i in r.issues)
    assert flagged <= 1
    from workout_analysis.pose import extract_sequence

    seq = extract_sequence(shared_path("videos", "bicep_curl", "mrm__dumbbell_curl.mp4"))  # left, then right
    form = assess_form(seq, "bicep_curl", count_reps(seq, "bicep_curl"))
    assert form.view == "front" and len(form.reps) == 2
    assert not any(i.check == "curl_height" for r in form.reps for i in r.issues)


def test_close_relatives_get_the_checks_that_hold_for_them():
    """A curl named "hammer curl" (the model often does) used to get no form feedback at all."""
    hammer, _ = _form("hammer_curl", seed=2)
    assert {"curl_height", "rom", "tempo"} <= set(hammer.checked) and hammer.score is not None
    rdl, _ = _form("romanian_deadlift", seed=1, view="side")
    assert "lockout" in rdl.checked and "torso_lean" not in rdl.checked + list(rdl.skipped)  # level back by design
    front, _ = _form("front_raise", seed=1, view="front")  # the arm rises towards the camera: its height is unseen
    assert "raise_height" in front.skipped and "side" in front.skipped["raise_height"]
    side, _ = _form("front_raise", seed=1, view="side", faults=("partial_range",))
    assert "raise_height" in side.checked


def test_an_issues_value_is_in_the_unit_its_message_uses():
    """knee_valgus gave 0.61 for a message of 61 %, while elbow_flare and rom gave percents: an app cannot tell."""
    form, _ = _form("squat", seed=41, view="front", faults=("knees_caving",))
    caving = [i for r in form.reps for i in r.issues if i.check == "knee_valgus"]
    assert caving
    for issue in caving:
        shown = re.search(r"came in to ([\d.]+)%", issue.message).group(1)
        assert abs(issue.to_dict()["value"] - float(shown)) < 0.6, (issue.value, issue.message)


def test_messages_say_what_to_do_and_by_how_much():
    form, _ = _form("squat", seed=41, view="side", faults=("shallow_depth",))
    depth = [i for r in form.reps for i in r.issues if i.check == "depth"]
    assert depth and all(re.fullmatch(r"go lower: your thighs stopped \d+° above parallel \(aim for parallel, 18° above at most\)",
                                      i.message) for i in depth)  # fmt: skip
    assert all(r.score < 100 for r in form.reps if r.issues) and "go lower" in form.summary


def test_lockout_names_your_best_only_when_the_best_sets_the_aim():
    """The aim is the fixed limit, or the set's straightest minus 15° where that is higher; only then is "your best"
    named (it used to be named whenever it was known, beside an aim it did not set)."""
    pattern = r"straighten your arms fully: they stopped at (\d+)°, aim for (\d+)° or more(?: \(your best: (\d+)°\))?"
    named = {}
    for exercise, limit in (("push_up", 140), ("bench_press", 140)):
        form, _ = _form(exercise, seed=41 if exercise == "bench_press" else 45, view="side", faults=("incomplete_lockout",))
        for issue in (i for r in form.reps for i in r.issues if i.check == "lockout"):
            stopped, aim, best = re.fullmatch(pattern, issue.message).groups()
            assert int(stopped) < int(aim)
            if best is None:
                assert int(aim) == limit, issue.message
            else:
                assert abs(int(best) - 15 - int(aim)) <= 1 and int(aim) > limit, issue.message
            named[exercise] = best is not None
    assert named == {"push_up": False, "bench_press": True}  # both wordings occur


def test_checks_the_view_cannot_support_are_skipped_with_the_reason():
    side, _ = _form("squat", seed=5, view="side")
    assert side.view == "side" and "knee_valgus" in side.skipped and "front" in side.skipped["knee_valgus"]
    assert "knee_valgus" not in side.checked
    front, _ = _form("squat", seed=5, view="front")
    assert front.view == "front" and "heels" in front.skipped and "knee_valgus" in front.checked


@pytest.mark.parametrize(("synth_view", "expected"), [("front", "front"), ("side", "side"), ("45", "angled")])
def test_view_detection_on_synthetic_people(synth_view, expected):
    for exercise in ("squat", "push_up", "bicep_curl", "deadlift"):
        try:
            seq, _ = generate(exercise, seed=51, reps=3, view=synth_view)
        except ValueError:  # the generator does not film this exercise from there
            continue
        assert detect_view(seq) == expected, exercise


def test_no_reps_counted_checks_posture_over_the_whole_clip():
    seq, _ = generate("push_up", seed=3, reps=1, view="side", faults=("hips_sagging",))
    still = PoseSequence(np.repeat(seq.landmarks[len(seq) // 2 : len(seq) // 2 + 1], 90, axis=0), seq.fps,
                         meta=seq.meta)  # a held bottom position: nothing to count  # fmt: skip
    form = assess_form(still, "push_up", count_reps(still, "push_up"))
    assert [r.index for r in form.reps] == [0]
    assert set(form.checked) >= {"hip_sag"} and "no reps counted" in form.summary


def test_no_reps_and_no_posture_check_is_not_scored():
    """A bench press whose reps were not counted has no check left to run: no score, rather than 100."""
    seq, _ = generate("bench_press", seed=3, reps=1, view="side")
    still = PoseSequence(np.repeat(seq.landmarks[len(seq) // 2 : len(seq) // 2 + 1], 90, axis=0), seq.fps, meta=seq.meta)
    form = assess_form(still, "bench_press", count_reps(still, "bench_press"))
    assert form.reps == [] and form.checked == [] and form.score is None and form.faulty is None
    assert form.summary.startswith("not checked: no reps counted, and a bench press's checks judge each rep")
    # an exercise with posture checks, none of them for this view, says that instead (a push-up filmed from the front)
    seq, _ = generate("push_up", seed=3, reps=1, view="front")
    still = PoseSequence(np.repeat(seq.landmarks[len(seq) // 2 : len(seq) // 2 + 1], 90, axis=0), seq.fps, meta=seq.meta)
    form = assess_form(still, "push_up", count_reps(still, "push_up"))
    assert form.view == "front" and form.checked == []
    assert form.summary == "not checked: no reps counted, and no posture check of a push up applies to a video filmed from the front"


def test_a_value_just_past_its_limit_is_not_shown_equal_to_it():
    from workout_analysis.analysis.form import _past

    assert _past(6.4, 6.0) == "6.4" and _past(12.2, 6.0) == "12"
    assert _past(6.04, 6.0) == "6.04" and _past(5.96, 6.0) == "5.96"  # one more decimal would still read 6.0
    assert _past(0.647, 0.65, ".0%") == "64.7%" and _past(0.5, 0.65, ".0%") == "50%"
    assert _past(0.79, 0.8, ".1f") == "0.79"


def test_knees_too_far_apart_for_a_body_give_no_symmetry_advice():
    """Knees differing by over 60° at a squat's bottom are a detector error (a knee lost at the frame's edge)."""
    form, _ = _form("squat", seed=5, view="front")
    assert "symmetry" in form.checked
    seq, _ = generate("squat", seed=5, reps=6, view="front")
    broken = seq.landmarks.copy()
    knee, ankle, hip = (LANDMARK_INDEX[f"right_{j}"] for j in ("knee", "ankle", "hip"))
    broken[:, ankle, :2] = broken[:, hip, :2] + 2 * (broken[:, knee, :2] - broken[:, hip, :2])  # right leg straight
    lopsided = PoseSequence(broken, seq.fps, seq.timestamps, meta=seq.meta)
    reps = count_reps(lopsided, "squat")
    form = assess_form(lopsided, "squat", reps)
    assert form.reps and not any(i.check == "symmetry" for r in form.reps for i in r.issues)
    half = broken.copy()  # the right leg half as bent as the left: a real, if odd, asymmetry is still flagged
    half[:, ankle, :2] = (seq.landmarks[:, ankle, :2] + broken[:, ankle, :2]) / 2
    uneven = PoseSequence(half, seq.fps, seq.timestamps, meta=seq.meta)
    form = assess_form(uneven, "squat", count_reps(uneven, "squat"))
    assert any(i.check == "symmetry" for r in form.reps for i in r.issues)


def test_summary_reads_as_plain_words():
    seq, _ = generate("plank", seed=2, faults=("hips_sagging",))
    form = assess_form(seq, "plank", count_reps(seq, "plank"))
    assert form.summary.startswith("the hold needs work: brace your core") and "reps" not in form.summary
    from workout_analysis.analysis.form import Issue, RepForm, _summary

    short = Issue("rom", "minor", "use your full range: this rep moved 50% of the range of your fullest reps")
    reps = [RepForm(1, 88, [short]), RepForm(2, 100), RepForm(3, 100)]
    assert _summary("squat", reps) == f"1 of 3 reps needs work; most often, range of motion (rep 1): {short.message}"
    assert _summary("squat", reps[:1]) == f"the rep needs work: {short.message}"
    assert _summary("squat", reps[1:]) == "good form on both reps"


def test_unknown_exercise_and_json():
    seq, _ = generate("jumping_jack", seed=1, reps=4)
    form = assess_form(seq, "jumping_jack", count_reps(seq, "jumping_jack"))
    assert not form.reps and "not checked" in form.summary
    form, _ = _form("deadlift", seed=2)
    d = json.loads(json.dumps(form.to_dict()))
    assert d["view"] in ("front", "side", "angled") and len(d["reps"]) == len(form.reps) and "skipped" in d
    assert d["faulty"] is False  # a clean synthetic set


def test_pushfit_verdict_beats_calling_every_clip_wrong_on_the_held_out_half():
    """Real push-ups labelled correct/wrong: thresholds and the verdict rule were chosen on the even rows; on the
    odd rows the verdict must beat the all-wrong baseline (F1 0.66, accuracy 0.49), and posture flags
    (hips, knees, head) must mostly land on wrong clips."""
    data = np.load(shared_path("landmarks", "pushfit", "pushups_form.npz"), allow_pickle=False)
    keys = sorted(data.files)
    verdicts, posture, truth = [], [], []
    for key in keys:
        seq = PoseSequence(data[key].astype(np.float32), 30.0, meta={"width": 16, "height": 9})
        form = assess_form(seq, "push_up", count_reps(seq, "push_up"))
        checks = {i.check for r in form.reps for i in r.issues}
        wrong = key.startswith("wrong/")
        if checks & {"hip_sag", "hip_pike", "knees", "head"}:
            posture.append(wrong)
        verdicts.append(bool(form.faulty))
        truth.append(wrong)
    assert len(posture) >= 40 and np.mean(posture) >= 0.85
    t, p = np.array(truth)[1::2], np.array(verdicts)[1::2]
    precision, recall = (t & p).sum() / p.sum(), (t & p).sum() / t.sum()
    assert 2 * precision * recall / (precision + recall) > 0.68 and np.mean(t == p) > 0.7


def _rotate(seq, names, pivot, degrees):
    """A copy of ``seq`` with landmarks ``names`` turned about ``pivot`` by ``degrees`` (image plane, true aspect)."""
    from workout_analysis.sequence import LANDMARK_INDEX as L

    aspect = seq.meta["width"] / seq.meta["height"]
    lm = seq.landmarks.copy()
    centre = lm[:, L[pivot], :2]
    c, s = np.cos(np.radians(degrees)), np.sin(np.radians(degrees))
    for name in names:
        v = (lm[:, L[name], :2] - centre) * [aspect, 1.0]
        lm[:, L[name], :2] = centre + np.stack([c * v[:, 0] - s * v[:, 1], s * v[:, 0] + c * v[:, 1]], -1) / [aspect, 1.0]
    return PoseSequence(lm, seq.fps, meta=seq.meta)


_HEAD = ["nose", "eye_inner", "eye", "eye_outer", "ear", "mouth"]


@pytest.mark.parametrize(("parts", "pivot", "check", "words"),
                         [(_HEAD, "shoulder", "head", "head in line"), (["ankle", "heel", "foot_index"], "knee", "knees", "legs straight")])  # fmt: skip
def test_a_hanging_head_and_bent_knees_are_flagged_in_a_push_up(parts, pivot, check, words):
    seq, _ = generate("push_up", seed=41, reps=4, view="side")
    clean = assess_form(seq, "push_up", count_reps(seq, "push_up"))
    assert not any(i.check == check for r in clean.reps for i in r.issues) and clean.faulty is False
    # Turn the head (or the shins) 60° towards the floor, whichever way the person faces (image y grows downwards).
    facing = np.sign(np.nanmedian(seq.landmarks[:, 0, 0] - seq.landmarks[:, 27, 0]))  # +1: the nose is right of the ankle
    bent = seq
    for side in ("left", "right"):
        names = [n for n in (f"{side}_{p}" for p in parts) if n in LANDMARK_INDEX]
        names += ["nose"] * (side == "left" and check == "head") + [f"mouth_{side}"] * (check == "head")
        turn = 60 * facing if check == "head" else -60 * facing  # the head drops, the feet rise behind the knees
        bent = _rotate(bent, names, f"{side}_{pivot}", turn)
    form = assess_form(bent, "push_up", count_reps(bent, "push_up"))
    flagged = [i for r in form.reps for i in r.issues if i.check == check]
    assert len(flagged) >= 0.75 * len(form.reps) and form.faulty is True
    assert words in flagged[0].message and re.search(r"\d+°", flagged[0].message)


def test_plot_timeline_writes_a_png(tmp_path):
    from workout_analysis.analysis.plot import plot_timeline

    seq, _ = generate("squat", seed=41, reps=4, view="side", faults=("shallow_depth",))
    reps = count_reps(seq, "squat")
    out = plot_timeline(reps, tmp_path / "timeline.png", assess_form(seq, "squat", reps))
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and out.stat().st_size > 10_000
    assert [p.name for p in tmp_path.iterdir()] == ["timeline.png"]  # no temporary file left behind


@pytest.mark.parametrize(("exercise", "fault"), [("squat", "shallow_depth"), ("push_up", "incomplete_lockout")])
def test_live_form_matches_offline_form(exercise, fault):
    """Live, rep by rep, the same issues as offline (a push-up's lockout looks past the rep's end: the
    counter's buffer must still hold those frames)."""
    from workout_analysis.analysis.form import LiveForm
    from workout_analysis.analysis.reps import RepCounter

    seq, _ = generate(exercise, seed=41, reps=8, view="side", faults=(fault,))
    offline = assess_form(seq, exercise, count_reps(seq, exercise, referee=False))  # live: no referee
    counter = RepCounter(exercise, seq.fps, aspect=seq.meta["width"] / seq.meta["height"])
    live_form, live = LiveForm(exercise), []
    for landmarks, t in zip(seq.landmarks, seq.timestamps):
        live += [live_form.check(counter, rep) for rep in counter.update(landmarks, t)]
    live += [live_form.check(counter, rep) for rep in counter.finish()]
    assert live_form.view == offline.view == "side"
    issues = lambda reps: [(r.index, sorted(i.check for i in r.issues)) for r in reps]  # noqa: E731
    assert issues(live) == issues(offline.reps) and any(r.issues for r in live)
    assert LiveForm("jumping_jack").check(counter, counter.reps[0]) is None  # no checks for it


def test_trunk_swing_does_not_wrap_around_when_the_trunk_points_down():
    import numpy as np

    from workout_analysis.analysis.form import _trunk_swing
    from workout_analysis.sequence import LANDMARK_INDEX as L

    # Upside down (shoulders below hips, as when hanging or lying head-down), rocking ±4° about straight down.
    points = np.zeros((20, 33, 3))
    lean = np.radians(180 + 4 * np.sin(np.linspace(0, 2 * np.pi, 20)))
    for side in ("left", "right"):
        points[:, L[f"{side}_hip"], :2] = 0.0
        points[:, L[f"{side}_shoulder"], 0] = np.sin(lean)
        points[:, L[f"{side}_shoulder"], 1] = -np.cos(lean)

    from types import SimpleNamespace

    assert 6 < _trunk_swing(SimpleNamespace(points=points)) < 9


def test_a_trunk_flipped_by_the_detector_gives_no_swing_advice():
    """A curl whose skeleton flips upside down for a few frames would 'rock' ~180°: a glitch, not advice."""
    seq, _ = generate("bicep_curl", seed=2, reps=4, view="side")
    form = assess_form(seq, "bicep_curl", count_reps(seq, "bicep_curl"))
    assert "swing" in form.checked
    flipped = seq.landmarks.copy()
    rep = form.reps[1]
    frames = slice(int(rep.start_s * seq.fps) + 5, int(rep.start_s * seq.fps) + 10)
    hips = flipped[frames][:, [LANDMARK_INDEX["left_hip"], LANDMARK_INDEX["right_hip"]], 1].mean(axis=1)
    flipped[frames, :, 1] = 2 * hips[:, None] - flipped[frames, :, 1]  # upside down about the hips
    glitch = PoseSequence(flipped, seq.fps, seq.timestamps, meta=seq.meta)
    reps = count_reps(seq, "bicep_curl")  # the same reps, so only the swing check sees the flip
    checked = assess_form(glitch, "bicep_curl", reps)
    assert not any(i.check == "swing" for r in checked.reps for i in r.issues)


def test_an_arm_thrown_overhead_by_the_detector_gives_no_elbow_drift_advice():
    """A live curl read the upper arm 166° forward for a few frames (the arm at the side in the clip): a glitch."""
    seq, _ = generate("bicep_curl", seed=2, reps=4, view="side")
    reps = count_reps(seq, "bicep_curl")
    assert "elbow_drift" in assess_form(seq, "bicep_curl", reps).checked
    glitched = seq.landmarks.copy()
    rep = reps.reps[1]
    frames = slice(rep.start_frame + 5, rep.start_frame + 10)
    for side in ("left", "right"):  # the elbows mirrored above the shoulders: the upper arms point straight up
        shoulder, elbow = LANDMARK_INDEX[f"{side}_shoulder"], LANDMARK_INDEX[f"{side}_elbow"]
        glitched[frames, elbow, 1] = 2 * glitched[frames, shoulder, 1] - glitched[frames, elbow, 1]
    form = assess_form(PoseSequence(glitched, seq.fps, seq.timestamps, meta=seq.meta), "bicep_curl", reps)
    assert not any(i.check == "elbow_drift" for r in form.reps for i in r.issues)


def test_live_form_compares_ranges_of_one_signal_only():
    """Ranges read from another signal are in another unit (knee degrees against whole-pose units): when
    the counter's signal changes, the set's range starts afresh instead of calling every rep short."""
    from workout_analysis.analysis.form import LiveForm
    from workout_analysis.analysis.reps import RepCounter

    seq, _ = generate("squat", seed=41, reps=8, view="side")
    aspect = seq.meta["width"] / seq.meta["height"]
    by_joint, by_pose = RepCounter("squat", seq.fps, aspect=aspect), RepCounter(None, seq.fps, aspect=aspect)
    for landmarks, t in zip(seq.landmarks, seq.timestamps):
        by_joint.update(landmarks, t)
        by_pose.update(landmarks, t)
    by_joint.finish()
    by_pose.finish()
    assert by_joint.signal != by_pose.signal
    live_form = LiveForm("squat")
    before = [live_form.check(by_joint, rep) for rep in by_joint.reps]
    after = [form for rep in by_pose.reps if (form := live_form.check(by_pose, rep)) is not None]
    assert sum(form is not None for form in before) >= 3 and len(after) >= 3
    assert not any(issue.check == "rom" for form in after for issue in form.issues)
