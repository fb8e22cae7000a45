"""From per-window class probabilities to a verdict: the exercise, how sure, and segments over time.

A model gives calibrated probabilities for overlapping windows of a few seconds. Taking the argmax of
each window flickers wherever the model hesitates, so the windows are decoded as a hidden Markov
model instead (Viterbi): staying in a class is free, switching costs ``switch_penalty`` (in nats), and
every class is a chain of ``K`` sub-states so that no segment is shorter than ``min_segment_s``.

"No exercise recognised" is a state of its own. Its score in a window is the model's ``no_exercise``
probability (when the model knows that class) or ``min_confidence``, whichever is higher: a window
whose best class is less likely than ``min_confidence`` is rejected (Chow's rule), and the decoder
then smooths rejections exactly as it smooths classes, so what the model is unsure of is not forced
into the nearest exercise (a real person at rest only sometimes is: docs/analyze.md). Time for which the model gave no window (nobody in the frame, or
too few frames with a pose) is filled with empty windows that only "no exercise" can explain, so a
set is never stretched across it.

:class:`StreamingRecognizer` runs the same decoder one window at a time for a live camera. It keeps
only the windows whose state is still undecided: once every surviving Viterbi path passes through
one state, everything before it is final (the paths can no longer change) and is folded into
segments. Its answer after the last window is exactly the offline one.
"""

from __future__ import annotations

import copy
import math
from collections import deque
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from ..exercises import NO_EXERCISE, display_name

# Decoder settings, measured with models that never saw the people judged (docs/analyze.md, "How the
# verdict is reached"). min_confidence: the highest threshold that costs nothing measurable on
# segmentation of joined clips (scripts/eval_segmentation.py) or on naming single clips, while it
# rejects real rest (scripts/eval_min_confidence.py); 0.15 cost 4 points of joined-clip frame accuracy
# and 2 of single clips named right. switch_penalty and min_segment_s: chosen by eval_segmentation.py;
# at this threshold the others score within a point.
MIN_CONFIDENCE = 0.125
SWITCH_PENALTY = 4.0
MIN_SEGMENT_S = 3.0
RUNNER_UPS = 3
# The streaming decoder forces a decision on windows older than this (memory bound; far beyond the
# lag seen in practice, where paths merge within a few windows of a clear change).
MAX_LAG_WINDOWS = 2000


class WindowProbsLike(Protocol):
    """What :func:`recognise` needs from a model's output (``bundle.WindowProbs``)."""

    start: np.ndarray  # (W,) seconds
    end: np.ndarray  # (W,) seconds
    probs: np.ndarray  # (W, C) calibrated, rows sum to 1
    labels: list[str]


@dataclass
class Segment:
    """A stretch of time decoded as one exercise (or ``no_exercise``)."""

    start_s: float
    end_s: float
    exercise: str
    confidence: float | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "start_s": round(self.start_s, 2),
            "end_s": round(self.end_s, 2),
            "exercise": self.exercise,
            "confidence": None if self.confidence is None else round(self.confidence, 4),
        }


@dataclass
class Recognition:
    """The verdict on a sequence.

    ``exercise`` is the exercise decoded over the most time, or ``no_exercise`` when no window was
    recognised as one; ``confidence`` is its mean probability over the windows decoded as it (None
    when the exercise was given by the user) and ``runner_ups`` the next classes by their mean
    probability over those same windows. ``probabilities`` is the mean window probability of every
    class over the whole sequence, most likely first.
    """

    exercise: str
    confidence: float | None
    probabilities: dict[str, float] = field(default_factory=dict)
    runner_ups: list[tuple[str, float]] = field(default_factory=list)
    segments: list[Segment] = field(default_factory=list)
    given: bool = False

    @property
    def recognised(self) -> bool:
        return self.exercise != NO_EXERCISE

    @classmethod
    def from_given(cls, exercise: str, start_s: float, end_s: float) -> Recognition:
        """The user named the exercise (``--exercise``): one segment, no model involved."""
        return cls(exercise, None, segments=[Segment(start_s, end_s, exercise, None)], given=True)

    def to_dict(self) -> dict[str, Any]:
        return {
            "exercise": self.exercise,
            "recognised": self.recognised,
            "given": self.given,
            "confidence": None if self.confidence is None else round(self.confidence, 4),
            "runner_ups": [{"exercise": c, "probability": round(p, 4)} for c, p in self.runner_ups],
            "probabilities": {c: round(p, 4) for c, p in self.probabilities.items()},
            "segments": [s.to_dict() for s in self.segments],
        }

    def describe(self) -> str:
        """One line a person reads: 'squat (92 % sure; else lunge 4 %, deadlift 2 %)'."""
        if self.given:
            return f"{display_name(self.exercise)} (given)"
        if not self.recognised:
            return "no exercise recognised"
        others = ", ".join(f"{display_name(c)} {p:.0%}" for c, p in self.runner_ups if p >= 0.005)  # no "0%" names
        return f"{display_name(self.exercise)} ({self.confidence:.0%} sure" + (f"; else {others})" if others else ")")


