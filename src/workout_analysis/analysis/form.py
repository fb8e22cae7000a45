"""Form checks per repetition: each with a threshold, the biomechanical reason and a message to act on.

A check looks at one rep (its frames, its bottom, its top) and returns an :class:`Issue` or nothing.
A check runs only in the camera views that can show what it measures (knees caving in needs the
front; hip sag needs the side): in any other view it is *skipped*, and the report says why.
Each rep scores 100 minus 12 per minor and 25 per major issue (never below 0); an issue is major when
the measurement is past its threshold by as much again as the threshold's own tolerance.

Thresholds come from coaching standards (thighs parallel in a squat, elbows 45-70 deg from the trunk
in a push-up, full lockout) widened by the landmark noise measured on synthetic sets of known form;
``docs/form.md`` lists them with their sources and how they score on real and synthetic sets.
"""

from __future__ import annotations

import warnings
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from ..exercises import HOLDS, display_name, resolve
from ..features import ANGLE_NAMES, joint_angles, metric_xyz, mid, torso_size
from ..sequence import LANDMARK_INDEX, PoseSequence
from .reps import Rep, RepCounter, RepReport
from .view import detect_view, near_side, view_of

_L = LANDMARK_INDEX
_A = {name: i for i, name in enumerate(ANGLE_NAMES)}
MINOR, MAJOR = "minor", "major"
PENALTY = {MINOR: 12, MAJOR: 25}


@dataclass
class Issue:
    """One thing to fix in one rep."""

    check: str
    severity: str  # "minor" or "major"
    message: str
    value: float | None = None  # the measurement, in the unit the message uses

    def to_dict(self) -> dict[str, Any]:
        value = None if self.value is None else round(float(self.value), 1)
        return {"check": self.check, "severity": self.severity, "message": self.message, "value": value}


@dataclass
class RepForm:
    """Form of one rep; index 0: the whole clip (a hold, or a set whose reps could not be counted: posture only)."""

    index: int
    score: int
    issues: list[Issue] = field(default_factory=list)
    start_s: float = 0.0
    end_s: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return {"index": self.index, "score": self.score, "start_s": round(self.start_s, 2), "end_s": round(self.end_s, 2),
                "issues": [i.to_dict() for i in self.issues]}  # fmt: skip


@dataclass
class FormReport:
    exercise: str | None
    view: str
    reps: list[RepForm]
    checked: list[str]
    skipped: dict[str, str]  # check -> why it could not run
    summary: str

    @property
    def faulty(self) -> bool | None:
        """The set's verdict: True when any rep is held wrong (any issue but range and tempo advice, see ``ADVICE``),
        None without reps to judge. Chosen on half of PushFit's labelled clips: docs/form.md."""
        if not self.reps:
            return None
        return any(i.check not in ADVICE for r in self.reps for i in r.issues)

    @property
    def score(self) -> int | None:
        """Mean rep score (None without reps)."""
        return int(round(np.mean([r.score for r in self.reps]))) if self.reps else None

    def to_dict(self) -> dict[str, Any]:
        return {"exercise": self.exercise, "view": self.view, "score": self.score, "faulty": self.faulty, "summary": self.summary,
                "checked": list(self.checked), "skipped": dict(self.skipped), "reps": [r.to_dict() for r in self.reps]}  # fmt: skip


@dataclass
class RepData:
    """What a check sees of one rep: its frames' landmarks and angles, and facts about the whole set."""

    points: np.ndarray  # (n, 33, 3) aspect-corrected landmarks of the rep's frames
    angles: np.ndarray  # (n, len(ANGLE_NAMES)) joint angles of those frames (2-D, degrees)
    bottom: int  # index (into the rep's frames) of the far end of the movement
    rep: Rep
    side: str  # the side nearer the camera: "left" or "right"
    view: str
    set_rom: float  # the set's full range of motion (90th percentile over reps, the rep counter's unit)
    thigh: float  # standing thigh length, in the points' unit (for depth in degrees)
    set_angles: np.ndarray  # joint angles of every frame of every rep of the set
    finish: np.ndarray  # joint angles from the bottom to a little past the rep's end: the top it returns to

    def angle_over_set(self, name: str) -> np.ndarray:
        """A joint angle (near side, or both in a front view) over all the set's reps, for set-relative checks."""
        return replace(self, angles=self.set_angles).angle(name, side="both")

    def angle(self, name: str, frame: int | slice | None = None, side: str | None = None) -> np.ndarray:
        """A joint angle of the near side (or ``side``; "both" = the mean of both sides in a front view,
        the near side in others, where the far limb is hidden), at a frame or over the rep."""
        side = side or self.side
        if side == "both" and self.view != "front":
            side = self.side
        cols = [_A[f"{s}_{name}"] for s in (("left", "right") if side == "both" else (side,))]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            values = np.nanmean(self.angles[:, cols], axis=1)
        return values if frame is None else values[frame]


@dataclass(frozen=True)
class Check:
    """A form check: which views can support it, its threshold and reason (for docs), and its test."""

    name: str
    views: tuple[str, ...]
    threshold: str
    reason: str
    test: Callable[[RepData], Issue | None]


