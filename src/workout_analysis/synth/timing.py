"""When things happen in a set: the progress of every repetition through time.

A set is lead-in (setting up) -> repetitions -> lead-out (racking). Each repetition moves a progress
variable from its start level (0 = the exercise's start posture) out to its far level (1 = full range),
holds, and comes back. Durations vary rep to rep, slow down with fatigue, and the moves ease in and out
like a human's (minimum jerk), with a random bias toward a fast or slow start.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

PHASES: tuple[str, ...] = ("rest", "out", "hold", "back")  # per-frame phase ids index this tuple
REST, OUT, HOLD, BACK = range(4)


@dataclass
class Schedule:
    """progress (T,) in [0, 1]; rep (T,) repetition index or -1; phase (T,) ids of :data:`PHASES`."""

    progress: np.ndarray
    rep: np.ndarray
    phase: np.ndarray
    bounds: list[tuple[int, int]]

    def __len__(self) -> int:
        return len(self.progress)


def ease(u: np.ndarray, skew: float = 0.0) -> np.ndarray:
    """Minimum-jerk 0 -> 1 on u in [0, 1]; ``skew`` > 0 starts fast, < 0 starts slow."""
    u = np.clip(u, 0.0, 1.0) ** np.exp(-skew)
    return u**3 * (10 - 15 * u + 6 * u**2)


def schedule(
    rng: np.random.Generator,
    reps: int,
    fps: float,
    tempo: float,
    far: np.ndarray,
    near: np.ndarray,
    hold_far: float = 0.1,
    hold_near: float = 0.1,
    fatigue: float | None = None,
    lead: tuple[float, float] = (1.0, 1.0),
) -> Schedule:
    """Progress of ``reps`` repetitions of ``tempo`` seconds each at ``fps``.

    far[i] is how far rep i goes (1 = full range); near[i] the level it returns to (0 = back to start).
    hold_far / hold_near are the mean pauses at the turn and between reps as fractions of the tempo.
    lead is the mean (lead-in, lead-out) seconds of standing still before and after the set.
    """
    fatigue = rng.uniform(0.0, 0.35) if fatigue is None else fatigue
    skews = rng.normal(0.0, 0.25, size=reps)
    pieces: list[tuple[int, float, float, int, int, float]] = []  # frames, from, to, phase, rep, skew

    def add(seconds: float, start: float, stop: float, phase: int, rep: int, skew: float = 0.0) -> None:
        pieces.append((max(1, int(round(seconds * fps))), start, stop, phase, rep, skew))

    add(rng.uniform(0.0, 1.0) * lead[0], 0.0, 0.0, REST, -1)  # clips are often trimmed close to the set
    level = 0.0
    for i in range(reps):
        length = tempo * rng.normal(1.0, 0.08) * (1 + fatigue * i / max(reps - 1, 1))
        out_frac = rng.uniform(0.38, 0.5)
        add(length * out_frac, level, far[i], OUT, i, skews[i])
        add(length * hold_far * rng.uniform(0.0, 2.0), far[i], far[i], HOLD, i)
        add(length * (1 - out_frac), far[i], near[i], BACK, i, -skews[i])
        level = near[i]
        if i < reps - 1:
            add(length * hold_near * rng.uniform(0.0, 2.0), level, level, REST, -1)
    add(rng.uniform(0.0, 0.7) * lead[1], level, level, REST, -1)
    add(rng.uniform(0.2, 1.0) * lead[1], level, 0.0, REST, -1)  # racking / returning to rest

    progress, rep, phase, bounds = [], [], [], []
    start = 0
    for frames, a, b, ph, r, skew in pieces:
        u = (np.arange(frames) + 1) / frames
        progress.append(a + (b - a) * ease(u, skew))
        rep.append(np.full(frames, r))
        phase.append(np.full(frames, ph, dtype=np.int8))
        if ph == OUT:
            rep_start = start
        if ph == BACK:
            bounds.append((rep_start, start + frames - 1))
        start += frames
    return Schedule(np.concatenate(progress), np.concatenate(rep), np.concatenate(phase), bounds)