@dataclass(frozen=True)
class DecoderConfig:
    """Decoder settings. ``hop_s`` (seconds between window starts) turns ``min_segment_s`` into windows."""

    min_confidence: float = MIN_CONFIDENCE
    switch_penalty: float = SWITCH_PENALTY
    min_segment_s: float = MIN_SEGMENT_S

    def min_windows(self, hop_s: float) -> int:
        return max(1, math.ceil(self.min_segment_s / hop_s - 1e-9)) if hop_s > 0 else 1


def _states(labels: list[str]) -> tuple[list[str], int]:
    """Decoder classes: the model's labels plus ``no_exercise`` if the model lacks it; its index."""
    classes = list(labels) if NO_EXERCISE in labels else [*labels, NO_EXERCISE]
    return classes, classes.index(NO_EXERCISE)


def _emission(probs: np.ndarray, n_classes: int, reject: int, min_confidence: float) -> np.ndarray:
    """(W, n_classes) log scores: class probabilities, with the reject state floored at min_confidence."""
    p = np.zeros((len(probs), n_classes))
    p[:, : probs.shape[1]] = probs
    p[:, reject] = np.maximum(p[:, reject], min_confidence)
    return np.log(np.maximum(p, 1e-12))


class _Viterbi:
    """Minimum-duration HMM: class c is the chain c_0 -> ... -> c_{K-1} (which loops on itself), and
    only c_{K-1} may switch, to another class's c_0, at ``penalty``. State index = c * K + k."""

    def __init__(self, n_classes: int, k: int, penalty: float) -> None:
        self.c, self.k, self.penalty = n_classes, k, penalty
        self.score: np.ndarray | None = None

    def step(self, emission: np.ndarray) -> np.ndarray | None:
        """Advance by one window; returns its back-pointers (None for the first window)."""
        c, k = self.c, self.k
        emit = np.repeat(emission, k)
        if self.score is None:
            score = np.full(c * k, -np.inf)
            score[::k] = 0.0  # every segment, the first too, starts at sub-state 0
            self.score = score + emit
            return None
        prev = self.score.reshape(c, k)
        new = np.empty((c, k))
        back = np.empty((c, k), dtype=np.int32)
        idx = np.arange(c) * k
        # Enter class j from the best full-length segment of another class.
        last = prev[:, k - 1]
        order = np.argsort(-last, kind="stable")
        best, second = order[0], order[1] if c > 1 else order[0]
        src = np.where(np.arange(c) == best, second, best)
        new[:, 0] = last[src] - self.penalty
        back[:, 0] = src * k + k - 1
        if k > 1:
            new[:, 1:] = prev[:, :-1]
            back[:, 1:] = idx[:, None] + np.arange(k - 1)[None, :]
            # The last sub-state also loops on itself: keep the better of staying and arriving.
            stay = prev[:, k - 1] >= prev[:, k - 2]
            new[:, k - 1] = np.where(stay, prev[:, k - 1], prev[:, k - 2])
            back[:, k - 1] = np.where(stay, idx + k - 1, idx + k - 2)
        else:
            stay = prev[:, 0] >= new[:, 0]
            new[:, 0] = np.where(stay, prev[:, 0], new[:, 0])
            back[:, 0] = np.where(stay, idx, back[:, 0])
        self.score = new.reshape(-1) + emit
        return back.reshape(-1)

    def final_state(self, n_windows: int) -> int:
        """Best end state; a complete last segment is required when the sequence is long enough."""
        score = self.score.reshape(self.c, self.k)
        if n_windows >= self.k:
            return int(np.argmax(score[:, -1])) * self.k + self.k - 1
        return int(np.argmax(score))