def _issue(check: str, excess: float, tolerance: float, message: str, value: float | None = None) -> Issue | None:
    """An issue when ``excess`` > 0 (major once it reaches ``tolerance``), else None."""
    if not excess > 0:
        return None
    return Issue(check, MAJOR if excess >= tolerance else MINOR, message, value)


def _past(value: float, limit: float, spec: str = ".0f") -> str:
    """``value`` formatted as ``spec``, with more decimals (up to 3 more) where rounding would show it equal
    to the ``limit`` it is past ("piked 6.4° above it (keep it under 6°)", not "6° ... under 6°"; 6.04 is
    printed 6.04, not 6.0)."""
    digits, kind = int(spec[1:-1]), spec[-1]
    for extra in range(4):
        text = format(value, f".{digits + extra}{kind}")
        if text != format(limit, f".{digits + extra}{kind}"):
            break
    return text


# --- measurements -----------------------------------------------------------------------------------


def _thigh_above_parallel(d: RepData) -> float:
    """Degrees the thighs are above horizontal at the bottom (negative: below), from heights only.

    Uses image heights (any view shows them) against the standing thigh length: sin(angle) = rise / length.
    """
    p = d.points[d.bottom]
    # the lower thigh: in a lunge only the front one goes to parallel
    rise = np.nanmin([p[_L[f"{s}_knee"], 1] - p[_L[f"{s}_hip"], 1] for s in ("left", "right")])
    return float(np.degrees(np.arcsin(np.clip(rise / max(d.thigh, 1e-6), -1, 1))))


def _hip_line(d: RepData, frames: slice | None = None) -> float:
    """Median signed angle of the hips off the shoulder-ankle line over the frames (+ below: sag, - above: pike)."""
    p = d.points if frames is None else d.points[frames]
    sh, hip, ank = (p[:, _L[f"{d.side}_{n}"], :2] for n in ("shoulder", "hip", "ankle"))
    line, off = ank - sh, hip - sh
    length = np.linalg.norm(line, axis=-1)
    # signed perpendicular offset: positive towards image-down of the line (the floor side for a plank)
    cross = (line[:, 0] * off[:, 1] - line[:, 1] * off[:, 0]) / np.maximum(length, 1e-6)
    along = np.sum(line * off, axis=-1) / np.maximum(length, 1e-6)
    sign = np.sign(line[:, 0])  # the cross product's sign flips when the person faces the other way
    return float(np.nanmedian(np.degrees(np.arctan2(cross * sign, np.maximum(along, 1e-6)))))


def _head_drop(d: RepData) -> float:
    """Median degrees the head hangs below the line of the trunk over the rep (+ towards the floor, - raised).

    The angle at the shoulder between the hip-shoulder line carried on and the shoulder-ear line, signed
    towards image-down (the floor in a push-up or plank) whichever way the person faces.
    """
    p = d.points
    sh, hip, ear = (p[:, _L[f"{d.side}_{n}"], :2] for n in ("shoulder", "hip", "ear"))
    trunk, head = sh - hip, ear - sh
    cross = trunk[:, 0] * head[:, 1] - trunk[:, 1] * head[:, 0]
    dot = np.sum(trunk * head, axis=-1)
    return float(np.nanmedian(np.degrees(np.arctan2(cross * np.sign(trunk[:, 0]), dot))))


def _knee_bend(d: RepData) -> float:
    """Degrees the near knee is bent (180 - its angle), at the rep's most bent fifth (the 20th percentile of
    the angle): knees that drop at the bottom count, one glitched frame does not."""
    return float(180.0 - np.nanpercentile(d.angle("knee"), 20))


def _knee_over_ankle_width(d: RepData) -> float:
    """Knee spread over ankle spread at the bottom (front view): under ~0.8 the knees cave in."""
    p = d.points[d.bottom]
    knees = abs(p[_L["left_knee"], 0] - p[_L["right_knee"], 0])
    ankles = abs(p[_L["left_ankle"], 0] - p[_L["right_ankle"], 0])
    return float(knees / max(ankles, 1e-6))


