"""Public API: one synthetic set of an exercise as a PoseSequence, with its ground truth.

Pipeline: person (:mod:`.skeleton`) -> repetition timing (:mod:`.timing`) -> motion per frame
(:mod:`.motions`) -> camera and detector noise (:mod:`.camera`). Every stage draws from its own
random stream derived from (seed, exercise), so a seed gives the same data on every machine and
changing one stage does not reshuffle the others.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from ..sequence import PoseSequence
from .camera import VIEWS, detector_noise, project, sample_camera
from .motions import MOTIONS, Ctx, arms_down
from .skeleton import assemble, sample_body
from .timing import PHASES, Schedule, schedule

SYNTH_EXERCISES: tuple[str, ...] = tuple(sorted(MOTIONS))

# Form faults the generator injects, by stable id. analysis/form.py evaluates its checks against these.
FAULTS: dict[str, str] = {
    "shallow_depth": "squat or lunge that stops well above parallel (about half the person's usual depth)",
    "knees_caving": "knees travel inward (valgus) toward the bottom of a squat",
    "heels_lifting": "heels come off the floor toward the bottom of a squat (up to ~25 deg of foot tilt)",
    "rounded_back": "deadlift with the upper back rounded: ~15 deg more trunk flexion at the bottom, head dropped",
    "hips_sagging": "push-up or plank with the hips ~10 deg below the shoulder-ankle line",
    "hips_piked": "push-up or plank with the hips ~10-14 deg above the shoulder-ankle line",
    "elbows_flared": "push-up or bench press with the upper arms out near 90 deg from the trunk instead of ~45-60",
    "swinging": "curl with the trunk rocking back ~12 deg and the upper arm swinging forward to lift the weight",
    "incomplete_lockout": "press, dip, pull-up or pushdown whose lockout end stops 20-30 % short of full range",
    "partial_range": "repetition through only ~45-65 % of the person's range of motion",
}


@dataclass
class GroundTruth:
    """What really happened in a synthetic sequence.

    rep_bounds are inclusive (start, end) frames; phase holds ids of ``phase_names`` per frame;
    progress is the repetition progress per frame (0 start posture, 1 far end); faults lists
    (fault id, indices of the repetitions it affects) — for a hold (plank), whose ``reps`` is 0, the
    indices are empty and the fault covers the whole ``hold`` (start, end) frames.
    """

    exercise: str
    reps: int
    rep_bounds: list[tuple[int, int]]
    phase: np.ndarray
    faults: list[tuple[str, list[int]]]
    view: str
    seed: int
    progress: np.ndarray
    rep_sides: list[str] = field(default_factory=list)
    hold: tuple[int, int] | None = None
    camera: dict[str, Any] = field(default_factory=dict)
    body: dict[str, float] = field(default_factory=dict)
    events: dict[str, list] = field(default_factory=dict)
    phase_names: tuple[str, ...] = PHASES

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["phase"] = self.phase.astype(int).tolist()
        d["progress"] = np.round(self.progress, 4).tolist()
        d["rep_bounds"] = [list(b) for b in self.rep_bounds]
        d["faults"] = [[name, list(reps)] for name, reps in self.faults]
        d["phase_names"] = list(self.phase_names)
        return d

    def to_json(self) -> str:
        return json.dumps(self.to_dict())

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> GroundTruth:
        d = dict(d)
        d["phase"] = np.asarray(d["phase"], dtype=np.int8)
        d["progress"] = np.asarray(d["progress"], dtype=np.float64)
        d["rep_bounds"] = [tuple(b) for b in d["rep_bounds"]]
        d["faults"] = [(name, list(reps)) for name, reps in d["faults"]]
        d["hold"] = tuple(d["hold"]) if d.get("hold") else None
        d["phase_names"] = tuple(d.get("phase_names", PHASES))
        return cls(**d)

    @classmethod
    def from_sequence(cls, seq: PoseSequence) -> GroundTruth | None:
        """The ground truth stored in a synthetic sequence's meta, or None for other sequences."""
        truth = seq.meta.get("truth")
        return cls.from_dict(truth) if isinstance(truth, dict) else None