@dataclass
class _Run:
    """Consecutive decided windows of one class."""

    cls: int
    first_start: float
    first_centre: float
    last_centre: float
    last_end: float
    sure: float = 0.0  # sum over windows of the probability that the label is right
    probs: np.ndarray = field(default_factory=lambda: np.zeros(0))  # sum of the windows' probabilities
    n: int = 0


class _Summary:
    """Folds decided windows, in order, into segments and per-class sums (same arithmetic online and off)."""

    def __init__(self, labels: list[str], classes: list[str], reject: int) -> None:
        self.labels, self.classes, self.reject = labels, classes, reject
        self.exercise_cols = [i for i, c in enumerate(labels) if c != NO_EXERCISE]
        self.total = np.zeros(len(labels))
        self.n = 0
        self.runs: list[_Run] = []

    def add(self, start: float, end: float, probs: np.ndarray, cls: int) -> None:
        if probs.any():  # empty windows (nobody seen) say nothing about the classes
            self.total += probs
            self.n += 1
        if cls == self.reject:  # how sure that it is no exercise at all
            sure = 1.0 - float(probs[self.exercise_cols].max()) if self.exercise_cols else 1.0
        else:
            sure = float(probs[cls])
        centre = (start + end) / 2
        if not self.runs or self.runs[-1].cls != cls:
            self.runs.append(_Run(cls, start, centre, centre, end, probs=np.zeros(len(self.labels))))
        run = self.runs[-1]
        run.last_centre, run.last_end = centre, end
        run.sure, run.probs, run.n = run.sure + sure, run.probs + probs, run.n + 1

    def result(self, start_s: float | None, end_s: float | None, runner_ups: int) -> Recognition:
        if not self.runs:  # no window at all: nobody seen long enough to judge
            span = [] if start_s is None or end_s is None else [Segment(start_s, end_s, NO_EXERCISE, None)]
            return Recognition(NO_EXERCISE, None, segments=span)
        # A boundary lies halfway between the centres of the last window of one segment and the first of
        # the next; the first and last segments reach the ends of the sequence.
        cuts = [(a.last_centre + b.first_centre) / 2 for a, b in zip(self.runs, self.runs[1:])]
        starts = [self.runs[0].first_start if start_s is None else start_s, *cuts]
        ends = [*cuts, self.runs[-1].last_end if end_s is None else end_s]
        segments = [Segment(float(a), float(b), self.classes[r.cls], r.sure / r.n)
                    for r, a, b in zip(self.runs, starts, ends)]  # fmt: skip
        mean = self.total / max(self.n, 1)
        probabilities = {self.labels[i]: float(mean[i]) for i in np.argsort(-mean, kind="stable")}
        seconds: dict[str, float] = {}
        for seg in segments:
            if seg.exercise != NO_EXERCISE:
                seconds[seg.exercise] = seconds.get(seg.exercise, 0.0) + seg.end_s - seg.start_s
        if not seconds:
            sure = sum(r.sure for r in self.runs) / sum(r.n for r in self.runs)
            return Recognition(NO_EXERCISE, sure, probabilities, [], segments)
        exercise = max(seconds, key=lambda c: (seconds[c], probabilities.get(c, 0.0)))
        # Confidence and runner-ups over the windows decoded as the exercise: what else they could be.
        mine = [r for r in self.runs if self.classes[r.cls] == exercise]
        vec = sum(r.probs for r in mine) / sum(r.n for r in mine)
        others = [(self.labels[i], float(vec[i])) for i in np.argsort(-vec, kind="stable")
                  if self.labels[i] not in (exercise, NO_EXERCISE)][:runner_ups]  # fmt: skip
        return Recognition(exercise, float(vec[self.labels.index(exercise)]), probabilities, others, segments)


def _hop(start: np.ndarray) -> float:
    return float(np.median(np.diff(start))) if len(start) > 1 else 0.0


