"""Repetition counting: a per-exercise signal, smoothed, read by a hysteresis state machine whose
thresholds adapt to the person's own range of motion.

A rep is rest -> far -> rest: the signal must leave the rest end, get past ``LOW`` (half-way to the
far end of the person's range *around that moment*: the local min/max over about three rep cycles),
and come back above ``HIGH``. Between the two thresholds nothing happens, so a pause at the bottom,
a slow tempo or a shaky top neither splits nor merges reps, while a movement that turns back before
``LOW`` is a *partial* rep (reported, not counted). The signal is the exercise's candidate that
repeats most clearly (:mod:`.signals`); its tempo (autocorrelation) sets the smoothing and windows.

:func:`count_reps` reads a whole sequence; :class:`RepCounter` runs the same state machine frame by
frame with a bounded buffer (for a live camera) and agrees with it to within a rep.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
from scipy.ndimage import maximum_filter1d, minimum_filter1d

from ..exercises import ALL_EXERCISES, HOLDS, NO_EXERCISE, display_name, resolve
from ..features import metric_xyz, normalize, torso_size, undo_aspect
from ..sequence import PoseSequence, check_whole_frames
from .signals import (
    ALTERNATING, EXERCISE_SIGNALS, PCA_SIGNAL, SignalSpec, bone_reference, fill_gaps, fit_pose_basis, implausible, periodicity,
    project_pose, signal_values, smooth,
)  # fmt: skip
from .view import FRONT_MAX_YAW, view_cues

if TYPE_CHECKING:
    from .rep_model import RepModel

# Thresholds on the signal scaled to the person's range: 1 = rest end, 0 = far end.
HIGH = 0.7  # back at rest: 70 % of the way up (a lifter rarely returns exactly to the start)
LOW = 0.5  # far enough: half the local range (a shallow-but-real rep gets there; a twitch does not)
PARTIAL = 0.85  # left rest this far without reaching LOW: a partial rep ...
SHALLOW = 0.35  # ... unless this deep and as long as a typical rep: a shallow but real one, counted
RANGE_PERCENTILES = (3.0, 97.0)  # the person's range: robust to a few glitched frames
MIN_RANGE = {"deg": 15.0, "torso": 0.12, "pc": 0.25}  # less movement than this is not exercising
MIN_PERIOD_S, MAX_PERIOD_S = 0.4, 12.0  # fastest and slowest rep cycle looked for
MIN_REP_S = 0.25  # no exercise is repeated faster; anything quicker is a glitch
MIN_REP_FRACTION = 0.2  # nor is a rep much quicker than the set's typical cycle
MAX_GAP_S = 0.5  # pose lost for up to this long is bridged by interpolation ...
RESET_GAP_S = 2.0  # ... and for longer than this, a rep in progress is dropped (the person may have left)
LEVEL_WINDOW = 1.5  # periods either side over which the local range is taken ...
MAX_LEVEL_WINDOW_S = 5.0  # ... but no more than this: bounds the live counter's delay
MIN_LOCAL_RANGE = 0.2  # a local range under this share of the whole set's range is standing still
PC_WEIGHT = 0.9
MISREAD = 0.35  # fewer reps than this share of the cycles a signal repeats over: it is read wrong, try the next
MISREAD_MIN_CYCLES = 3.0  # ... judged where it repeats over at least this many cycles
FEW_CYCLES = 2.5  # up to this many cycles of a signal that does not repeat: a short set, not noise
WEAK_REPEAT = 0.1  # an autocorrelation this low is no repetition: a set of a rep or two, or none
SHORT_SET_S = 20.0  # a set of a rep or two is over within this; longer, few cycles are posture changes
PAIR_RATIO = (1.6, 2.4)  # a component of an alternating exercise repeating this x slower follows left-right pairs
SAGITTAL = frozenset({"knee", "hip", "ankle", "trunk_lean"})  # angles that bend towards a front camera
FRONT_SAGITTAL_WEIGHT = 0.8
TEMPO_SCALES = (1.0, 0.7, 0.5, 0.35, 0.25, 0.18, 0.125)  # local cycle / typical cycle, where the tempo changes
LOCAL_MIN_SCORE = 0.4  # a local cycle must repeat this clearly to override the typical one ...
LOCAL_MARGIN = 1.2  # ... and a scale applies where the local cycle is at most this x it
SMOOTH_FRACTION = 0.1  # Gaussian smoothing sigma as a share of the typical cycle: keeps the rep, drops jitter
STRAGGLER = 3.5  # a "rep" over this x the median of the set's other reps is set-up, walking or a rest, not a rep ...
STRAGGLER_MIN_REPS = 5  # ... judged in sets of at least this many reps
DOUBTFUL_S = 0.2  # plausible frames between implausible ones this close are gaps too
REFEREE_MIN_S = 8.0  # the learned referee is not asked about shorter sequences (it trains on crops this long or longer)
HOLD_SPEED = 0.25  # torso lengths per second over HOLD_LAG_S: slower than this the body is holding still
HOLD_LAG_S = 0.5
HOLD_SHARE = 0.5  # a "hold" in which the body is still for less than this share of the time is moving: count it
WARMUP_S = 10.0  # the live counter picks its signal and tempo from this much movement ...
REPLAN_S = 5.0  # ... and looks again this often ...
MIN_MOVING_SHARE = 0.5  # ... but, once counting, changes it only if the person moves in this share of the buffer


@dataclass
class Rep:
    """One repetition: times in seconds from the sequence start, range of motion in ``rom_unit``."""

    index: int
    start_s: float
    end_s: float
    bottom_s: float
    rom: float
    rom_unit: str  # "deg" for joint angles, "torso" for heights in torso lengths, "pc" for the fallback
    start_frame: int
    end_frame: int
    bottom_frame: int

    @property
    def duration_s(self) -> float:
        return self.end_s - self.start_s

    def to_dict(self) -> dict[str, Any]:
        return {
            "index": self.index, "start_s": round(self.start_s, 2), "end_s": round(self.end_s, 2),
            "duration_s": round(self.duration_s, 2), "rom": round(self.rom, 1 if self.rom_unit == "deg" else 3),
            "rom_unit": self.rom_unit,
        }  # fmt: skip


@dataclass
class RepReport:
    """Reps of one sequence and the signal they were read from (for plots and form checks)."""

    exercise: str | None
    count: int
    reps: list[Rep]
    signal_name: str
    signal: np.ndarray  # (T,) smoothed signal in its own unit, NaN where no pose; a hold's: seconds held so far
    times: np.ndarray  # (T,) seconds
    rest_level: float = float("nan")
    far_level: float = float("nan")
    partial_reps: int = 0
    hold_s: float | None = None  # time under tension, for holds (plank)
    method: str = "exercise"  # "exercise" (its own signals), "fallback" (whole-pose periodicity) or "hold"
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "exercise": self.exercise, "count": self.count, "method": self.method, "signal": self.signal_name,
            "partial_reps": self.partial_reps, "hold_s": None if self.hold_s is None else round(self.hold_s, 1),
            "reps": [r.to_dict() for r in self.reps], "notes": list(self.notes),
        }  # fmt: skip


class _RepMachine:
    """The hysteresis state machine, fed one sample at a time (shared by the offline and live counters).

    ``s`` is the signal scaled to the local range (1 = rest end, 0 = far end). States: None (not yet
    seen at rest), "rest", "far". A dip from rest that turns back before ``LOW`` is a shallow rep
    when it is deep (``SHALLOW``) and as long as a typical rep, else a partial one.
    """

    def __init__(self, unit: str, min_rep_frames: int, reset_frames: int, typical_frames: int) -> None:
        self.unit, self.min_rep_frames, self.reset_frames = unit, min_rep_frames, reset_frames
        self.durations: deque[int] = deque([typical_frames], maxlen=5)  # recent reps' lengths, in frames
        self.gap = 0
        self.state: str | None = None
        self.peak = self.lowest = 0.0
        self.peak_at = self.start = self.bottom = (0, 0.0)  # (frame, time)
        self.raw_min = self.raw_max = 0.0
        self.count = self.partials = 0

    def missing(self) -> None:
        """A frame without pose: after ``reset_frames`` of them a rep in progress is dropped and counting
        resumes once the person is back at rest (a short dropout mid-rep keeps the rep)."""
        self.gap += 1
        if self.gap > self.reset_frames:
            self.state = None

    def _at_rest(self, frame: int, t: float, s: float, raw: float) -> None:
        self.state, self.peak, self.lowest, self.peak_at, self.bottom = "rest", s, s, (frame, t), (frame, t)
        self.raw_min = self.raw_max = raw

    def _rep(self, frame: int, t: float) -> Rep | None:
        start = self.peak_at
        if frame - start[0] < self.min_rep_frames:
            return None
        self.count += 1
        self.durations.append(frame - start[0])
        return Rep(self.count, start[1], t, self.bottom[1], float(self.raw_max - self.raw_min), self.unit,
                   start[0], frame, self.bottom[0])  # fmt: skip

    def step(self, frame: int, t: float, s: float, raw: float, min_rep_frames: int | None = None) -> Rep | None:
        """Advance one frame (``min_rep_frames``: the shortest rep at the local tempo); returns the rep
        this frame completes, if any."""
        self.gap = 0
        if min_rep_frames is not None:
            self.min_rep_frames = min_rep_frames
        if self.state is None:
            if s >= HIGH:
                self._at_rest(frame, t, s, raw)
            return None
        self.raw_min, self.raw_max = min(self.raw_min, raw), max(self.raw_max, raw)
        if s < self.lowest:
            self.lowest, self.bottom = s, (frame, t)
        if self.state == "rest":
            if s < LOW:  # committed to a rep: it started when the signal last left the top
                self.state = "far"
                return None
            rep = None
            if s >= self.peak - 0.05:  # (back) at the top
                depth, length = self.peak - self.lowest, frame - self.peak_at[0]
                if depth > max(1 - PARTIAL, 0.15):  # went down and came back before LOW
                    if depth >= SHALLOW and length >= 0.6 * float(np.median(self.durations)):
                        rep = self._rep(frame, t)  # shallow but real: as deep as SHALLOW, as long as a rep
                    else:
                        self.partials += 1
                self.peak, self.lowest, self.peak_at = max(self.peak, s), s, (frame, t)
                self.raw_min = self.raw_max = raw
            return rep
        # far: follow the bottom until back at rest
        if s < HIGH:
            return None
        rep = self._rep(frame, t)
        self._at_rest(frame, t, s, raw)
        return rep


def _unit(signal: str) -> str:
    """The unit of a signal's values: "deg", "torso" (torso lengths) or "pc" (principal-component units)."""
    if signal == PCA_SIGNAL:
        return "pc"
    return "deg" if signal in ("elbow", "knee", "hip", "shoulder", "ankle", "trunk_lean") else "torso"