def generate(
    exercise: str,
    seed: int = 0,
    reps: int | None = None,
    view: str | None = None,
    faults: Sequence[str] = (),
    fps: float = 30.0,
    noise: float = 1.0,
    size_known: bool = True,
) -> tuple[PoseSequence, GroundTruth]:
    """One set of ``exercise`` by a random person filmed by a random camera.

    reps: number of repetitions (default 4-12; ignored for holds); view: one of
    :data:`~.camera.VIEWS` (default: a view the exercise is usually filmed from); faults: fault ids
    (:data:`FAULTS`) to inject, each into a random non-empty subset of the reps; noise: detector noise
    scale (0 = clean); size_known=False leaves the frame size out of the meta, as in landmark files
    that do not carry it (RepCount-A, PushFit, most CSV exports): readers then take the aspect as 1, so
    the body looks stretched (portrait frame) or squeezed (landscape) sideways, as such files do.
    The camera (``truth.camera``) still records the size. Raises ValueError for an unknown exercise,
    view or fault.
    """
    if exercise not in MOTIONS:
        raise ValueError(f"unknown exercise {exercise!r}; choose from {', '.join(SYNTH_EXERCISES)}")
    motion = MOTIONS[exercise]
    bad = [f for f in faults if f not in motion.faults]
    if bad:
        allowed = ", ".join(motion.faults) or "none"
        raise ValueError(f"{exercise} cannot show fault {bad[0]!r} (it can show: {allowed})")
    if view is not None and view not in VIEWS:
        raise ValueError(f"unknown view {view!r}; choose from {', '.join(VIEWS)}")
    if not (fps > 0 and noise >= 0):
        raise ValueError(f"fps must be > 0 and noise >= 0, got fps={fps}, noise={noise}")
    streams = [np.random.default_rng(s) for s in np.random.SeedSequence([seed, zlib.crc32(exercise.encode())]).spawn(6)]
    r_body, r_time, r_fault, r_motion, r_cam, r_noise = streams

    body = sample_body(r_body)
    tempo = r_time.uniform(*motion.tempo)
    n_reps = 0 if motion.hold else int(reps if reps is not None else r_time.integers(4, 13))
    if n_reps < 0:
        raise ValueError(f"reps must be >= 0, got {reps}")
    affected = {f: _pick_reps(r_fault, n_reps) for f in faults}
    far, near = _range_per_rep(r_time, n_reps, affected, motion.lockout_at_start)
    if motion.hold:
        frames = max(1, int(round(tempo * fps)))
        sched = Schedule(np.zeros(frames), np.full(frames, -1), np.zeros(frames, np.int8), [])
    else:
        sched = schedule(r_time, n_reps, fps, tempo, far, near)
    t = np.arange(len(sched)) / fps

    first = int(r_time.integers(2))
    rep_sides = [("left", "right")[(first + i) % 2] for i in range(n_reps)] if motion.alternating else []
    side = _side_per_frame(sched.rep, rep_sides)
    weights = {f: _fault_weight(sched, reps_f, motion.hold) for f, reps_f in affected.items()}
    ctx = Ctx(body, r_motion, sched.progress, t, side, weights)
    pose = motion.build(ctx)
    if motion.setup and sched.bounds:  # the arms come up into position before the first rep, down after the last
        pose = arms_down(pose).blend(pose, _setup_weight(sched))
    points = assemble(body, pose)

    view = view or str(r_cam.choice(motion.views, p=_view_weights(len(motion.views))))
    cam = sample_camera(r_cam, view, points, crop_ok=motion.arms_only)
    image, world = project(points, cam)
    landmarks, world, events = detector_noise(r_noise, image, world, cam, noise)

    truth = GroundTruth(
        exercise=exercise, reps=n_reps, rep_bounds=sched.bounds, phase=sched.phase, view=view, seed=int(seed),
        faults=[(f, [] if motion.hold else r) for f, r in affected.items()], progress=sched.progress,
        rep_sides=rep_sides, hold=(0, len(sched) - 1) if exercise in _HOLDS_WITH_TRUTH else None,
        camera=cam.to_dict(), body={k: round(v, 4) for k, v in asdict(body).items()}, events=events,
    )  # fmt: skip
    meta = {"source": "synthetic", "video_id": f"synth_{exercise}_{seed}", "exercise": exercise, "seed": int(seed),
            "width": cam.width, "height": cam.height, "truth": truth.to_dict()}  # fmt: skip
    if not size_known:
        del meta["width"], meta["height"]
    return PoseSequence(landmarks, fps, world=world, meta=meta), truth