def _gaps(previous: float | None, last_start: float, length: float, hop: float, n_labels: int) -> list[tuple]:
    """Empty windows (all-zero probabilities) every ``hop`` seconds after the one at ``previous``,
    starting no later than ``last_start``, for time in which the model gave no window (nobody in the
    frame, or too few frames with a pose). They can only decode as no exercise, so a set is never
    stretched across time when nobody was seen."""
    out: list[tuple] = []
    if previous is None or hop <= 0:
        return out
    t = previous + hop
    while t <= last_start + 1e-6:
        out.append((t, t + length, np.zeros(n_labels)))
        t += hop
    return out


def _filled(windows: WindowProbsLike, start_s: float | None, end_s: float | None, hop: float) -> list[tuple]:
    """The windows in time order with the empty ones (:func:`_gaps`) put in, from start_s to end_s."""
    probs = np.asarray(windows.probs, dtype=np.float64)
    previous = None if start_s is None else start_s - hop
    out: list[tuple] = []
    for start, end, p in zip(windows.start, windows.end, probs):
        start, end = float(start), float(end)
        out += _gaps(previous, start - hop / 2, end - start, hop, len(p))
        out.append((start, end, p))
        previous = start
    if out and end_s is not None:  # the model's last window ends at end_s unless nobody was seen since
        length = out[-1][1] - out[-1][0]
        out += _gaps(previous, end_s - length - hop / 2, length, hop, len(windows.labels))
    return out


def recognise(
    windows: WindowProbsLike,
    config: DecoderConfig = DecoderConfig(),
    start_s: float | None = None,
    end_s: float | None = None,
    hop_s: float | None = None,
    runner_ups: int = RUNNER_UPS,
) -> Recognition:
    """Decode a whole sequence's windows (offline Viterbi).

    ``start_s``/``end_s``: the sequence's span, so that the segments cover it from end to end
    (default: from the first window's start to the last one's end). ``hop_s``: seconds between
    windows (default: their median spacing).
    """
    labels = list(windows.labels)
    classes, reject = _states(labels)
    summary = _Summary(labels, classes, reject)
    hop = _hop(np.asarray(windows.start)) if hop_s is None else hop_s
    filled = _filled(windows, start_s, end_s, hop)
    if not filled:
        return summary.result(start_s, end_s, runner_ups)
    k = config.min_windows(hop)
    viterbi = _Viterbi(len(classes), k, config.switch_penalty)
    emissions = _emission(np.stack([f[2] for f in filled]), len(classes), reject, config.min_confidence)
    backs = [viterbi.step(e) for e in emissions]
    state = viterbi.final_state(len(filled))
    path = np.empty(len(filled), dtype=np.int64)
    for t in range(len(filled) - 1, -1, -1):
        path[t] = state // k
        if t:
            state = int(backs[t][state])
    for (start, end, probs), cls in zip(filled, path):
        summary.add(start, end, probs, int(cls))
    return summary.result(start_s, end_s, runner_ups)