def _heel_lift(d: RepData) -> float:
    """Degrees the near foot tilts heel-up (heel above the toes) at its most, over the rep."""
    p = d.points
    heel, toe = p[:, _L[f"{d.side}_heel"], :2], p[:, _L[f"{d.side}_foot_index"], :2]
    # y grows downwards: heel above toe means heel_y < toe_y
    tilt = np.degrees(np.arctan2(toe[:, 1] - heel[:, 1], np.abs(toe[:, 0] - heel[:, 0]) + 1e-6))
    base = np.nanmedian(tilt[: max(1, len(tilt) // 5)])  # standing at the start: the foot's own tilt
    return float(np.nanpercentile(tilt, 90) - base)  # a high percentile, not the max: one glitched frame is not a lift


def _elbows_outside_hands(d: RepData) -> float:
    """How far each elbow sits out past its hand at the bottom, in shoulder widths (front view; <= 0: stacked over
    the hands or inside them).

    With the elbows tucked (~45° from the body) the forearms stay near vertical, the elbows over the hands
    (synthetic people: 0.06-0.22; real correct push-ups, PushFit: median -0.06, 90th percentile 0.19); flared
    towards 90° the elbows travel out past the hands (synthetic: 0.37-0.65). Measured against the hands, not
    the shoulders, so a wide or narrow grip does not read as flaring.
    """
    p = d.points[d.bottom]
    width = abs(p[_L["left_shoulder"], 0] - p[_L["right_shoulder"], 0])
    elbows = abs(p[_L["left_elbow"], 0] - p[_L["right_elbow"], 0])
    hands = abs(p[_L["left_wrist"], 0] - p[_L["right_wrist"], 0])
    return float((elbows - hands) / 2 / max(width, 1e-6))


def _trunk_swing(d: RepData) -> float:
    """Range of the trunk's lean over the rep, degrees: a curl or press done with the back, not the arm.

    Signed (forward and back are different directions), so rocking through upright counts in full.
    """
    spine = mid(d.points, "left_shoulder", "right_shoulder")[:, :2] - mid(d.points, "left_hip", "right_hip")[:, :2]
    lean = np.arctan2(spine[:, 0], -spine[:, 1])
    # Measured from the rep's mean direction, so a lean near ±180° (lying, a flipped detection) does not wrap to 300°+.
    mean_dir = np.arctan2(np.nanmean(np.sin(lean)), np.nanmean(np.cos(lean)))
    relative = np.degrees(np.angle(np.exp(1j * (lean - mean_dir))))
    return float(np.nanpercentile(relative, 95) - np.nanpercentile(relative, 5))


# --- checks -----------------------------------------------------------------------------------------

_ALL = ("front", "side", "angled")
_FILMED_FROM = {"front": "from the front", "side": "from the side", "angled": "at an angle"}
_SIDEISH = ("side", "angled")


def _depth_thigh(name: str, tolerance: float = 18.0, front_extra: float = 12.0, views: tuple[str, ...] = _ALL) -> Check:
    def test(d: RepData) -> Issue | None:
        above = _thigh_above_parallel(d)
        tol = tolerance + (front_extra if d.view == "front" else 0.0)
        return _issue("depth", above - tol, 15.0, f"go lower: your thighs stopped {_past(above, tol)}° above parallel (aim for parallel, {tol:.0f}° above at most)", above)

    front = f" ({tolerance + front_extra:.0f}° from the front)" if "front" in views else ""
    return Check("depth", views, f"thighs within {tolerance:.0f}° of parallel at the bottom{front}",
                 f"a {name} to parallel loads hips and knees through their full range; the hip landmark sits above the "
                 "hip crease, and a camera above or below hip height tilts the thigh in a front view, hence the tolerances",
                 test)  # fmt: skip


def _elbow_depth(limit: float, what: str) -> Check:
    def test(d: RepData) -> Issue | None:
        bent = float(np.nanmin(d.angle("elbow", side="both")))
        return _issue("depth", bent - limit, 20.0, f"go lower: your elbows stopped at {_past(bent, limit)}°, aim for 90° ({limit:.0f}° at most)", bent)

    return Check("depth", _SIDEISH, f"elbows bent to {limit:.0f}° or less at the bottom",
                 f"{what}: a shorter range trains a shorter range", test)  # fmt: skip


def _lockout(limit: float = 140.0, joint: str = "elbow", what: str = "arms", short: float = 15.0, at_rest: bool = True) -> Check:
    """``at_rest``: the lockout is where a rep starts and ends (push-up, a pull-up's hang), so it is judged on
    the position the rep *returns to* (the rep counter ends a rep on its way back, before it gets there);
    else it is the rep's far end (shoulder press, deadlift), the straightest frame of the rep."""

    def test(d: RepData) -> Issue | None:
        top = float(np.nanmax(d.angle(joint, side="both")))  # anywhere in the rep
        if at_rest:
            finish = replace(d, angles=d.finish).angle(joint, side="both")
            returned = float(np.nanpercentile(finish, 95))  # not the max: one glitched frame is not a lockout
            # The joint still bending late in the window: the rep's ends (found on the rep counter's signal) do
            # not follow this joint and the window may miss the top, so the top the rep started from counts too.
            late = np.isfinite(finish).any() and np.nanargmin(finish) > len(finish) // 2
            top = max(top, returned) if late else returned
        best = float(np.nanpercentile(d.angle_over_set(joint), 98))
        excess, aim = max(limit - top, (best - short) - top), max(limit, best - short)
        why = f" (your best: {best:.0f}°)" if best - short > limit else ""  # only when the set's best sets the aim
        return _issue("lockout", excess, 15.0, f"straighten your {what} fully: they stopped at {_past(top, aim)}°, "
                      f"aim for {aim:.0f}° or more{why}", top)  # fmt: skip

    return Check("lockout", _SIDEISH, f"{joint} reaches {limit:.0f}° and within {short:.0f}° of the set's straightest"
                 + (", at the position each rep returns to" if at_rest else ""),
                 "a full lockout finishes the rep and is where the joint is stable under load; the set's own best "
                 "makes the check fair to a camera angle that never shows a joint fully straight", test)  # fmt: skip


# Body line, degrees of the hips off the shoulder-ankle line (median over the rep). Correct real push-ups
# (PushFit, side and angled views) stay within -4° to +3° (10th-90th percentile of reps); synthetic faults are
# 10-20°. Chosen on PushFit's even clips: a sag limit of 3-6° scored clip F1 0.77-0.83 there, 5° best; the
# pike limit scored alike at 6-10° (4°: lower), and 6° is kept.
SAG_LIMIT, PIKE_LIMIT = 5.0, 6.0


def _hips(check: str) -> Check:
    tol = SAG_LIMIT if check == "hip_sag" else PIKE_LIMIT

    def test(d: RepData) -> Issue | None:
        off = _hip_line(d)
        if check == "hip_sag":
            return _issue("hip_sag", off - tol, 6.0, f"brace your core and lift your hips: they sagged {_past(off, tol)}° below "
                          f"the line from shoulders to ankles (keep it under {tol:.0f}°)", off)  # fmt: skip
        return _issue("hip_pike", -off - tol, 6.0, f"lower your hips into one line with shoulders and ankles: they "
                      f"piked {_past(-off, tol)}° above it (keep it under {tol:.0f}°)", -off)  # fmt: skip

    what = "below" if check == "hip_sag" else "above"
    return Check(check, _SIDEISH, f"hips within {tol:.0f}° {what} the shoulder-ankle line (median over the rep)",
                 "a straight body line keeps the load on the core and off the lower back (sag) or shoulders (pike); "
                 + ("sagging strains the lower back even when slight" if check == "hip_sag" else
                    "a slight pike is a milder fault than a sag (it shortens the lever, it does not load the spine)"),
                 test)  # fmt: skip


# Knees, from the side only: correct real push-ups bend the knee 3-19° there (PushFit, 10th-90th percentile of
# reps), wrong ones up to 62°; 30° of bend (150°) is past the straight leg's noise (25-40° did alike on the even
# clips). Seen at an angle the 2-D knee angle is distorted: synthetic people with near-straight legs (7-10° in
# 3-D) read 22-42°, and on PushFit the angled views' knee angle does not tell wrong from correct (AUC 0.44).
KNEE_BEND_LIMIT = 30.0
# Head: the ear sits ~8° below the trunk line in a neutral neck (PushFit correct reps, median) and up to
# ~37° in correct reps filmed at an angle; 40° is past that (35-40° did equally on the even clips).
HEAD_DROP_LIMIT = 40.0


def _straight_legs() -> Check:
    def test(d: RepData) -> Issue | None:
        bend = _knee_bend(d)
        return _issue("knees", bend - KNEE_BEND_LIMIT, 15.0, f"keep your legs straight: your knees bent to "
                      f"{_past(180 - bend, 180 - KNEE_BEND_LIMIT)}° (aim for {180 - KNEE_BEND_LIMIT:.0f}° or straighter)", 180 - bend)  # fmt: skip

    return Check("knees", ("side",), f"knees straighter than {180 - KNEE_BEND_LIMIT:.0f}° through the rep",
                 "a push-up or plank is one rigid line from head to heels: bent knees shorten the lever and "
                 "let the hips drop, or rest the knees on the floor (a knee push-up is an easier variation)",
                 test)  # fmt: skip


def _head() -> Check:
    def test(d: RepData) -> Issue | None:
        drop = _head_drop(d)
        return _issue("head", drop - HEAD_DROP_LIMIT, 15.0, f"keep your head in line with your back: it hung "
                      f"{drop:.0f}° below your trunk line (look at the floor a little ahead of your hands)", drop)  # fmt: skip

    return Check("head", _SIDEISH, f"head within {HEAD_DROP_LIMIT:.0f}° below the line of the trunk",
                 "a neutral neck keeps the cervical spine in line with the rest of the back; a hanging head "
                 "strains the neck and rounds the upper back", test)  # fmt: skip


def _knees_caving() -> Check:
    limit = 1.0

    def test(d: RepData) -> Issue | None:
        ratio = _knee_over_ankle_width(d)
        return _issue("knee_valgus", limit - ratio, 0.15,
                      f"push your knees out over your toes: they came in to {_past(ratio, limit, '.0%')} of your foot width (keep them at least as wide as your feet)", ratio * 100)  # fmt: skip

    return Check("knee_valgus", ("front",), f"knees at least {limit:g}x as far apart as the ankles at the bottom",
                 "knees caving in (valgus) under load strains the ACL and the inner knee; only a front view shows it",
                 test)  # fmt: skip


def _torso_lean(limit: float, what: str) -> Check:
    def test(d: RepData) -> Issue | None:
        lean = float(d.angles[d.bottom, _A["trunk_lean"]])
        return _issue("torso_lean", lean - limit, 15.0, f"keep your chest up: your torso leaned {_past(lean, limit)}° forward (keep it under {limit:.0f}°)", lean)

    return Check("torso_lean", ("side",), f"trunk within {limit:.0f}° of vertical at the bottom",
                 f"{what}; leaning further moves the load from the legs to the lower back", test)  # fmt: skip


def _heels() -> Check:
    limit = 15.0

    def test(d: RepData) -> Issue | None:
        lift = _heel_lift(d)
        return _issue("heels", lift - limit, 10.0, f"keep your heels down, weight over mid-foot: they lifted {_past(lift, limit)}° (under {limit:.0f}°)", lift)

    return Check("heels", ("side",), f"foot tilts heel-up less than {limit:.0f}°",
                 "heels leaving the floor shift the weight onto the toes and the knees forward", test)  # fmt: skip


FLARE_LIMIT = 0.25


def _elbow_flare(limit: float = FLARE_LIMIT) -> Check:
    def test(d: RepData) -> Issue | None:
        out = _elbows_outside_hands(d)
        return _issue("elbow_flare", out - limit, 0.15,
                      f"tuck your elbows in, about 45° from your body, over your hands: they flared out {_past(out, limit, '.0%')} of "
                      f"your shoulder width past your hands (keep it under {limit:.0%})", out * 100)  # fmt: skip

    return Check("elbow_flare", ("front",), f"elbows at most {limit:.0%} of the shoulder width out past the hands at the bottom",
                 "elbows flared near 90° put the shoulder joint in impingement; 45-70° shares the load with the triceps "
                 "and keeps the forearms near vertical, the elbows over the hands", test)  # fmt: skip


# A trunk rocking through more than this within one curl or press is the detector flipping the skeleton (a
# live curl read 202°), not a body: no advice from it.
SWING_IMPLAUSIBLE = 90.0


def _swing(limit: float = 7.0) -> Check:
    def test(d: RepData) -> Issue | None:
        swing = _trunk_swing(d)
        if swing > SWING_IMPLAUSIBLE:
            return None
        return _issue("swing", swing - limit, 10.0, f"keep your body still: your torso rocked {_past(swing, limit)}° (keep it under {limit:.0f}°; go lighter if you need the swing)", swing)

    return Check("swing", _SIDEISH, f"trunk lean varies less than {limit:.0f}° over the rep",
                 "swinging the torso lends momentum and takes the work off the target muscle", test)  # fmt: skip


# An upper arm more than this far forward of the trunk during a curl is a detector error, not a curl (a live curl
# read 166°, the arm overhead, on a clip whose curls stay below the shoulder): no advice from it.
DRIFT_IMPLAUSIBLE = 100.0


def _elbow_drift(limit: float = 35.0) -> Check:
    def test(d: RepData) -> Issue | None:
        drift = float(np.nanmax(d.angle("shoulder")))
        if drift > DRIFT_IMPLAUSIBLE:
            return None
        return _issue("elbow_drift", drift - limit, 15.0,
                      f"pin your elbows to your sides: your upper arm swung {_past(drift, limit)}° forward (keep it under {limit:.0f}°)", drift)  # fmt: skip

    return Check("elbow_drift", ("side",), f"upper arm within {limit:.0f}° of the trunk through the curl",
                 "an elbow drifting forward turns the curl into a front raise and unloads the biceps at the top",
                 test)  # fmt: skip


def _curl_top(limit: float = 75.0) -> Check:
    def test(d: RepData) -> Issue | None:
        # the arm that curled: in an alternating curl seen from the front the resting arm stays straight, and the
        # mean of both elbows bottoms out near 90° while the working one reaches 30°
        arms = [d.angle("elbow", side=s) for s in ("left", "right")] if d.view == "front" else [d.angle("elbow")]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            working = max(arms, key=lambda a: np.nan_to_num(np.nanmax(a) - np.nanmin(a), nan=-1.0))
        top = float(np.nanmin(working))
        return _issue("curl_height", top - limit, 20.0, f"curl all the way up: your elbows stopped at {_past(top, limit)}°, aim for {limit:.0f}° or less", top)

    return Check("curl_height", _ALL, f"elbows bend to {limit:.0f}° or less at the top",
                 "the biceps shortens fully only near full elbow flexion", test)  # fmt: skip


def _raise_height(low: float = 75.0, front: bool = False) -> Check:
    """``front``: a front raise, whose arm rises towards a front camera: only a side or angled view shows its height."""

    def test(d: RepData) -> Issue | None:
        top = float(np.nanmax(d.angle("shoulder", side="both")))
        return _issue("raise_height", low - top, 15.0, f"raise to shoulder height: your arms stopped at {top:.0f}° (aim for ~90°)", top)

    views, why = ((("side", "angled"), "the front deltoid works through flexion up to about shoulder height") if front
                  else (("front", "angled"), "the lateral deltoid works through abduction up to about shoulder height"))  # fmt: skip
    return Check("raise_height", views, f"arms raised to {low:.0f}° or more from the body", why, test)


def _press_bottom(limit: float = 100.0) -> Check:
    def test(d: RepData) -> Issue | None:
        low = float(np.nanmin(d.angle("elbow", side="both")))
        return _issue("depth", low - limit, 20.0, f"lower the weight to your shoulders: your elbows stopped at {_past(low, limit)}°, aim for 90° ({limit:.0f}° at most)", low)

    return Check("depth", _ALL, f"elbows bend to {limit:.0f}° or less at the bottom",
                 "starting each press from the shoulders trains the full range", test)  # fmt: skip


def _pull_up_top() -> Check:
    def test(d: RepData) -> Issue | None:
        p = d.points
        torso = float(np.nanmedian(torso_size(p[..., :2])))
        # chin over the bar: the nose must rise to (or above) the hands; short by, in torso lengths
        short = float(np.nanmin(p[:, _L["nose"], 1] - np.nanmean(p[:, [_L["left_wrist"], _L["right_wrist"]], 1], axis=1))) / max(torso, 1e-6)
        return _issue("chin_over_bar", short - 0.1, 0.2, f"pull higher, chin over the bar: it stayed {short * 100:.0f}% of a torso length below your hands", short * 100)

    return Check("chin_over_bar", _ALL, "nose at least level with the hands at the top (10 % of a torso length of slack)",
                 "chin over the bar is the standard of a full pull-up: the lats finish their range there", test)  # fmt: skip


def _rom() -> Check:
    def test(d: RepData) -> Issue | None:
        share = d.rep.rom / max(d.set_rom, 1e-9)
        return _issue("rom", 0.65 - share, 0.2, f"use your full range: this rep moved {_past(share, 0.65, '.0%')} of the range of your fullest reps (aim for 65% or more)", share * 100)

    return Check("rom", _ALL, "each rep moves at least 65 % of the set's full range (its 90th percentile)",
                 "partial reps train a partial range and make the set look longer than it is", test)  # fmt: skip


def _tempo(limit: float = 0.8) -> Check:
    def test(d: RepData) -> Issue | None:
        dur = d.rep.duration_s
        return _issue("tempo", limit - dur, 0.4, f"slow down and control it: this rep took only {_past(dur, limit, '.1f')} s (take at least {limit:.1f} s)", dur)

    return Check("tempo", _ALL, f"a rep lasts at least {limit:.1f} s",
                 "a controlled lowering builds strength and spares the joints; bouncing uses momentum", test)  # fmt: skip


# Left and right differing by more than this at a two-sided exercise's turning point is the detector, not the
# body: one limb lost behind the other or at the frame's edge (a RepCount-A squat read 83-112° between knees
# whose right knee sat on the frame's edge). No advice is given from it.
SYMMETRY_IMPLAUSIBLE = 60.0


def _symmetry(joint: str, limit: float = 20.0) -> Check:
    def test(d: RepData) -> Issue | None:
        diff = float(abs(d.angle(joint, d.bottom, "left") - d.angle(joint, d.bottom, "right")))
        if diff > SYMMETRY_IMPLAUSIBLE:
            return None
        return _issue("symmetry", diff - limit, 15.0, f"even out both sides: left and right {joint}s differ by {_past(diff, limit)}° (keep it within {limit:.0f}°)", diff)

    return Check("symmetry", ("front",), f"left and right {joint} within {limit:.0f}° of each other at the turning point",
                 "an uneven rep shifts load to one side; only a front view shows both sides undistorted", test)  # fmt: skip


# Checks per exercise. Holds (plank) are checked over the whole hold as one "rep".
CHECKS: dict[str, tuple[Check, ...]] = {
    "squat": (_depth_thigh("squat"), _knees_caving(), _torso_lean(55.0, "a squat leans 30-45° at the bottom"),
                    _heels(), _symmetry("knee"), _rom(), _tempo()),
    # a lunge's front thigh points at a front or angled camera: its height says little about depth there
    "lunge": (_depth_thigh("lunge", views=("side",)), _torso_lean(30.0, "a lunge keeps the torso near upright"), _rom(), _tempo()),
    "push_up": (_hips("hip_sag"), _hips("hip_pike"), _straight_legs(), _head(), _elbow_depth(100.0, "chest near the floor means elbows at ~90°"),
                      _lockout(), _elbow_flare(), _rom(), _tempo(0.5)),
    # no elbow-flare check: a bench press grip is wide, so from the front tucked and flared elbows both sit
    # out beside the shoulders (synthetic: 0.6-0.8 shoulder widths either way), and no other view shows it
    # the bench press's lockout is where its reps start and end too, but judged there it caught fewer short lockouts on
    # synthetic sets (F1 0.20 against 0.24 over the whole rep): in those sets (filmed at 45°) a counted rep often spans
    # two presses, and the top after its end is then the wrong one
    "bench_press": (_elbow_depth(100.0, "the bar touching the chest means elbows at ~90°"), _lockout(at_rest=False), _rom(), _tempo()),
    "bicep_curl": (_swing(), _elbow_drift(), _curl_top(), _rom(), _tempo()),
    "shoulder_press": (_lockout(160.0, at_rest=False), _press_bottom(), _swing(12.0), _symmetry("elbow"), _rom(), _tempo()),
    "deadlift": (_torso_lean(65.0, "a conventional deadlift starts with the back ~45-60° from vertical; a flatter "
                             "back at the bottom (hips shooting up, or the back rounding) loads the spine"),
                 _lockout(165.0, "hip", "hips", at_rest=False), _rom(), _tempo(1.2)),
    "pull_up": (_pull_up_top(), _lockout(150.0, "elbow", "arms at the bottom"), _rom(), _tempo()),
    "lateral_raise": (_raise_height(), _swing(), _symmetry("shoulder"), _rom(), _tempo()),
    "plank": (_hips("hip_sag"), _hips("hip_pike"), _straight_legs(), _head()),
}
# Close relatives, which the model often names for each other (a curl as a hammer curl), get the checks that hold
# for them too: a neutral grip changes no curl check, an inclined or declined bench no press check. A Romanian
# deadlift keeps its hips high and its back near level by design: the deadlift's torso-lean limit would flag every
# rep, so it gets the lockout only. A front raise lifts the arm to shoulder height as a lateral raise does (not its
# symmetry check: front raises are often done one arm at a time).
CHECKS |= {
    "hammer_curl": CHECKS["bicep_curl"],
    "incline_bench_press": CHECKS["bench_press"],
    "decline_bench_press": CHECKS["bench_press"],
    "romanian_deadlift": (_lockout(165.0, "hip", "hips", at_rest=False), _rom(), _tempo(1.2)),
    "front_raise": (_raise_height(front=True), _swing(), _rom(), _tempo()),
}
FORM_EXERCISES: tuple[str, ...] = tuple(CHECKS)
# Checks of a specific end of the range: when one fires, the generic "rom" check would repeat it.
RANGE_CHECKS: frozenset[str] = frozenset({"depth", "lockout", "curl_height", "raise_height", "chin_over_bar"})
# Range and tempo: advice on a rep, not faulty form. On real push-ups labelled correct / wrong (PushFit) they fire
# about as often on correct clips as on wrong ones, while posture issues mark wrong clips (docs/form.md).
ADVICE: frozenset[str] = RANGE_CHECKS | {"rom", "tempo"}
# Checks of a posture held through the movement: they can judge a stretch of frames without counted reps.
POSTURE: frozenset[str] = frozenset({"hip_sag", "hip_pike", "knees", "head", "swing", "elbow_drift"})


def _thigh_length(points: np.ndarray) -> float:
    """The thigh's length when most upright in the image (standing), averaged over both legs."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        lengths = [np.linalg.norm(points[:, _L[f"{s}_hip"], :2] - points[:, _L[f"{s}_knee"], :2], axis=-1) for s in ("left", "right")]
        return float(np.nanpercentile(np.nanmean(lengths, axis=0), 90))


def _score(issues: list[Issue]) -> int:
    return max(0, 100 - sum(PENALTY[i.severity] for i in issues))


# How a check is named to a person, where its key does not say it plainly.
_CHECK_LABELS = {"rom": "range of motion", "knee_valgus": "knees caving in", "knees": "bent knees",
                 "head": "head position", "chin_over_bar": "chin over the bar"}  # fmt: skip


def check_label(check: str) -> str:
    """A check's name as the report prints it ("rom" -> "range of motion")."""
    return _CHECK_LABELS.get(check, check.replace("_", " "))


def _summary(exercise: str, reps: list[RepForm]) -> str:
    if not reps:
        return f"no {display_name(exercise)} reps to check"
    if exercise in HOLDS:  # one hold, checked as one stretch: no reps to speak of
        return "the hold needs work: " + "; ".join(i.message for i in reps[0].issues) if reps[0].issues else "good form"
    if reps[0].index == 0:
        issues = reps[0].issues
        return "no reps counted; posture over the whole clip: " + ("; ".join(i.message for i in issues) if issues else "good")
    flagged = [r for r in reps if r.issues]
    if not flagged:
        return {1: "good form", 2: "good form on both reps"}.get(len(reps), f"good form on all {len(reps)} reps")
    counts: dict[str, list[int]] = {}
    for r in flagged:
        for i in r.issues:
            counts.setdefault(i.check, []).append(r.index)
    worst = max(counts.items(), key=lambda kv: len(kv[1]))
    example = next(i.message for r in flagged for i in r.issues if i.check == worst[0])
    if len(reps) == 1:
        return f"the rep needs work: {example}"
    indexes = sorted(set(worst[1]))
    where = "every rep" if len(indexes) == len(reps) else f"rep{'s' if len(indexes) > 1 else ''} {', '.join(map(str, indexes))}"
    need = f"{len(flagged)} of {len(reps)} reps need" if len(flagged) > 1 else f"1 of {len(reps)} reps needs"
    return f"{need} work; most often, {check_label(worst[0])} ({where}): {example}"


def assess_form(seq: PoseSequence, exercise: str | None, reps: RepReport) -> FormReport:
    """Check each rep of ``reps`` (from :func:`reps.count_reps` on the same ``seq``) for ``exercise``.

    Exercises without checks get an empty report that says so; a hold (plank) is checked as one rep
    over the frames with a pose.
    """
    exercise = resolve(exercise)
    points = metric_xyz(seq)
    view = detect_view(seq)
    if exercise not in CHECKS:
        name = display_name(exercise) if exercise else "an unrecognised exercise"
        return FormReport(exercise, view, [], [], {"all": f"no form checks for {name} yet"}, f"not checked: no form checks for {name} yet")
    checks = CHECKS[exercise]
    runnable = [c for c in checks if view in c.views]
    skipped = {c.name: f"needs a {' or '.join(c.views)} view; this video is filmed {_FILMED_FROM[view]}"
               for c in checks if view not in c.views and c.name not in {r.name for r in runnable}}  # fmt: skip
    angles = joint_angles(points[..., :2])
    rep_list = list(reps.reps)
    posed = np.flatnonzero(seq.has_pose)
    if (exercise in HOLDS or not rep_list) and len(posed):
        # a hold is checked as one stretch; so is a set whose reps could not be counted, but then only
        # for posture (a body line is wrong in any frame; depth or lockout need a rep's ends)
        a, b = int(posed[0]), int(posed[-1])
        t = seq.timestamps
        rep_list = [Rep(0, float(t[a]), float(t[b]), float(t[(a + b) // 2]), 0.0, "deg", a, b, (a + b) // 2)]
        if exercise not in HOLDS:
            runnable = [c for c in runnable if c.name in POSTURE]
    if not runnable:  # nothing could be judged: say so, rather than score the set 100
        name, filmed = display_name(exercise), _FILMED_FROM[view]
        if reps.reps or exercise in HOLDS:
            why = f"no check of a {name} applies to a video filmed {filmed}"
        elif any(c.name in POSTURE for c in checks):
            why = f"no reps counted, and no posture check of a {name} applies to a video filmed {filmed}"
        else:  # depth, lockout, range: every check of this exercise judges a rep's ends
            why = f"no reps counted, and a {name}'s checks judge each rep"
        return FormReport(exercise, view, [], [], skipped, f"not checked: {why}")
    set_rom = float(np.percentile([r.rom for r in rep_list], 90)) if rep_list else 0.0
    in_reps = np.zeros(len(seq), bool)
    for rep in rep_list:
        in_reps[rep.start_frame : rep.end_frame + 1] = True
    side, thigh = near_side(points), _thigh_length(points)
    out = []
    for rep in rep_list:
        sl = slice(rep.start_frame, rep.end_frame + 1)
        data = RepData(points[sl], angles[sl], rep.bottom_frame - rep.start_frame, rep, side, view, set_rom, thigh,
                       angles[in_reps], angles[_finish(rep, len(seq))])  # fmt: skip
        out.append(_check(runnable, data))
    return FormReport(exercise, view, out, sorted({c.name for c in runnable}), skipped, _summary(exercise, out))


def _finish(rep: Rep, n: int, first: int = 0) -> slice:
    """Frames from the rep's bottom to the top it returns to: the counter ends a rep on its way back up (at
    70 % of the range), so look on past the end by as long again as the way back took (the next rep, if
    any, is still going down then). When the frames run out first (the clip ends), the top the rep started
    from counts too: a clip cut on the way up says nothing about the lockout. ``first``: frame number of
    index 0; ``n``: frames available."""
    stop = 2 * rep.end_frame - rep.bottom_frame + 1 - first
    return slice(rep.bottom_frame - first if stop <= n else rep.start_frame - first, min(n, stop))


def _check(runnable: list[Check], data: RepData) -> RepForm:
    """Run the checks on one rep and score it."""
    with warnings.catch_warnings():  # a frame without a pose measures as NaN, and no check fires on NaN
        warnings.simplefilter("ignore", RuntimeWarning)
        issues = [issue for c in runnable if (issue := c.test(data)) is not None]
    if any(i.check in RANGE_CHECKS for i in issues):  # one cause, one message: "go lower" says it all
        issues = [i for i in issues if i.check != "rom"]
    rep = data.rep
    return RepForm(rep.index, _score(issues), issues, rep.start_s, rep.end_s)


class LiveForm:
    """Live form checks: each rep a :class:`reps.RepCounter` reports, checked from the counter's buffer.

    The same checks as :func:`assess_form`; the view comes from the buffered frames (up to the counter's
    window) and the set-relative checks compare with the last ``history`` reps. Memory is bounded.

        counter, live_form = RepCounter("squat", fps=30), LiveForm("squat")
        for t, landmarks in frames:
            for rep in counter.update(landmarks, t):
                checked = live_form.check(counter, rep)   # RepForm, or None for an exercise without checks
    """

    def __init__(self, exercise: str, history: int = 10) -> None:
        self.exercise = resolve(exercise)
        self.view: str | None = None
        self._roms: deque[float] = deque(maxlen=history)
        self._signal: str | None = None  # the counter's signal that ``_roms`` were read from
        self._angles: deque[np.ndarray] = deque(maxlen=history)

    def check(self, counter: RepCounter, rep: Rep) -> RepForm | None:
        """Check a rep just reported by ``counter`` (its frames must still be in the counter's buffer)."""
        if self.exercise not in CHECKS:
            return None
        first, points = counter.buffered()
        a, b = rep.start_frame - first, rep.end_frame - first
        if a < 0 or b >= len(points):
            return None
        self.view = view_of(points)
        angles = joint_angles(points[..., :2])
        if counter.signal != self._signal:  # the counter changed signal: earlier ranges are in another unit or joint
            self._roms.clear()
            self._signal = counter.signal
        self._roms.append(rep.rom)
        self._angles.append(angles[a : b + 1])
        runnable = [c for c in CHECKS[self.exercise] if self.view in c.views]
        data = RepData(points[a : b + 1], angles[a : b + 1], rep.bottom_frame - rep.start_frame, rep, near_side(points),
                       self.view, float(np.percentile(self._roms, 90)), _thigh_length(points), np.concatenate(self._angles),
                       angles[_finish(rep, len(points), first)])  # fmt: skip
        return _check(runnable, data)