_HOLDS_WITH_TRUTH = frozenset({"plank"})


def _view_weights(n: int) -> np.ndarray:
    """The first listed view is the most common, later ones less so."""
    w = 1.0 / np.arange(1, n + 1)
    return w / w.sum()


def _pick_reps(rng: np.random.Generator, n_reps: int) -> list[int]:
    """A random non-empty subset of repetitions (at least a third of them), sorted."""
    if n_reps == 0:
        return []
    k = int(rng.integers(max(1, n_reps // 3), n_reps + 1))
    return sorted(int(i) for i in rng.choice(n_reps, size=k, replace=False))


def _range_per_rep(rng: np.random.Generator, n: int, affected: dict[str, list[int]], lockout_at_start: bool):
    """How far each rep goes and where it returns to, with range faults applied."""
    far = np.clip(rng.normal(0.97, 0.04, n), 0.85, 1.0)
    near = np.clip(rng.normal(0.0, 0.02, n), 0.0, 0.05)
    for fault in ("partial_range", "shallow_depth"):
        for i in affected.get(fault, []):
            far[i] = rng.uniform(0.45, 0.65)
    for i in affected.get("incomplete_lockout", []):
        if lockout_at_start:
            near[i] = rng.uniform(0.2, 0.3)
        else:
            far[i] = rng.uniform(0.7, 0.8)
    return far, near


def _side_per_frame(rep: np.ndarray, rep_sides: list[str]) -> np.ndarray:
    """+1 where the left side works, -1 the right; frames between reps take the next rep's side."""
    if not rep_sides:
        return np.ones(len(rep))
    signs = np.array([1.0 if s == "left" else -1.0 for s in rep_sides])
    idx = np.where(rep >= 0, rep, -1)
    # frames outside reps: carry the last rep's side forward, the first rep's before it
    filled = np.maximum.accumulate(np.where(idx >= 0, np.arange(len(idx)), 0))
    idx = np.where(idx >= 0, idx, rep[filled])
    idx = np.where(idx >= 0, idx, 0)
    return signs[idx]


def _fault_weight(sched: Schedule, reps: list[int], hold: bool) -> np.ndarray:
    """1 inside the affected reps, ramping in and out over a sixth of each rep; 0 elsewhere."""
    w = np.zeros(len(sched))
    if hold:
        u = np.linspace(0, 1, len(sched))
        return np.clip(np.minimum(u, 1 - u) * 10, 0, 1)
    for i in reps:
        a, b = sched.bounds[i]
        u = np.linspace(0, 1, b - a + 1)
        w[a : b + 1] = np.clip(np.minimum(u, 1 - u) * 6, 0, 1)
    return w


def _setup_weight(sched: Schedule) -> np.ndarray:
    """0 (standing at rest) at the very start and end of the set, 1 (in position) around the reps."""
    first, last = sched.bounds[0][0], sched.bounds[-1][1]
    n = len(sched)
    w = np.ones(n)
    ramp_in = np.linspace(0, 1, max(first, 1))
    w[:first] = np.clip(ramp_in * 2 - 0.6, 0, 1)
    tail = n - last - 1
    if tail > 0:
        w[last + 1 :] = np.clip(np.linspace(1, 0, tail) * 2 - 0.2, 0, 1)
    return w