class StreamingRecognizer:
    """The same decoder, one window at a time, with memory bounded by the undecided windows.

    Feed it frames (:meth:`push`, through the model's own ``bundle.stream()``) or windows
    (:meth:`push_windows`); :meth:`result` gives the verdict on everything seen so far, and
    :meth:`finish` after the last frame equals :func:`recognise` on the whole sequence. ``hop_s`` is
    the model's hop in seconds (``bundle.hop / bundle.fps``); ``start_s`` the time of the first frame
    (taken from the first :meth:`push` when not given).
    """

    def __init__(
        self,
        labels: list[str],
        hop_s: float,
        config: DecoderConfig = DecoderConfig(),
        stream: Any = None,
        start_s: float | None = None,
        runner_ups: int = RUNNER_UPS,
        max_lag: int = MAX_LAG_WINDOWS,
    ) -> None:
        self.labels = list(labels)
        self.classes, self.reject = _states(self.labels)
        self.hop_s, self.start_s, self.config, self.stream = hop_s, start_s, config, stream
        self.runner_ups, self.max_lag = runner_ups, max_lag
        self.k = config.min_windows(hop_s)
        self.viterbi = _Viterbi(len(self.classes), self.k, config.switch_penalty)
        self.summary = _Summary(self.labels, self.classes, self.reject)
        # Undecided windows: (start, end, probs, back-pointers into the previous window's states).
        self.pending: deque[tuple[float, float, np.ndarray, np.ndarray | None]] = deque()
        self.seen = 0
        self.previous: float | None = None  # start of the last window fed
        self.length = 0.0  # its length

    @classmethod
    def for_bundle(
        cls, bundle: Any, config: DecoderConfig = DecoderConfig(), width: float | None = None,
        height: float | None = None, **kwargs: Any,
    ) -> StreamingRecognizer:
        """A recognizer fed frame by frame through ``bundle.stream()`` (give the frame size when known)."""
        stream = bundle.stream(width, height)
        return cls(list(bundle.labels), bundle.hop / bundle.fps, config, stream=stream, **kwargs)

    def push(self, landmarks: np.ndarray, timestamp: float) -> None:
        """One frame (33, 4); the model's stream turns frames into windows."""
        if self.start_s is None:
            self.start_s = float(timestamp)
        out = self.stream.push(landmarks, timestamp)
        if out is not None:
            self.push_windows(out)

    def finish(self, end_s: float | None = None) -> Recognition:
        """End of the stream: the model's last (padded) window if any, then the verdict."""
        out = self.stream.finish()
        if out is not None:
            self.push_windows(out)
        return self.result(end_s)

    def push_windows(self, windows: WindowProbsLike) -> None:
        """Zero or more new windows, in time order."""
        if list(windows.labels) != self.labels:
            raise ValueError("windows carry other labels than the recognizer was built for")
        probs = np.asarray(windows.probs, dtype=np.float64).reshape(-1, len(self.labels))
        if self.previous is None and self.start_s is not None:
            self.previous = self.start_s - self.hop_s
        for start, end, p in zip(windows.start, windows.end, probs):
            start, end = float(start), float(end)
            for gap in _gaps(self.previous, start - self.hop_s / 2, end - start, self.hop_s, len(p)):
                self._feed(*gap)
            self._feed(start, end, p)
            self.previous, self.length = start, end - start

    def _feed(self, start: float, end: float, probs: np.ndarray) -> None:
        emission = _emission(probs[None], len(self.classes), self.reject, self.config.min_confidence)[0]
        self.pending.append((start, end, probs, self.viterbi.step(emission)))
        self.seen += 1
        self._settle()

    def _settle(self) -> None:
        """Fold into segments the windows that every surviving path agrees on."""
        alive = np.flatnonzero(np.isfinite(self.viterbi.score))
        # Walk the survivors back until they meet; everything at and before the meeting point is final.
        for t in range(len(self.pending) - 1, 0, -1):
            if len(alive) == 1:
                self._decide(t, int(alive[0]))
                return
            alive = np.unique(self.pending[t][3][alive])
        if len(alive) == 1:
            self._decide(0, int(alive[0]))
        elif len(self.pending) > self.max_lag:  # give up exactness to bound memory
            self._decide(len(self.pending) - 1, int(np.argmax(self.viterbi.score)))

    def _decide(self, t: int, state: int) -> None:
        """Pending window ``t`` is in ``state``: fix it and all before it, keep the ones after."""
        states = [0] * (t + 1)
        for u in range(t, -1, -1):
            states[u] = state
            if u:
                state = int(self.pending[u][3][state])
        for u in range(t + 1):
            start, end, probs, _ = self.pending.popleft()
            self.summary.add(start, end, probs, states[u] // self.k)

    def result(self, end_s: float | None = None) -> Recognition:
        """The verdict on everything seen so far, up to ``end_s`` (the stream can go on after a look)."""
        if self.seen == 0:
            return self.summary.result(self.start_s, end_s, self.runner_ups)
        look = copy.copy(self)  # a shallow copy with its own decoder state, so that self is untouched
        look.viterbi = copy.copy(self.viterbi)
        look.summary = copy.deepcopy(self.summary)
        look.pending = deque(self.pending)
        if end_s is not None:
            for gap in _gaps(self.previous, end_s - self.length - self.hop_s / 2, self.length, self.hop_s, len(self.labels)):
                look._feed(*gap)
        state = look.viterbi.final_state(look.seen)
        states = [0] * len(look.pending)
        for u in range(len(look.pending) - 1, -1, -1):
            states[u] = state // look.k
            if u:
                state = int(look.pending[u][3][state])
        for (start, end, probs, _), cls in zip(look.pending, states):
            look.summary.add(start, end, probs, cls)
        return look.summary.result(self.start_s, end_s, self.runner_ups)