@dataclass
class _Plan:
    """Everything the counter fixes before reading reps: which signal, the tempo and the person's range."""

    spec: SignalSpec
    period: int  # frames per typical rep cycle
    fps: float
    scale: float  # torso length, for height signals
    basis: tuple[np.ndarray, np.ndarray] | None  # principal components, for the fallback
    bones: np.ndarray  # the sequence's typical bone proportions: frames far from them are gaps
    rest_high: bool = True
    lo: float = 0.0  # the whole set's range (robust percentiles)
    hi: float = 0.0
    _local: dict[int, float] = field(default_factory=dict, repr=False)  # local cycles by frame, once final

    @property
    def unit(self) -> str:
        return _unit(self.spec.name)

    @property
    def sigma(self) -> float:
        return float(np.clip(SMOOTH_FRACTION * self.period, 0.05 * self.fps, 0.3 * self.fps))

    @property
    def half(self) -> int:
        return int(min(LEVEL_WINDOW * self.period, MAX_LEVEL_WINDOW_S * self.fps))

    @property
    def min_rep_frames(self) -> int:
        return int(max(MIN_REP_S * self.fps, MIN_REP_FRACTION * self.period))

    def _at_scale(self, factor: float) -> tuple[float, int, int]:
        """(smoothing sigma, level half-window, shortest rep), in frames, for cycles ``factor`` x the typical one."""
        period = factor * self.period
        sigma = float(np.clip(SMOOTH_FRACTION * period, 0.05 * self.fps, 0.3 * self.fps))
        half = int(min(LEVEL_WINDOW * period, MAX_LEVEL_WINDOW_S * self.fps))
        return sigma, half, int(max(MIN_REP_S * self.fps, MIN_REP_FRACTION * period))

    def local_scales(self, raw: np.ndarray, first: int = 0) -> np.ndarray:
        """(T,) index into :data:`TEMPO_SCALES` of the tempo around each frame (0: the typical one).

        A set's tempo can change (slow strict reps, then fast kipping ones): the autocorrelation over
        the level window around every ``grid``-th frame (absolute frame numbers from ``first``, so the
        live counter's slices agree with the whole sequence) finds a local cycle; where it repeats
        clearly and is shorter than the typical cycle, smoothing, level window and shortest rep
        follow it. Longer local cycles keep the typical scale (its windows already span them).
        """
        scales = np.zeros(len(raw), dtype=int)
        x = smooth(fill_gaps(raw, int(MAX_GAP_S * self.fps)), 0.05 * self.fps)
        grid = max(1, self.period // 4)
        min_lag = max(2, int(MIN_PERIOD_S * self.fps))
        centres = np.arange(-first % grid, len(raw), grid)
        local = np.full(len(centres), np.nan)
        margin = self.half + int(0.2 * self.fps)  # the window and its smoothing's reach
        for k, c in enumerate(centres):
            if (first + c) in self._local:  # the live counter meets each window many times
                local[k] = self._local[first + c]
                continue
            window = x[max(0, c - self.half) : c + self.half + 1]
            score, lag = periodicity(window, min_lag, int(self.period))
            if score >= LOCAL_MIN_SCORE and lag:
                local[k] = lag / self.period
            if margin <= c < len(raw) - margin:  # whole window seen: final
                self._local[first + c] = local[k]
        if not np.isfinite(local).any():
            return scales
        ratio = np.interp(np.arange(len(raw)), centres, np.where(np.isfinite(local), local, 1.0))
        # the largest scale that is still no longer than the local cycle
        for k, factor in enumerate(TEMPO_SCALES):
            scales[ratio <= factor * LOCAL_MARGIN] = k
        return scales

    @property
    def enough_range(self) -> bool:
        return self.hi - self.lo >= MIN_RANGE[self.unit]

    def raw(self, points: np.ndarray, bad: np.ndarray) -> np.ndarray:
        """(T,) the chosen signal of (T, 33, 3) aspect-corrected landmarks; NaN where the skeleton is
        missing or ``bad`` (its implausible frames, :func:`_implausible_frames`)."""
        points = _as_gaps(points, bad)
        if self.spec.name == PCA_SIGNAL:
            return project_pose(points, self.basis)[:, 0]
        return signal_values(points, self.spec.name, self.scale)

    def smooth(self, raw: np.ndarray) -> np.ndarray:
        return smooth(fill_gaps(raw, int(MAX_GAP_S * self.fps)), self.sigma)

    def read(self, raw: np.ndarray, first: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """(x, s, moving, min_rep): the smoothed signal, scaled to its local range (1 = rest), where the
        person moves enough, and the shortest rep (frames) at each frame, all at the local tempo."""
        scales = self.local_scales(raw, first)
        filled = fill_gaps(raw, int(MAX_GAP_S * self.fps))
        x = np.empty(len(raw))
        local_lo, local_hi, min_rep = np.empty(len(raw)), np.empty(len(raw)), np.empty(len(raw), dtype=int)
        for k in np.unique(scales):
            sigma, half, shortest = self._at_scale(TEMPO_SCALES[k])
            at = scales == k
            xk = smooth(filled, sigma)
            lo, hi = _local_levels(xk, half)
            x[at], local_lo[at], local_hi[at], min_rep[at] = xk[at], lo[at], hi[at], shortest
        moving = (local_hi - local_lo) >= max(MIN_RANGE[self.unit], MIN_LOCAL_RANGE * (self.hi - self.lo))
        s = (x - local_lo) / np.maximum(local_hi - local_lo, 1e-9)
        return x, (s if self.rest_high else 1 - s), moving, min_rep


def _implausible_frames(points: np.ndarray, bones: np.ndarray, fps: float) -> np.ndarray:
    """(T,) frames whose skeleton is out of proportion (:func:`.signals.implausible`), and the plausible
    ones between two such frames when they last ``DOUBTFUL_S`` or less: a detector that keeps losing the
    body is not trusted in between, and a frame near the limit then matters less."""
    bad = implausible(points, bones)
    at = np.flatnonzero(bad)
    for a, b in zip(at[:-1], at[1:]):
        if b - a <= DOUBTFUL_S * fps + 1:
            bad[a:b] = True
    return bad


def _as_gaps(points: np.ndarray, bad: np.ndarray) -> np.ndarray:
    """The landmarks with the ``bad`` frames (:func:`_implausible_frames`) set to NaN: the counter then
    bridges them as short gaps or waits through long ones, as when nobody is seen."""
    if not bad.any():
        return points
    points = points.copy()
    points[bad] = np.nan
    return points


def _make_plan(points: np.ndarray, exercise: str | None, fps: float, first: int = 0) -> tuple[_Plan, np.ndarray]:
    """Choose the signal that repeats most clearly, its tempo and range, from (T, 33, 3) landmarks; also
    the (T,) frames it took for gaps (:func:`_implausible_frames`), for :meth:`_Plan.raw` of the same frames.
    ``first``: the frame number of ``points[0]`` (the live counter's buffer), as :meth:`_Plan.read` takes it.

    The exercise's own signals come first (the first one wins near-ties); the whole pose's principal
    components are candidates too (and the only ones for an exercise the counter does not know). For
    an alternating exercise a component that repeats once per left-and-right pair of the exercise's
    own best signal is left out (it would count half); one at another tempo stays, as the movement
    may not be the named one (a sit-up recognised as a Russian twist). Where none of the exercise's signals
    repeats (a set of a rep or two) but one of them moves, that one is taken over any component. A choice
    the state machine reads as far fewer reps than the cycles it repeats over (:func:`_misread`) gives way
    to the next candidate that reads consistently.
    """
    bones = bone_reference(points)
    bad = _implausible_frames(points, bones, fps)
    points = _as_gaps(points, bad)
    scale = float(np.nanmedian(torso_size(points[..., :2]))) if np.isfinite(points).any() else 1.0
    basis = fit_pose_basis(points)
    pcs = project_pose(points, basis)
    cands = [(spec, signal_values(points, spec.name, scale)) for spec in EXERCISE_SIGNALS.get(exercise or "", ())]
    cands += [(SignalSpec(PCA_SIGNAL, True), pcs[:, k]) for k in range(pcs.shape[1])]
    lags = (max(2, int(MIN_PERIOD_S * fps)), int(MAX_PERIOD_S * fps))
    # facing the camera, legs and trunk bend towards it: their 2-D angles shrink and distort
    facing = view_cues(points)[0] <= FRONT_MAX_YAW
    scored: list[_Candidate] = []
    first_pc_range, own_period, moving_own, own_score = None, 0, None, 0.0
    for rank, (spec, raw) in enumerate(cands):
        x = smooth(fill_gaps(raw, int(MAX_GAP_S * fps)), 0.1 * fps)
        score, period = periodicity(x, *lags)
        if np.isfinite(x).any() and np.ptp(np.nanpercentile(x, RANGE_PERCENTILES)) < MIN_RANGE[_unit(spec.name)]:
            score = 0.0  # repeats, but too little to be the exercise (an arm kept straight, detector jitter)
        elif spec.name != PCA_SIGNAL and moving_own is None and len(x) <= SHORT_SET_S * fps and _few_cycles(x):
            moving_own = _Candidate(0.0, spec, raw, 0, rank)  # the exercise's first signal that moves, a rep or two
        if spec.name != PCA_SIGNAL:
            own_score = max(own_score, score)  # before the weights: how clearly it repeats, as WEAK_REPEAT means
        score *= 1.0 if rank == 0 else (PC_WEIGHT if spec.name == PCA_SIGNAL else 0.9)
        if facing and spec.name in SAGITTAL:
            score *= FRONT_SAGITTAL_WEIGHT
        if spec.name == PCA_SIGNAL and np.isfinite(x).any():
            # a minor component can repeat cleanly yet only carry sway or detector noise: weigh by its size
            pc_range = np.ptp(np.nanpercentile(x, RANGE_PERCENTILES))
            first_pc_range = first_pc_range or pc_range
            score *= np.sqrt(min(1.0, pc_range / max(first_pc_range, 1e-9)))
            if exercise in ALTERNATING and own_period and PAIR_RATIO[0] <= period / own_period <= PAIR_RATIO[1]:
                score = 0.0
        elif score > max((c.score for c in scored), default=0.0):
            own_period = period  # the best of the exercise's own signals so far
        scored.append(_Candidate(score, spec, raw, period, rank))
    ranked = sorted(scored, key=lambda c: -c.score)  # stable: the earlier candidate wins a tie
    if ranked[0].spec.name == PCA_SIGNAL and own_score < WEAK_REPEAT and moving_own is not None:
        # None of the exercise's signals repeats, yet one moves: a set too short to repeat (one or two reps),
        # where a minor component's chance wiggle would otherwise set the reps apart from the movement named
        ranked.insert(0, moving_own)
    n_own = len(cands) - pcs.shape[1]
    best = _plan_for(ranked[0], basis, n_own, fps, scale, bones)
    if _misread(best, ranked[0].raw, first):
        for cand in (c for c in ranked[1:] if c.score > 0):
            plan = _plan_for(cand, basis, n_own, fps, scale, bones)
            if not _misread(plan, cand.raw, first):
                return plan, bad
    return best, bad


@dataclass
class _Candidate:
    """A signal the counter may read reps from, with how clearly it repeats (weighted) and its cycle in frames."""

    score: float
    spec: SignalSpec
    raw: np.ndarray
    period: int
    rank: int  # its place among the exercise's own signals and then the principal components


def _plan_for(
    cand: _Candidate, basis: tuple[np.ndarray, np.ndarray], n_own: int, fps: float, scale: float, bones: np.ndarray
) -> _Plan:
    """The plan that reads reps from ``cand`` (``n_own``: how many of the candidates are the exercise's own)."""
    if cand.spec.name == PCA_SIGNAL:  # keep just the chosen component
        basis = (basis[0], basis[1][[cand.rank - n_own]])
    plan = _Plan(cand.spec, cand.period or int(2 * fps), fps, scale, basis, bones)
    x = plan.smooth(cand.raw)
    v = x[np.isfinite(x)]
    plan.lo, plan.hi = (float(q) for q in np.percentile(v, RANGE_PERCENTILES)) if len(v) else (0.0, 0.0)
    # a principal component has no natural rest end: rest is where the person spends more time
    is_pc = cand.spec.name == PCA_SIGNAL
    plan.rest_high = bool(np.median(v) > (plan.lo + plan.hi) / 2) if is_pc else cand.spec.rest_high
    return plan


def _read_reps(
    plan: _Plan, raw: np.ndarray, times: np.ndarray, first: int = 0
) -> tuple[list[Rep], int, np.ndarray, float]:
    """(reps, partial reps, smoothed signal, cycles): the state machine over the plan's signal ``raw``; cycles
    is how many of the plan's typical rep cycles fit in the frames where the person moves. No reps where
    the signal moves too little (:attr:`_Plan.enough_range`)."""
    x, s, moving, min_rep = plan.read(raw, first)
    cycles = np.count_nonzero(np.isfinite(x) & moving) / plan.period
    if not plan.enough_range:
        return [], 0, x, cycles
    machine = _RepMachine(plan.unit, plan.min_rep_frames, int(RESET_GAP_S * plan.fps), plan.period)
    reps = []
    for i in range(len(x)):
        if not np.isfinite(x[i]):
            machine.missing()
        elif moving[i] and (rep := machine.step(i, float(times[i]), float(s[i]), float(x[i]), int(min_rep[i]))):
            reps.append(rep)
    return reps, machine.partials, x, cycles


def _misread(plan: _Plan, raw: np.ndarray, first: int = 0) -> bool:
    """The state machine finds far fewer reps in the plan's signal than the cycles it repeats over
    (:data:`MISREAD`): a drift or detector glitches swamp the local range (a lying lifter's posture
    shifting under noisy landmarks), so the signal repeats yet is read wrong. Not judged within ``SHORT_SET_S``:
    a rep or two there can show an autocorrelation peak of a few frames, and "cycles" that never were (a
    single donkey kick read as 3.4 cycles). ``first`` as for :meth:`_Plan.read`: the local tempi it caches are
    kept by frame number, and the live counter reuses them."""
    if len(raw) <= SHORT_SET_S * plan.fps:
        return False
    reps, _, _, cycles = _read_reps(plan, raw, np.arange(len(raw)) / plan.fps, first)
    return cycles >= MISREAD_MIN_CYCLES and len(_drop_stragglers(reps)) < MISREAD * cycles


def _few_cycles(x: np.ndarray) -> bool:
    """The signal crosses the middle of its range at most twice per cycle for :data:`FEW_CYCLES` cycles: a set
    of a rep or two, too short for its repetition to show."""
    v = x[np.isfinite(x)]
    if not len(v):
        return False
    lo, hi = np.percentile(v, RANGE_PERCENTILES)
    side = v > (lo + hi) / 2
    return int(np.count_nonzero(side[1:] != side[:-1])) <= 2 * FEW_CYCLES


def _local_levels(x: np.ndarray, half: int) -> tuple[np.ndarray, np.ndarray]:
    """(low, high) of the signal within ``half`` frames either side: the person's range *here*.

    Local rather than global, so that a camera that moves, a person who drifts or a long warm-up
    with a different pose do not squash the reps into a sliver of a range set elsewhere.
    """
    filled = np.where(np.isfinite(x), x, np.nanmedian(x))
    size = 2 * half + 1
    return minimum_filter1d(filled, size, mode="nearest"), maximum_filter1d(filled, size, mode="nearest")


def _drop_stragglers(reps: list[Rep]) -> list[Rep]:
    """The reps without those lasting over ``STRAGGLER`` x the median of the others, renumbered.

    Setting up, walking about or resting between sets can take the signal away from rest and back
    once, slowly: a "rep" several times longer than the set's own. The median of the *other* reps is
    the yardstick (a few such stragglers do not move it), and only in sets of ``STRAGGLER_MIN_REPS``
    or more, where a typical rep is known.
    """
    if len(reps) < STRAGGLER_MIN_REPS:
        return reps
    durations = np.array([r.duration_s for r in reps])
    kept = [r for k, r in enumerate(reps) if durations[k] <= STRAGGLER * np.median(np.delete(durations, k))]
    for index, rep in enumerate(kept, 1):
        rep.index = index
    return kept


def _body_speed(body: np.ndarray, earlier: np.ndarray, lag_s: float) -> np.ndarray:
    """Mean landmark speed in torso lengths per second between two normalised body poses ``lag_s`` apart.

    Over half a second, not frame to frame: detector jitter averages out, real movement adds up.
    """
    return np.linalg.norm(body - earlier, axis=-1).mean(axis=-1) / lag_s


def _held_seconds(seq: PoseSequence) -> np.ndarray:
    """(T,) time under tension so far at each frame: seconds the body has held still (pose present, slow), in
    stretches of at least 1 s. Its last value is the hold's time."""
    body = normalize(metric_xyz(seq)[..., :2])[:, 11:]
    lag = max(1, int(HOLD_LAG_S * seq.fps))
    still = np.zeros(len(seq), bool)
    with np.errstate(invalid="ignore"):
        still[lag:] = _body_speed(body[lag:], body[:-lag], lag / seq.fps) < HOLD_SPEED
    held, start = np.zeros(len(seq), bool), None
    for i, s in enumerate(np.append(still, False)):
        if s and start is None:
            start = i
        elif not s and start is not None:
            held[start:i] = i - start >= seq.fps  # a stretch counts once it lasts a second
            start = None
    return np.cumsum(held) / seq.fps


def count_reps(seq: PoseSequence, exercise: str | None = None, referee: bool | RepModel = True) -> RepReport:
    """Count the repetitions in a sequence.

    ``exercise`` selects the signals (:data:`signals.EXERCISE_SIGNALS`); ``None`` or a name the counter
    does not know falls back to the periodicity of the whole pose. Holds (``exercises.HOLDS``) report
    ``hold_s`` and no reps, unless the body held still for less than ``HOLD_SHARE`` of the time and
    repeats a movement: then ``hold_s`` and the fallback's reps. ``no_exercise`` counts nothing.
    ``referee``: where the exercise's count and the fallback's differ, the learned counter
    (:mod:`.rep_model`; True: the embedded one) decides between them (:func:`_refereed`).
    """
    exercise = resolve(exercise)
    times = np.asarray(seq.timestamps, dtype=np.float64)
    empty = np.full(len(seq), np.nan)
    if exercise in HOLDS:
        held = _held_seconds(seq)
        hold_s = float(held[-1]) if len(held) else 0.0
        if hold_s < HOLD_SHARE * seq.has_pose.sum() / seq.fps:
            # still for little of the time: a dynamic variant (shoulder taps) or another, repeated
            # movement taken for a hold; its repetitions say more than the hold time does
            moving = count_reps(seq, None)
            if moving.count >= 2:
                moving.exercise, moving.hold_s = exercise, hold_s
                moving.notes.append(f"held still for only {hold_s:.1f} s: counted the repeated movement of the whole pose")
                return moving
        return RepReport(exercise, 0, [], "hold", held, times, hold_s=hold_s, method="hold")
    if exercise == NO_EXERCISE or not seq.has_pose.any():
        note = "no exercise recognised" if exercise == NO_EXERCISE else "no pose found"
        return RepReport(exercise, 0, [], "none", empty, times, method="none", notes=[note])
    known = exercise in ALL_EXERCISES
    points = metric_xyz(seq)
    plan, bad = _make_plan(points, exercise if known else None, seq.fps)
    reps, partials, x, _ = _read_reps(plan, plan.raw(points, bad), times)
    report = RepReport(exercise, 0, [], plan.spec.name, x, times, method="exercise" if known else "fallback")
    report.rest_level, report.far_level = (plan.hi, plan.lo) if plan.rest_high else (plan.lo, plan.hi)
    if exercise is not None and not known:
        report.notes.append(f"unknown exercise {exercise!r}: counted from the whole pose's periodicity")
    if not plan.enough_range:
        report.notes.append("too little movement to count repetitions")
        return report
    kept = _drop_stragglers(reps)
    if len(kept) < len(reps):
        report.notes.append(f"{len(reps) - len(kept)} slow movement(s) over {STRAGGLER:g}x the set's typical "
                            "rep not counted (setting up, walking, resting)")  # fmt: skip
    report.reps, report.count, report.partial_reps = kept, len(kept), partials
    return _refereed(seq, report, None if referee is True else referee) if referee and known else report


def _refereed(seq: PoseSequence, report: RepReport, model: RepModel | None = None) -> RepReport:
    """The exercise's own count or the whole pose's (fallback), whichever the learned counter is closer to.

    On real clips the two are about equally good and disagree on a third of the videos; a small net
    trained on synthetic sets only (:mod:`.rep_model`) is a poor counter alone but a good judge of
    which of them is right. A tie keeps the exercise's count, and so does a sequence shorter than the
    net's training crops.
    """
    if len(seq) < 2 or seq.timestamps[-1] - seq.timestamps[0] < REFEREE_MIN_S:
        return report
    fallback = count_reps(seq, None)
    if fallback.count == report.count:
        return report
    from .rep_model import default_rep_model  # torch: loaded only when the two disagree

    learned = (model or default_rep_model()).count(seq).count
    if abs(fallback.count - learned) >= abs(report.count - learned):
        return report
    fallback.exercise = report.exercise
    fallback.notes.append(f"counted from the movement of the whole body ({fallback.count}) rather than the "
                          f"{display_name(report.exercise)}'s own measures ({report.count}): a learned counter, which "
                          f"counted {learned}, agrees better with it")  # fmt: skip
    return fallback


class RepCounter:
    """Live counting, frame by frame, with bounded memory and delay; agrees with :func:`count_reps`.

    For its first ``WARMUP_S`` seconds with a pose it only buffers; then it chooses its signal, tempo and
    range from the buffer (as :func:`count_reps` does from the whole sequence) and judges each frame once
    the frames its smoothing and local range look at have arrived: a rep is reported about ``delay_s``
    after it ends. Every ``REPLAN_S`` seconds (and at :meth:`finish`) it chooses again from the buffer;
    if the choice changed it recounts the buffer with it: unless the recount finds as many reps, those
    it had reported from the buffer's frames are taken back (:attr:`retracted`) and the recount's are
    reported instead. Memory: at most ``window_s`` seconds of frames.

    ``exercise``: a name as :func:`count_reps` takes it. ``aspect``: the frame's width / height (16/9 for a
    landscape HD camera, 9/16 in portrait). MediaPipe's image coordinates are fractions of each side, so
    without the right aspect the angles of a non-square frame are distorted and reps can be missed.

        counter = RepCounter("squat", fps=30)
        for t, landmarks in frames:            # landmarks: (33, 4) MediaPipe image landmarks, NaN if none
            new = counter.update(landmarks, t)
            if counter.retracted:               # a recount took reps back: the count is len(counter.reps)
                print(f"recount: {counter.count - len(new)} so far")
            for rep in new:
                print(f"rep {rep.index}: {rep.duration_s:.1f} s")
        counter.finish()                        # the end of the stream: judge the last frames (same protocol)
    """

    def __init__(self, exercise: str | None, fps: float, aspect: float = 1.0, window_s: float = 30.0) -> None:
        if not (np.isfinite(fps) and fps > 0 and np.isfinite(aspect) and aspect > 0):
            raise ValueError(f"fps and aspect must be positive numbers, got fps={fps}, aspect={aspect}")
        self.exercise, self.fps, self.aspect = resolve(exercise), float(fps), float(aspect)
        self.reps: list[Rep] = []
        self.retracted: list[Rep] = []  # the reps the last update() or finish() took back (a recount)
        self.hold_s: float | None = 0.0 if self.exercise in HOLDS else None
        size = int(max(window_s, 2 * WARMUP_S) * fps)
        self._points: deque[np.ndarray] = deque(maxlen=size)  # (33, 3) aspect-corrected, NaN without pose
        self._times: deque[float] = deque(maxlen=size)
        self._raw: deque[float] = deque(maxlen=size)  # the chosen signal of each buffered frame
        self._n = 0  # frames received
        self._next = 0  # next frame to judge
        self._posed = 0
        self._planned_at = 0
        self._plan: _Plan | None = None
        self._last_bad: int | None = None  # the last frame with an implausible skeleton
        self._machine: _RepMachine | None = None
        self._still_run = 0
        self._bodies: deque[np.ndarray] = deque(maxlen=int(HOLD_LAG_S * fps) + 1)

    @property
    def count(self) -> int:
        return len(self.reps)

    @property
    def signal(self) -> str | None:
        """The signal the reps are read from now (None during the warm-up); ranges of motion of reps read
        from different signals are not comparable."""
        return self._plan.spec.name if self._plan else None

    def buffered(self) -> tuple[int, np.ndarray]:
        """(frame number of the first, (n, 33, 3) aspect-corrected landmarks) of the frames in the buffer:
        the last ``window_s`` seconds, for live form checks of the reps just reported."""
        return self._n - len(self._points), np.stack(self._points) if self._points else np.empty((0, 33, 3))

    @property
    def delay_s(self) -> float:
        """How long after a rep ends it is reported (once warmed up)."""
        return self._lookahead / self.fps if self._plan else WARMUP_S

    @property
    def _lookahead(self) -> int:
        plan = self._plan
        return plan.half + int(np.ceil(4 * plan.sigma)) + 3 + int(MAX_GAP_S * self.fps)

    def update(self, landmarks: np.ndarray, t: float) -> list[Rep]:
        """Add one frame ((33, 4) image landmarks, all-NaN when no pose) at time ``t`` seconds; returns new
        reps (after a recount, :attr:`retracted` holds the reps it took back, the last ones reported)."""
        landmarks = np.asarray(landmarks, dtype=np.float64)
        if landmarks.shape not in ((33, 4), (33, 3)):
            raise ValueError(f"landmarks must be one frame's (33, 4) or (33, 3) array, got shape {landmarks.shape}")
        check_whole_frames(landmarks[None])
        points = undo_aspect(landmarks[None, :, :3].copy(), self.aspect)
        self._n += 1
        self.retracted = []
        if self.exercise == NO_EXERCISE:
            return []
        if self.hold_s is not None:
            self._update_hold(points)
            return []
        self._points.append(points[0])
        self._times.append(float(t))
        self._posed += bool(np.isfinite(points).any())
        if self._plan is not None:
            bad = implausible(points, self._plan.bones)
            self._raw.append(float(self._plan.raw(points, bad)[0]))
            if bad[0]:
                self._doubt()
        if self._posed < WARMUP_S * self.fps:
            return []
        new = self._replan() if self._plan is None or self._n - self._planned_at >= REPLAN_S * self.fps else []
        return new + self._judge(final=False)

    def finish(self) -> list[Rep]:
        """The stream has ended: choose once more and judge the frames still waiting; returns their reps
        (and, as :meth:`update`, fills :attr:`retracted`)."""
        self.retracted = []
        if self.hold_s is not None or self.exercise == NO_EXERCISE or not self._posed:
            return []
        return self._replan() + self._judge(final=True)

    def _accept(self, reps: list[Rep]) -> list[Rep]:
        """Number and keep the reps whose turnaround comes after the end of the last one reported, except
        stragglers (as :func:`count_reps` drops them, but against the reps reported so far: the later
        ones have not happened yet)."""
        last = self.reps[-1].end_frame if self.reps else -1
        new = []
        for rep in reps:
            earlier = [r.duration_s for r in self.reps + new]
            if rep.bottom_frame > last and not (
                len(earlier) >= STRAGGLER_MIN_REPS - 1 and rep.duration_s > STRAGGLER * np.median(earlier)
            ):
                new.append(rep)
        for rep in new:
            rep.index = len(self.reps) + 1
            self.reps.append(rep)
        return new

    def _replan(self) -> list[Rep]:
        """Choose signal, tempo and range from the buffer; recount it if the choice changed, unless reps
        have been counted and the person moved in less than ``MIN_MOVING_SHARE`` of it (resting after a
        set, the last few reps would choose a signal that counts the rest's jitter, and its recount would
        replace the set's reps). Before the first rep nothing is kept: a choice made while the person stood
        still must give way to the set that follows."""
        points = np.stack(self._points)
        known = self.exercise in ALL_EXERCISES
        first = self._n - len(points)
        plan, bad = _make_plan(points, self.exercise if known else None, self.fps, first)
        self._planned_at = self._n
        old = self._plan
        if old is not None and old.spec == plan.spec and old.rest_high == plan.rest_high and (
            abs(plan.period - old.period) <= 0.15 * old.period
        ):  # same choice: only the range moves on
            old.lo, old.hi = plan.lo, plan.hi
            return []
        raw = plan.raw(points, bad)
        if self.reps and (not plan.enough_range or plan.read(raw, first)[2].mean() < MIN_MOVING_SHARE):
            return []  # mostly rest: what is left of the set in the buffer is too little to choose from
        self._plan = plan
        self._raw = deque(raw, maxlen=self._points.maxlen)
        at = np.flatnonzero(bad)
        self._last_bad = first + int(at[-1]) if len(at) else None
        self._machine = _RepMachine(plan.unit, plan.min_rep_frames, int(RESET_GAP_S * plan.fps), plan.period)
        stop, self._next = self._next, first
        recount = self._run(final=False, stop=stop) if stop > first else []
        return self._accept(self._reconcile(first, plan.period, recount))

    def _reconcile(self, first: int, period: int, recount: list[Rep]) -> list[Rep]:
        """The reps of the recount of the buffer (from frame ``first``) to report: none when it counts as
        many as were reported from those frames (those stand), else all of them, and the reported ones
        they replace are taken back (:attr:`retracted`).

        A rep whose turnaround came before the buffer stays. Once the buffer has dropped the stream's
        first frames, so does one in its first cycle that ends before the recount's first rep starts: the
        replay then begins mid-movement and cannot see it.

        Counting the buffer again, rather than adding the reps the new choice finds after the last one
        reported, takes back a warm-up counted before the set showed its signal, and keeps a choice that
        flips back and forth from counting the same movement twice (noisy bench presses: 15 for 4).
        """
        start = recount[0].start_frame if recount else self._next
        kept = 0
        for rep in self.reps:
            unseen = first > 0 and rep.bottom_frame < first + period and rep.end_frame <= start
            if not (rep.bottom_frame < first or unseen):
                break
            kept += 1
        if len(self.reps) - kept == len(recount):
            return []
        self.retracted, self.reps = self.reps[kept:], self.reps[:kept]
        return recount

    def _doubt(self) -> None:
        """The newest frame is implausible; as offline (:func:`_implausible_frames`): when an earlier one
        was too, with at most ``DOUBTFUL_S`` of frames between, those become gaps too (not yet judged:
        the look-ahead is longer)."""
        frame, first = self._n - 1, self._n - len(self._raw)
        if self._last_bad is not None and frame - self._last_bad <= DOUBTFUL_S * self.fps + 1:
            for i in range(max(self._last_bad, first), frame):
                self._raw[i - first] = np.nan
        self._last_bad = frame

    def _judge(self, final: bool) -> list[Rep]:
        """Count the frames whose look-ahead has arrived (all of them when final); returns the new reps."""
        return self._accept(self._run(final))

    def _run(self, final: bool, stop: int | None = None) -> list[Rep]:
        """Run the state machine over the frames from ``_next`` whose look-ahead has arrived (all of them
        when final), or up to ``stop``; returns the reps they complete."""
        plan, machine = self._plan, self._machine
        if stop is None:
            stop = self._n if final else self._n - self._lookahead
        if stop <= self._next:
            return []
        if not plan.enough_range:  # nothing to count yet; the frames of the look-ahead are judged later
            self._next = stop
            return []
        first = self._n - len(self._raw)  # frame number of the buffer's first sample
        lo = max(first, self._next - self._lookahead)
        hi = min(self._n, stop + self._lookahead)
        raw = np.fromiter((self._raw[i - first] for i in range(lo, hi)), float, hi - lo)
        x, s, moving, min_rep = plan.read(raw, lo)
        found = []
        for i in range(self._next, stop):
            j = i - lo
            if not np.isfinite(x[j]):
                machine.missing()
            elif moving[j] and (rep := machine.step(i, self._times[i - first], float(s[j]), float(x[j]), int(min_rep[j]))):
                found.append(rep)
        self._next = stop
        return found

    def _update_hold(self, points: np.ndarray) -> None:
        """Time under tension, live: the same still frames, in the same runs of >= 1 s, as count_reps."""
        body = normalize(points[..., :2])[0, 11:]
        lag = max(1, int(HOLD_LAG_S * self.fps))
        self._bodies.append(body)
        with np.errstate(invalid="ignore"):
            still = len(self._bodies) > lag and bool(
                _body_speed(body, self._bodies[-lag - 1], lag / self.fps) < HOLD_SPEED
            )
        if still:
            self._still_run += 1
            if self._still_run == int(self.fps):
                self.hold_s += self._still_run / self.fps
            elif self._still_run > self.fps:
                self.hold_s += 1 / self.fps
        else:
            self._still_run = 0
