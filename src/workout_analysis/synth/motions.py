"""Per-exercise motion: how the body is posed at every level of repetition progress.

Each exercise is a function of a :class:`Ctx` (the person, the progress p in [0, 1] per frame, which side
works, how strongly each form fault shows per frame) that returns a :class:`~.skeleton.Pose`. p = 0 is
the start posture and p = 1 the far end of the range. Every function draws its own style (stance,
grip, depth, lean) from the context's random generator, so two people never move quite alike.
Angles are degrees; the body frame is +X the person's left, +Y up, +Z forward (see :mod:`.skeleton`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from .skeleton import (SIDE_SIGN, SIDES, Body, Pose, assemble, cross, direction, limb_angles, neck_and_shoulder_axis,
                       rotate, two_bone, unit)  # fmt: skip
from ..sequence import LANDMARK_INDEX

X, Y, Z = np.eye(3)
_L = LANDMARK_INDEX


@dataclass
class Ctx:
    """What a motion function needs. ``side`` is +1 where the left limb works, -1 the right (alternating)."""

    body: Body
    rng: np.random.Generator
    p: np.ndarray
    t: np.ndarray
    side: np.ndarray
    fault: dict[str, np.ndarray] = field(default_factory=dict)

    def w(self, name: str) -> np.ndarray:
        """Per-frame strength (0..1) of a form fault; zeros where it is not injected."""
        return self.fault.get(name, np.zeros_like(self.p))

    def first(self) -> Ctx:
        """The first frame alone, drawing from the same generator (for a posture to anchor to)."""
        return Ctx(self.body, self.rng, self.p[:1], self.t[:1], self.side[:1])

    def u(self, low: float, high: float) -> float:
        return float(self.rng.uniform(low, high))

    def wobble(self, amp: float, period: float = 3.0) -> np.ndarray:
        """Slow random sway (breathing, balance): a sum of two sinusoids of random phase, amplitude ``amp``."""
        f = self.rng.uniform(0.7, 1.4, 2) / period
        ph = self.rng.uniform(0, 2 * np.pi, 2)
        return amp * 0.5 * (np.sin(2 * np.pi * f[0] * self.t + ph[0]) + np.sin(2 * np.pi * f[1] * self.t + ph[1]))


# --- building blocks ------------------------------------------------------------------------------


def _tile(v: np.ndarray, n: int) -> np.ndarray:
    return np.broadcast_to(np.asarray(v, float), (n, 3)).copy()


def stand(c: Ctx) -> Pose:
    """Upright, feet about hip width, arms hanging, looking ahead, with a little sway."""
    b, n = c.body, len(c.p)
    spread = c.u(1.0, 4.0)
    toe = c.u(5, 20)
    pelvis = np.zeros((n, 3))
    pelvis[:, 1] = b.ankle_height + (b.thigh + b.shin) * np.cos(np.radians(spread))
    pelvis[:, 0] = c.wobble(0.01)
    pelvis[:, 2] = c.wobble(0.01)
    trunk = direction(180 - c.u(-3, 5) - c.wobble(1.0), c.wobble(1.0))
    pose = Pose(
        pelvis=pelvis, pelvis_left=_tile(X, n), trunk=trunk, shoulder_left=_tile(X, n),
        head=unit(trunk + 0.8 * Y), face=unit(Z + c.wobble(0.1)[:, None] * X),
        left_thigh=direction(0, spread), left_shin=direction(0, spread), left_foot=_tile(rotate(Z, Y, toe), n),
        right_thigh=direction(0, -spread), right_shin=direction(0, -spread), right_foot=_tile(rotate(Z, Y, -toe), n),
        left_upper=_tile(-Y, n), left_fore=_tile(-Y, n), left_thumb=_tile(Z, n),
        right_upper=_tile(-Y, n), right_fore=_tile(-Y, n), right_thumb=_tile(Z, n), shrug=np.zeros(n),
    )  # fmt: skip
    pose.left_thigh, pose.left_shin = _tile(pose.left_thigh, n), _tile(pose.left_shin, n)
    pose.right_thigh, pose.right_shin = _tile(pose.right_thigh, n), _tile(pose.right_shin, n)
    for side in SIDES:
        pose = arm(pose, side, c.u(0, 8), c.u(5, 12), c.u(5, 20))
    return pose


def trunk_frame(pose: Pose) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(left, up, forward) unit axes of the upper body."""
    up = unit(pose.trunk)
    left = unit(pose.shoulder_left - np.sum(pose.shoulder_left * up, -1, keepdims=True) * up)
    return left, up, cross(left, up)


def pelvis_frame(pose: Pose, up: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    up = unit(np.broadcast_to(up, pose.pelvis.shape))
    left = unit(pose.pelvis_left - np.sum(pose.pelvis_left * up, -1, keepdims=True) * up)
    return left, up, cross(left, up)


def arm(pose: Pose, side: str, flex, abd, elbow, rot=0.0, pron=0.0) -> Pose:
    """Set one arm from joint angles relative to the trunk (see :func:`.skeleton.limb_angles`)."""
    upper, fore, thumb = limb_angles(trunk_frame(pose), side, flex, abd, elbow, rot, pron)
    return pose.set(**{f"{side}_upper": upper, f"{side}_fore": fore, f"{side}_thumb": thumb})


def leg(pose: Pose, side: str, up: np.ndarray, hip_flex, hip_abd, knee) -> Pose:
    """Set one leg from hip flexion/abduction and knee flexion, in a pelvis frame whose up is ``up``."""
    thigh, shin, _ = limb_angles(pelvis_frame(pose, up), side, hip_flex, hip_abd, -np.asarray(knee, float))
    return pose.set(**{f"{side}_thigh": thigh, f"{side}_shin": shin})


def hip_pos(b: Body, pose: Pose, side: str) -> np.ndarray:
    return pose.pelvis + SIDE_SIGN[side] * b.hip_width / 2 * unit(pose.pelvis_left)


def shoulder_pos(b: Body, pose: Pose, side: str) -> np.ndarray:
    neck, axis = neck_and_shoulder_axis(b, pose)
    return neck + SIDE_SIGN[side] * b.shoulder_width / 2 * axis


def leg_ik(b: Body, pose: Pose, side: str, ankle: np.ndarray, pole: np.ndarray) -> Pose:
    thigh, shin = two_bone(hip_pos(b, pose, side), np.broadcast_to(ankle, pose.pelvis.shape), b.thigh, b.shin,
                           np.broadcast_to(pole, pose.pelvis.shape))  # fmt: skip
    return pose.set(**{f"{side}_thigh": thigh, f"{side}_shin": shin})


def arm_ik(b: Body, pose: Pose, side: str, wrist: np.ndarray, pole: np.ndarray, thumb: np.ndarray | None = None) -> Pose:
    upper, fore = two_bone(shoulder_pos(b, pose, side), np.broadcast_to(wrist, pose.pelvis.shape), b.upper_arm,
                           b.forearm, np.broadcast_to(pole, pose.pelvis.shape))  # fmt: skip
    changes = {f"{side}_upper": upper, f"{side}_fore": fore}
    if thumb is not None:
        changes[f"{side}_thumb"] = np.broadcast_to(thumb, pose.pelvis.shape)
    return pose.set(**changes)


def pin(b: Body, pose: Pose, names: tuple[str, ...], target: np.ndarray) -> Pose:
    """Move the whole body so that the mean of the named landmarks sits at ``target`` in every frame."""
    points = assemble(b, pose)[:, [_L[n] for n in names]].mean(axis=1)
    return pose.set(pelvis=pose.pelvis + (np.broadcast_to(target, points.shape) - points))


def lie(pose: Pose, angle: float | np.ndarray, axis: np.ndarray = X) -> Pose:
    """Turn every direction of the pose about ``axis`` (-90 about X: supine, head toward -Z; +90: prone)."""
    changes = {}
    for name in ("pelvis_left", "trunk", "shoulder_left", "head", "face", *(
            f"{s}_{seg}" for s in SIDES for seg in ("thigh", "shin", "foot", "upper", "fore", "thumb"))):
        changes[name] = rotate(getattr(pose, name), axis, angle)
    return pose.set(**changes)


def seated(c: Ctx, seat: float, lean: float | np.ndarray = 0.0, knee: float = 90.0) -> Pose:
    """Sitting on a seat of height ``seat`` m, thighs forward, feet on the floor, trunk leaning back ``lean``."""
    b, n = c.body, len(c.p)
    pose = stand(c)
    pose = pose.set(pelvis=np.stack([np.zeros(n), np.full(n, seat) + c.wobble(0.005), np.zeros(n)], -1),
                    trunk=direction(180 + np.asarray(lean) + c.wobble(1.5), c.wobble(1.0)))  # fmt: skip
    pose = pose.set(head=unit(pose.trunk + 0.6 * Y))
    spread = c.u(5, 15)
    for side in SIDES:
        s = SIDE_SIGN[side]
        foot_z = b.thigh * np.cos(np.radians(spread)) + b.shin * np.sin(np.radians(knee - 90))
        ankle = np.array([s * (b.hip_width / 2 + b.thigh * np.sin(np.radians(spread))), b.ankle_height, foot_z])
        pose = leg_ik(b, pose, side, ankle, np.array([s * 0.3, 1.0, 1.0]))
    return pose


def supine(c: Ctx, height: float) -> Pose:
    """Lying on the back on a surface ``height`` m high, head toward -Z, knees bent, feet on the floor."""
    b, n = c.body, len(c.p)
    pose = lie(stand(c), -90)
    pose = pose.set(pelvis=np.stack([np.zeros(n), np.full(n, height + 0.1), np.zeros(n)], -1),
                    face=_tile(unit(Y - 0.2 * Z), n), head=_tile(unit(-Z + 0.15 * Y), n))  # fmt: skip
    for side in SIDES:
        s = SIDE_SIGN[side]
        ankle = np.array([s * c.u(0.15, 0.3), b.ankle_height, c.u(0.75, 0.95) * b.thigh + 0.15])
        pose = leg_ik(b, pose, side, ankle, np.array([0.0, 1.0, 0.3]))
        pose = pose.set(**{f"{side}_foot": _tile(rotate(Z, Y, s * 10), n)})
    for side in SIDES:
        pose = arm(pose, side, 0.0, c.u(10, 25), 10.0, pron=-90)
    return pose


def prone_body(c: Ctx, incline: np.ndarray, sag: np.ndarray | float = 0.0, knee: float = 0.0) -> Pose:
    """A straight body face down, head toward +Z, at ``incline`` deg above the floor; toes pinned at the origin.

    ``sag`` > 0 lets the hips drop below the line from shoulders to feet (sagging), < 0 raises them (piked);
    ``knee`` bends the knees that many degrees (knees toward the floor).
    """
    b, n = c.body, len(c.p)
    pose = lie(stand(c), 90)
    trunk_up = np.radians(np.broadcast_to(incline + sag, (n,)))
    legs_up = np.radians(np.broadcast_to(incline - sag, (n,)))
    pose = pose.set(trunk=np.stack([np.zeros(n), np.sin(trunk_up), np.cos(trunk_up)], -1))
    half = np.radians(knee / 2)
    thigh = np.stack([np.zeros(n), -np.sin(legs_up + half), -np.cos(legs_up + half)], -1)
    shin = np.stack([np.zeros(n), -np.sin(legs_up - half), -np.cos(legs_up - half)], -1)
    pose = pose.set(left_thigh=thigh, left_shin=shin, right_thigh=thigh, right_shin=shin,
                    left_foot=_tile(unit(-Y - 0.3 * Z), n), right_foot=_tile(unit(-Y - 0.3 * Z), n),
                    face=_tile(unit(-Y + 0.5 * Z), n), head=pose.trunk)  # fmt: skip
    return pin(c.body, pose, ("left_foot_index", "right_foot_index"), np.zeros(3))


def arms_down(pose: Pose) -> Pose:
    """Arms hanging relaxed at the sides (before taking the weight, after putting it down)."""
    for side in SIDES:
        pose = arm(pose, side, 5, 10, 15)
    return pose


def hands_on_hips(pose: Pose) -> Pose:
    for side in SIDES:
        pose = arm(pose, side, 5, 40, 100, rot=-30)
    return pose


def alternate(c: Ctx, left: np.ndarray, right: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Split a progress-driven value between the limbs: the working side moves, the other rests at 0."""
    return np.where(c.side > 0, left, 0.0), np.where(c.side < 0, right, 0.0)


# --- the exercises --------------------------------------------------------------------------------


def squat(c: Ctx) -> Pose:
    b, p = c.body, c.p
    pose = stand(c)
    stance = b.hip_width * c.u(1.3, 2.2) / 2
    toe, s_max, phi_max, lean_max = c.u(10, 30), c.u(22, 38), c.u(80, 105), c.u(20, 45)
    heel = 25 * c.w("heels_lifting") * p
    s, phi, lean = np.radians(s_max * p), np.radians(phi_max * p), 3 + lean_max * p
    ankle_y = b.ankle_height + 0.75 * b.foot * np.sin(np.radians(heel))
    knee_y, knee_z = ankle_y + b.shin * np.cos(s), b.shin * np.sin(s)
    pelvis = np.stack([np.zeros_like(p), knee_y + b.thigh * np.cos(phi), knee_z - b.thigh * np.sin(phi)], -1)
    pose = pose.set(pelvis=pelvis, trunk=direction(180 - lean), head=unit(direction(180 - lean) + 1.2 * Y))
    for side in SIDES:
        sg = SIDE_SIGN[side]
        ankle = np.stack([np.full_like(p, sg * stance), ankle_y, np.zeros_like(p)], -1)
        out = np.sin(np.radians(toe)) * 1.3 - 0.8 * c.w("knees_caving") * p
        pose = leg_ik(b, pose, side, ankle, np.stack([sg * out, np.zeros_like(p), np.ones_like(p)], -1))
        foot = rotate(np.broadcast_to(rotate(Z, Y, sg * toe), (len(p), 3)), X, heel)
        pose = pose.set(**{f"{side}_foot": foot})
    style = c.rng.choice(4, p=[0.55, 0.2, 0.1, 0.15])
    if style == 3:
        return hands_on_hips(pose)
    for side in SIDES:
        if style == 0:  # arms out in front for balance
            pose = arm(pose, side, c.u(55, 90) + c.u(0, 30) * p, 10, c.u(5, 20), pron=60)
        elif style == 1:  # barbell on the back: elbows down and back, hands beside the shoulders
            pose = arm(pose, side, -10, c.u(55, 80), c.u(60, 100), rot=80)
        else:  # goblet / hands at the chest
            pose = arm(pose, side, 25 + 10 * p, 15, 140, rot=-20)
    return pose


def lunge(c: Ctx) -> Pose:
    b, p = c.body, c.p
    pose = stand(c)
    step, drop = c.u(0.55, 0.8) * b.height * 0.5, c.u(0.7, 0.95) * b.shin
    depth = np.clip(p * 1.4 - 0.4, 0, 1)  # first step out, then drop
    reach = np.clip(p / 0.45, 0, 1)
    front = np.where(c.side > 0, "left", "right")
    pelvis = np.stack([np.zeros_like(p), b.leg - 0.02 - drop * depth, 0.45 * step * reach], -1)
    pose = pose.set(pelvis=pelvis, trunk=direction(180 - 5 - 8 * depth))
    for side in SIDES:
        sg = SIDE_SIGN[side]
        is_front = front == side
        z = np.where(is_front, step * reach, 0.0)
        lift = np.where(is_front, 0.12 * np.sin(np.pi * reach) * (depth < 0.05), 0.0)
        ankle = np.stack([np.full_like(p, sg * b.hip_width / 2), b.ankle_height + lift, z], -1)
        heel = np.where(is_front, 0.0, 50 * depth)
        ankle[:, 1] += np.where(is_front, 0.0, 0.7 * b.foot * np.sin(np.radians(heel)))
        pose = leg_ik(b, pose, side, ankle, _tile(Z, len(p)))
        pose = pose.set(**{f"{side}_foot": rotate(_tile(Z, len(p)), X, heel)})
        pose = arm(pose, side, 5 + 10 * depth, 10, 15)
    return hands_on_hips(pose) if c.rng.random() < 0.5 else pose


def _hinge(c: Ctx, lean_max: float, shin_max: float, thigh_max: float, hands_down: bool = True,
           held: bool = False) -> Pose:  # fmt: skip
    """Hip hinge from standing (p=0) to bent over (p=1), feet planted, arms hanging straight down.

    held: stay bent over whatever the progress (the base posture of a bent-over row)."""
    b, p = c.body, (np.ones_like(c.p) if held else c.p)
    pose = stand(c)
    round_back = c.w("rounded_back") * p
    s, phi = np.radians(shin_max * p), np.radians(thigh_max * p)
    knee_y, knee_z = b.ankle_height + b.shin * np.cos(s), b.shin * np.sin(s)
    pelvis = np.stack([np.zeros_like(p), knee_y + b.thigh * np.cos(phi), knee_z - b.thigh * np.sin(phi)], -1)
    lean = 2 + lean_max * p + 15 * round_back
    trunk = direction(180 - lean)
    pose = pose.set(pelvis=pelvis, trunk=trunk, head=unit(trunk + (0.6 - 0.9 * round_back)[:, None] * Y),
                    face=unit(direction(90 - 20 * p - 30 * round_back)))  # fmt: skip
    for side in SIDES:
        sg = SIDE_SIGN[side]
        ankle = np.array([sg * b.hip_width * 0.55, b.ankle_height, 0.0])
        pose = leg_ik(b, pose, side, ankle, np.array([sg * 0.2, 0, 1.0]))
        if hands_down:
            grip = sg * b.shoulder_width * c.u(0.55, 0.7)
            wrist = shoulder_pos(b, pose, side) * [0, 1, 1] + [grip, 0, 0] - [0, b.arm * 0.98, 0]
            wrist[:, 2] -= 0.04 * np.sin(np.radians(lean)) - 0.06 * round_back
            pose = arm_ik(b, pose, side, wrist, unit(-Z + sg * 0.3 * X), thumb=_tile(unit(-sg * X + 0.5 * Z), len(p)))
    return pose


def deadlift(c: Ctx) -> Pose:
    return _hinge(c, c.u(45, 65), c.u(15, 28), c.u(55, 75))


def romanian_deadlift(c: Ctx) -> Pose:
    return _hinge(c, c.u(60, 80), c.u(5, 12), c.u(15, 30))


def _bridge(c: Ctx, shoulder_height: float, low: float, high: float) -> Pose:
    """Shoulders resting at ``shoulder_height``, feet on the floor, hips rising from ``low`` to ``high`` deg."""
    b, p = c.body, c.p
    pose = supine(c, shoulder_height)
    angle = np.radians(low + (high - low) * p)  # trunk angle below horizontal at the hips
    neck = np.array([0.0, shoulder_height + 0.08, -b.trunk])
    trunk_dir = np.stack([np.zeros_like(p), np.sin(angle), -np.cos(angle)], -1)  # pelvis -> neck
    pose = pose.set(pelvis=neck - b.trunk * trunk_dir, trunk=trunk_dir)
    feet_z = c.u(0.75, 0.9) * (b.thigh + b.shin) * 0.9
    for side in SIDES:
        sg = SIDE_SIGN[side]
        ankle = np.array([sg * c.u(0.12, 0.25), b.ankle_height, feet_z])
        pose = leg_ik(b, pose, side, ankle, np.array([sg * 0.2, 1.0, 0.2]))
        pose = arm_ik(b, pose, side, hip_pos(b, pose, side) + [sg * 0.12, 0.08, -0.05], unit(-Y + sg * X))
    return pose


def hip_thrust(c: Ctx) -> Pose:
    return _bridge(c, c.u(0.38, 0.45), c.u(35, 50), c.u(-8, 3))


def glute_bridge(c: Ctx) -> Pose:
    return _bridge(c, 0.0, c.u(5, 10), c.u(-35, -25))


def _press_lying(c: Ctx, incline: float) -> Pose:
    """Barbell press lying on a bench inclined ``incline`` deg (negative: decline); p=0 arms locked out."""
    b, p = c.body, c.p
    n = len(p)
    bench = c.u(0.42, 0.48)
    pose = supine(c, bench)
    inc = np.radians(incline)
    trunk_dir = np.array([0.0, np.sin(inc), -np.cos(inc)])
    pose = pose.set(pelvis=np.array([0.0, bench + 0.1, 0.0]), trunk=_tile(trunk_dir, n))
    ceiling = cross(X, trunk_dir)  # perpendicular to the trunk, away from the bench
    pose = pose.set(face=_tile(unit(ceiling - 0.3 * trunk_dir), n), head=_tile(unit(trunk_dir + 0.25 * ceiling), n))
    grip = c.u(0.75, 1.0) * b.shoulder_width
    depth = c.u(0.85, 1.0)
    flare = c.w("elbows_flared")
    for side in SIDES:
        sg = SIDE_SIGN[side]
        sh = shoulder_pos(b, pose, side)
        reach = b.arm * (0.97 - (0.97 - 0.22) * depth * p)
        wrist = sh + sg * (grip - b.shoulder_width / 2) * X + reach[:, None] * ceiling + 0.05 * trunk_dir * (1 - p)[:, None]
        pole = unit(sg * (0.6 + 1.2 * flare)[:, None] * X - 0.6 * ceiling - (0.7 - 0.8 * flare)[:, None] * trunk_dir)
        pose = arm_ik(b, pose, side, wrist, pole, thumb=_tile(-sg * X, n))
        ankle = np.array([sg * c.u(0.25, 0.4), b.ankle_height, c.u(0.15, 0.4)])  # feet planted, knees ~90 deg
        pose = leg_ik(b, pose, side, ankle, np.array([sg * 0.3, 1.0, 0.5]))
    return pose


def bench_press(c: Ctx) -> Pose:
    return _press_lying(c, c.u(-3, 5))


def incline_bench_press(c: Ctx) -> Pose:
    return _press_lying(c, c.u(25, 45))


def decline_bench_press(c: Ctx) -> Pose:
    return _press_lying(c, -c.u(12, 25))


def push_up(c: Ctx) -> Pose:
    b, p = c.body, c.p
    length = b.leg + b.trunk + 0.05
    top, bottom = np.degrees(np.arcsin(b.arm * 0.9 / length)), np.degrees(np.arcsin(c.u(0.12, 0.2) / length))
    sag = 10 * c.w("hips_sagging") - 10 * c.w("hips_piked")
    pose = prone_body(c, top + (bottom - top) * c.p, sag, knee=c.u(0, 20))
    grip = c.u(0.55, 0.85) * b.shoulder_width
    flare = c.w("elbows_flared")
    first = prone_body(c.first(), np.full(1, top), 0.0)  # hands stay where the shoulders were at the top
    for side in SIDES:
        sg = SIDE_SIGN[side]
        hand = shoulder_pos(b, first, side)[0] * [1, 0, 1] + [sg * (grip - b.shoulder_width / 2), 0.03, c.u(-0.02, 0.08)]
        pole = unit(sg * (0.5 + 1.5 * flare)[:, None] * X - (1.0 - 0.8 * flare)[:, None] * Z + 0.3 * Y)
        pose = arm_ik(b, pose, side, hand, pole, thumb=_tile(Z, len(p)))
    return pose


def plank(c: Ctx) -> Pose:
    """Forearm plank (upper arms vertical, forearms on the floor) or high plank on straight arms."""
    b, n = c.body, len(c.p)
    high = bool(c.rng.random() < 0.35)
    support = (b.arm * 0.95 if high else b.upper_arm + 0.03) + c.wobble(0.01)
    incline = np.degrees(np.arcsin(support / (b.leg + b.trunk + 0.05)))
    sag = 12 * c.w("hips_sagging") - 14 * c.w("hips_piked") + c.u(-2, 2)
    pose = prone_body(c, incline, sag, knee=c.u(0, 15))
    for side in SIDES:
        sg = SIDE_SIGN[side]
        fore = direction(0, 0) if high else unit(direction(90 + c.u(-5, 10), -sg * c.u(5, 20)))
        pose = pose.set(**{f"{side}_upper": direction(c.u(-8, 8), sg * c.u(0, 6)), f"{side}_fore": _tile(fore, n) if fore.ndim == 1 else fore,
                           f"{side}_thumb": _tile(Y if not high else Z, n)})  # fmt: skip
    return pose


def mountain_climber(c: Ctx) -> Pose:
    b, p = c.body, c.p
    incline = np.degrees(np.arcsin(b.arm * 0.9 / (b.leg + b.trunk + 0.05)))
    pose = prone_body(c, np.full_like(p, incline), -3 * p)
    first = prone_body(c.first(), np.full(1, incline), 0.0)
    for side in SIDES:
        sg = SIDE_SIGN[side]
        hand = shoulder_pos(b, first, side)[0] * [1, 0, 1] + [0, 0.03, 0.02]
        pose = arm_ik(b, pose, side, hand, unit(-Z + sg * 0.3 * X), thumb=_tile(Z, len(p)))
    drive_l, drive_r = alternate(c, p, p)
    rest = c.u(0.1, 0.35)  # legs swap continuously: the other leg is never quite straight
    drive_l, drive_r = np.maximum(drive_l, rest), np.maximum(drive_r, rest)
    body_axis = -unit(pose.left_thigh)  # feet -> head
    down = unit(cross(X, body_axis))  # toward the floor, square to the body
    for side, drive in (("left", drive_l), ("right", drive_r)):
        d = drive[:, None]
        thigh = unit(-body_axis * (1 - 1.8 * d) + down * 0.8 * d)  # knee driven toward the chest
        shin = unit(-body_axis + down * 0.1 * d)
        pose = pose.set(**{f"{side}_thigh": thigh, f"{side}_shin": shin})
    return pose


def _curl(c: Ctx, pron: float) -> Pose:
    """Standing (75 %) or seated curl, both arms or alternating; the elbows drift forward at the top."""
    b, p = c.body, c.p
    pose = stand(c) if c.rng.random() < 0.75 else seated(c, c.u(0.42, 0.52), lean=c.u(-5, 10))
    swing = c.w("swinging")
    lean = -12 * swing * np.sin(np.pi * np.clip(p * 1.2, 0, 1)) + 6 * swing * (p < 0.15)
    pose = pose.set(trunk=direction(180 - lean - c.u(0, 5)))
    alt = bool(c.rng.random() < 0.4)
    top, drift = c.u(130, 155), c.u(5, 35)
    pl, pr = alternate(c, p, p) if alt else (p, p)
    for side, q in (("left", pl), ("right", pr)):
        flex = c.u(0, 8) + drift * q**2 + 25 * swing * q
        pose = arm(pose, side, flex, c.u(5, 15), 8 + (top - 8) * q, rot=c.u(-5, 10), pron=pron)
    return pose


def bicep_curl(c: Ctx) -> Pose:
    return _curl(c, -80)


def hammer_curl(c: Ctx) -> Pose:
    return _curl(c, 0)


def lateral_raise(c: Ctx) -> Pose:
    pose, top = stand(c), c.u(75, 95)
    for side in SIDES:
        pose = arm(pose, side, c.u(5, 20), 10 + (top - 10) * c.p, c.u(8, 25), pron=75)
    return pose


def front_raise(c: Ctx) -> Pose:
    pose, top = stand(c), c.u(80, 105)
    alt = bool(c.rng.random() < 0.3)
    pl, pr = alternate(c, c.p, c.p) if alt else (c.p, c.p)
    for side, q in (("left", pl), ("right", pr)):
        pose = arm(pose, side, 5 + (top - 5) * q, c.u(5, 15), c.u(5, 15), pron=80)
    return pose


def shoulder_press(c: Ctx) -> Pose:
    p = c.p
    pose = seated(c, c.u(0.45, 0.55), lean=c.u(0, 10)) if c.rng.random() < 0.6 else stand(c)
    for side in SIDES:
        abd = c.u(75, 90) + (175 - 85) * p
        pose = arm(pose, side, c.u(5, 25), abd, c.u(95, 115) * (1 - p) + 8 * p, rot=85, pron=80)
    return pose


def tricep_pushdown(c: Ctx) -> Pose:
    pose = stand(c)
    pose = pose.set(trunk=direction(180 - c.u(5, 20)))
    for side in SIDES:
        pose = arm(pose, side, c.u(5, 20), c.u(5, 15), c.u(90, 110) * (1 - c.p) + 8 * c.p, pron=80)
    return pose


def tricep_extension(c: Ctx) -> Pose:
    """Overhead extension standing, seated or leaning forward at a cable, or lying on a bench (skull crusher)."""
    kind = c.rng.choice(4, p=[0.2, 0.25, 0.35, 0.2])
    if kind == 2:
        pose = supine(c, c.u(0.4, 0.5))
        flex = c.u(80, 105)
    elif kind == 3:  # cable overhead extension: leaning forward, facing away from the cable
        pose = stand(c)
        pose = pose.set(trunk=direction(180 - c.u(25, 50)))
        flex = c.u(150, 170)
    else:
        pose = seated(c, c.u(0.45, 0.55)) if kind == 1 else stand(c)
        flex = c.u(155, 175)
    for side in SIDES:
        pose = arm(pose, side, flex, c.u(5, 15), 15 + c.u(100, 130) * c.p, pron=0)
    return pose


def tricep_dips(c: Ctx) -> Pose:
    """Dips on parallel bars or rings (body hanging between the hands), or bench dips (hands on a bench
    behind, feet on the floor in front); the upper arms swing back as the elbows bend."""
    b, p = c.body, c.p
    pose = stand(c)
    pose = pose.set(trunk=direction(180 - c.u(0, 15) - 8 * p))
    depth = c.u(70, 100)
    bench = bool(c.rng.random() < 0.3)
    knee = c.u(0, 90) if c.rng.random() < 0.5 else c.u(0, 15)
    for side in SIDES:
        f = 5 + depth * p
        pose = arm(pose, side, -f, c.u(5, 15), f, pron=0)
        pose = leg(pose, side, Y, c.u(0, 20), 3, knee)
    if not bench:
        return pin(b, pose, ("left_wrist", "right_wrist"), np.array([0.0, 1.4, 0.0]))
    pose = pin(b, pose, ("left_wrist", "right_wrist"), np.array([0.0, c.u(0.42, 0.5), 0.0]))
    reach = c.u(0.6, 0.95) * (b.thigh + b.shin)  # legs nearly straight or bent, heels on the floor
    for side in SIDES:
        sg = SIDE_SIGN[side]
        pose = leg_ik(b, pose, side, np.array([sg * 0.12, b.ankle_height, reach]), np.array([sg * 0.2, 1.0, 0.5]))
    return pose


def pull_up(c: Ctx) -> Pose:
    b, p = c.body, c.p
    pose = stand(c)
    pose = pose.set(trunk=direction(180 + c.u(5, 15) * p))
    for side in SIDES:
        pose = arm(pose, side, 10 * p, 165 - c.u(105, 125) * p, 8 + c.u(115, 145) * p, rot=85, pron=80)
        pose = leg(pose, side, Y, c.u(0, 20), 3, c.u(0, 70))
    return pin(b, pose, ("left_wrist", "right_wrist"), np.array([0.0, 2.3, 0.0]))


def lat_pulldown(c: Ctx) -> Pose:
    p = c.p
    pose = seated(c, c.u(0.45, 0.52), lean=-c.u(5, 20) * (0.4 + 0.6 * p), knee=c.u(60, 90))  # knees under the pad
    for side in SIDES:
        top_abd, top_elbow = c.u(145, 165), c.u(10, 35)  # many never straighten fully at the top
        pose = arm(pose, side, 15 * p, top_abd - (top_abd - c.u(55, 70)) * p, top_elbow + (c.u(110, 130) - top_elbow) * p,
                   rot=85, pron=80)  # fmt: skip
    return pose


def chest_fly(c: Ctx) -> Pose:
    """Arms sweep from out to the sides (p=0) to together in front: at a pec deck (seated), lying on a
    bench with dumbbells (front = the ceiling) or standing at a cable crossover (hands meeting low)."""
    b, p = c.body, c.p
    kind = c.rng.choice(3, p=[0.4, 0.4, 0.2])
    if kind == 0:
        pose, low = seated(c, c.u(0.45, 0.55), lean=c.u(-10, 0)), 0.1
    elif kind == 1:
        pose, low = supine(c, c.u(0.4, 0.5)), 0.1
    else:
        pose, low = stand(c), c.u(0.3, 0.7)
        pose = pose.set(trunk=direction(180 - c.u(5, 20)))
    left, up, fwd = trunk_frame(pose)
    bend = c.u(15, 35)
    for side in SIDES:
        sg = SIDE_SIGN[side]
        psi = np.radians(c.u(-10, 10) + c.u(75, 88) * p)[:, None]
        upper = unit(sg * np.cos(psi) * left + np.sin(psi) * fwd - low * up)
        psi2 = psi + np.radians(bend)
        fore = unit(sg * np.cos(psi2) * left + np.sin(psi2) * fwd - low / 2 * up)
        pose = pose.set(**{f"{side}_upper": upper, f"{side}_fore": fore, f"{side}_thumb": up})
    return pose


def _row(c: Ctx, lean: float, grip: float, thumb: np.ndarray) -> Pose:
    b, p = c.body, c.p
    pose = _hinge(c, 0, c.u(15, 25), c.u(35, 50), hands_down=False, held=True)
    trunk = direction(180 - lean + c.wobble(2.0))
    pose = pose.set(trunk=trunk, head=unit(trunk + 0.6 * Y), face=_tile(unit(Z - 0.8 * Y), len(p)))
    for side in SIDES:
        sg = SIDE_SIGN[side]
        sh = shoulder_pos(b, pose, side)
        hang = sh + [sg * (grip - b.shoulder_width / 2), -b.arm * 0.97, 0.03]
        pulled = sh + [sg * (grip - b.shoulder_width / 2), -b.arm * 0.45, -0.05]
        wrist = hang + (pulled - hang) * p[:, None]
        pose = arm_ik(b, pose, side, wrist, unit(-Z + Y + sg * 0.4 * X), thumb=_tile(thumb * [sg, 1, 1], len(p)))
    return pose


def t_bar_row(c: Ctx) -> Pose:
    return _row(c, c.u(40, 60), c.u(0.05, 0.1), np.array([0.0, 0.0, 1.0]))


def barbell_row(c: Ctx) -> Pose:
    return _row(c, c.u(40, 88), c.u(0.2, 0.3), np.array([-1.0, 0.0, 0.0]))


def leg_extension(c: Ctx) -> Pose:
    b, p = c.body, c.p
    pose = seated(c, c.u(0.5, 0.6), lean=c.u(5, 20))
    top = c.u(75, 90)
    for side in SIDES:
        sg = SIDE_SIGN[side]
        shin = direction(-5 + (top + 5) * p, sg * 3)
        pose = pose.set(**{f"{side}_thigh": _tile(direction(90, sg * 8), len(p)), f"{side}_shin": shin,
                           f"{side}_foot": unit(rotate(shin, X, -90))})  # fmt: skip
        pose = arm(pose, side, 10, 20, 25)
    return pose


def leg_raise(c: Ctx) -> Pose:
    """Lying leg raise (legs from the floor to vertical) or hanging leg/knee raise from a bar."""
    b, p = c.body, c.p
    n = len(p)
    top, knee = c.u(75, 100), c.u(0, 25)
    hanging = bool(c.rng.random() < 0.5)
    if hanging:
        knee = c.u(0, 20) if c.rng.random() < 0.5 else c.u(60, 100) * p  # straight legs or knee raise
        pose = stand(c)
        for side in SIDES:
            pose = arm(pose, side, 5, 165, 8, rot=85, pron=80)
            pose = leg(pose, side, Y, 5 + (top - 5) * p, 3, knee)
        pose = pose.set(trunk=direction(180 + c.u(0, 10) * p))
        return pin(b, pose, ("left_wrist", "right_wrist"), np.array([0.0, 2.3, 0.0]))
    pose = lie(stand(c), -90)
    pose = pose.set(pelvis=_tile([0, 0.1, 0], n), face=_tile(Y, n), head=_tile(unit(-Z + 0.1 * Y), n))
    lift = np.radians(5 + (top - 5) * p)
    for side in SIDES:
        sg = SIDE_SIGN[side]
        thigh = unit(np.stack([np.full(n, sg * 0.03), np.sin(lift), np.cos(lift)], -1))
        shin = unit(rotate(thigh, X, -knee))
        pose = pose.set(**{f"{side}_thigh": thigh, f"{side}_shin": shin, f"{side}_foot": unit(rotate(shin, X, -80))})
        pose = arm(pose, side, 0, c.u(10, 30), 5, pron=-90)
    return pose


def _trunk_curl(c: Ctx, top: float, hands: str) -> Pose:
    """Lying on the floor with knees bent; the trunk rises ``top`` deg from the floor at p = 1."""
    b, p = c.body, c.p
    pose = supine(c, 0.0)
    rise = np.radians(top * p)
    trunk_dir = np.stack([np.zeros_like(p), np.sin(rise), -np.cos(rise)], -1)
    ceiling = np.stack([np.zeros_like(p), np.cos(rise), np.sin(rise)], -1)
    pose = pose.set(pelvis=_tile([0, 0.1, 0], len(p)), trunk=trunk_dir, face=unit(ceiling + 0.4 * trunk_dir + 0.3 * Z),
                    head=unit(trunk_dir + 0.3 * ceiling + 0.2 * p[:, None] * ceiling))  # fmt: skip
    feet = c.u(0.75, 1.4) * b.thigh + 0.1  # knees bent sharply or legs nearly out
    for side in SIDES:
        sg = SIDE_SIGN[side]
        pose = leg_ik(b, pose, side, np.array([sg * 0.15, b.ankle_height, feet]), np.array([0, 1.0, 0.3]))
        if hands == "head":
            ear = shoulder_pos(b, pose, side) + 0.22 * trunk_dir - sg * 0.05 * X
            pose = arm_ik(b, pose, side, ear, unit(sg * X + ceiling))
        elif hands == "reach":  # arms straight, reaching toward the knees
            pose = arm(pose, side, 30 + 40 * p, 10, 5, pron=80)
        else:
            other = shoulder_pos(b, pose, "right" if side == "left" else "left") + 0.08 * ceiling - 0.05 * trunk_dir
            pose = arm_ik(b, pose, side, other, unit(ceiling - trunk_dir))
    return pose


def sit_up(c: Ctx) -> Pose:
    return _trunk_curl(c, c.u(65, 90), str(c.rng.choice(["head", "chest", "reach"], p=[0.45, 0.35, 0.2])))


def crunch(c: Ctx) -> Pose:
    return _trunk_curl(c, c.u(22, 38), str(c.rng.choice(["head", "chest", "reach"], p=[0.6, 0.25, 0.15])))


def russian_twist(c: Ctx) -> Pose:
    b, p = c.body, c.p
    n = len(p)
    lean = c.u(35, 55)
    pose = stand(c)
    pose = pose.set(pelvis=_tile([0, 0.1, 0], n), trunk=_tile(direction(180 + lean), n))  # sitting, leaning back
    twist = c.side * c.u(30, 50) * p
    pose = pose.set(shoulder_left=rotate(_tile(X, n), pose.trunk, twist), face=unit(rotate(_tile(Z, n), Y, twist * 0.6) - 0.3 * Y),
                    head=unit(pose.trunk + 0.5 * Y))  # fmt: skip
    feet = np.array([0.12, b.ankle_height + c.u(0, 0.2), b.thigh * c.u(1.0, 1.3)])  # on the floor or held up
    left, up, fwd = trunk_frame(pose)
    hands = pose.pelvis + (b.trunk * c.u(0.4, 0.6)) * up + c.u(0.2, 0.3) * fwd  # holding a weight near the chest
    for side in SIDES:
        sg = SIDE_SIGN[side]
        pose = leg_ik(b, pose, side, feet * [sg, 1, 1], np.array([0, 1.0, 0.3]))
        pose = arm_ik(b, pose, side, hands + sg * 0.04 * left, unit(sg * left - up), thumb=up)
    return pose


def jumping_jack(c: Ctx) -> Pose:
    b, p = c.body, c.p
    pose = stand(c)
    legs = 3 + c.u(12, 20) * p
    hop = 0.06 * np.abs(np.sin(np.pi * p))
    pelvis = pose.pelvis.copy()
    pelvis[:, 1] = b.ankle_height + (b.thigh + b.shin) * np.cos(np.radians(legs)) + hop
    pose = pose.set(pelvis=pelvis)
    top = c.u(150, 175)
    for side in SIDES:
        sg = SIDE_SIGN[side]
        pose = pose.set(**{f"{side}_thigh": direction(0, sg * legs), f"{side}_shin": direction(0, sg * legs)})
        pose = arm(pose, side, c.u(0, 15), 10 + (top - 10) * p, c.u(5, 25) * (1 - p) + 15 * p, pron=80)
    return pose


def upright_row(c: Ctx) -> Pose:
    b, p = c.body, c.p
    pose = stand(c)
    for side in SIDES:
        sg = SIDE_SIGN[side]
        sh = shoulder_pos(b, pose, side)
        low = sh + [-sg * 0.1, -b.arm * 0.95, 0.08]
        high = sh + [-sg * 0.1, -0.05, 0.1]
        pose = arm_ik(b, pose, side, low + (high - low) * p[:, None], unit(sg * X + Y - 0.3 * Z), thumb=_tile(-sg * X, len(p)))
    return pose


def shrug(c: Ctx) -> Pose:
    pose = stand(c)
    return pose.set(shrug=c.u(0.03, 0.06) * c.p)


def face_pull(c: Ctx) -> Pose:
    b, p = c.body, c.p
    pose = stand(c)
    for side in SIDES:
        sg = SIDE_SIGN[side]
        sh = shoulder_pos(b, pose, side)
        far = sh + [-sg * 0.1, 0.05, b.arm * 0.95]
        near = sh + [-sg * 0.05, 0.18, 0.12]
        pose = arm_ik(b, pose, side, far + (near - far) * p[:, None], unit(sg * X + 0.3 * Y), thumb=_tile(Y, len(p)))
    return pose


def seated_row(c: Ctx) -> Pose:
    b, p = c.body, c.p
    n = len(p)
    pose = stand(c)
    lean = c.u(-5, 15) * (1 - p) - c.u(0, 10) * p
    pose = pose.set(pelvis=_tile([0, 0.12, 0], n), trunk=direction(180 - lean))
    for side in SIDES:
        sg = SIDE_SIGN[side]
        pose = leg(pose, side, Y, 90, 5, c.u(10, 30))
        sh = shoulder_pos(b, pose, side)
        far = sh + [-sg * 0.08, -0.15, b.arm * 0.93]
        near = pose.pelvis + [sg * 0.08, b.trunk * 0.45, 0.12]
        pose = arm_ik(b, pose, side, far + (near - far) * p[:, None], unit(sg * 0.4 * X - Z - 0.3 * Y), thumb=_tile(Y, n))
    return pose


def leg_curl(c: Ctx) -> Pose:
    """Lying leg curl on a bench (heels toward the buttocks) or seated (shins swept under the seat)."""
    b, p = c.body, c.p
    n = len(p)
    if c.rng.random() < 0.4:
        pose = seated(c, c.u(0.5, 0.6), lean=c.u(5, 20))
        for side in SIDES:
            sg = SIDE_SIGN[side]
            shin = direction(c.u(80, 90) - c.u(90, 120) * p, sg * 3)
            pose = pose.set(**{f"{side}_thigh": _tile(direction(90, sg * 8), n), f"{side}_shin": shin,
                               f"{side}_foot": unit(rotate(shin, X, -90))})  # fmt: skip
            pose = arm(pose, side, 10, 20, 25)
        return pose
    pose = prone_body(c, np.zeros(n) + 2, 0.0)
    pose = pose.set(pelvis=pose.pelvis + [0, 0.5, 0])
    top = c.u(90, 120)
    for side in SIDES:
        pose = pose.set(**{f"{side}_shin": unit(rotate(getattr(pose, f"{side}_thigh"), X, top * p))})
        pose = arm(pose, side, 150, 20, 30)
    return pose


def side_leg_raise(c: Ctx) -> Pose:
    b, p = c.body, c.p
    pose = stand(c)
    top = c.u(30, 50)
    working = np.where(c.side > 0, "left", "right")
    for side in SIDES:
        sg = SIDE_SIGN[side]
        ang = np.where(working == side, top * p, 2.0)
        pose = pose.set(**{f"{side}_thigh": direction(0, sg * ang), f"{side}_shin": direction(0, sg * ang)})
    if c.rng.random() < 0.5:
        pose = hands_on_hips(pose)
    pose = pose.set(trunk=direction(180, -c.side * 8 * p))
    return pin(b, pose, ("left_heel", "right_heel"), np.array([0, 0, 0.0]))


def superman(c: Ctx) -> Pose:
    b, p = c.body, c.p
    n = len(p)
    lift = c.u(10, 20) * p
    pose = prone_body(c, np.zeros(n), 0.0)
    trunk = np.stack([np.zeros(n), np.sin(np.radians(lift)), np.cos(np.radians(lift))], -1)
    legs = np.stack([np.zeros(n), np.sin(np.radians(lift * 0.8)), -np.cos(np.radians(lift * 0.8))], -1)
    pose = pose.set(pelvis=_tile([0, 0.12, 0], n), trunk=trunk, left_thigh=legs, left_shin=legs, right_thigh=legs,
                    right_shin=legs)  # fmt: skip
    for side in SIDES:
        pose = arm(pose, side, 170, c.u(10, 30), 10)
    return pose


def donkey_kick(c: Ctx) -> Pose:
    b, p = c.body, c.p
    n = len(p)
    pose = lie(stand(c), 90)
    pose = pose.set(pelvis=_tile([0, b.thigh + 0.05, 0], n), trunk=_tile(unit(Z + 0.1 * Y), n), face=_tile(-Y, n))
    kick_l, kick_r = alternate(c, p, p)
    for side, k in (("left", kick_l), ("right", kick_r)):
        thigh = unit(np.stack([np.zeros(n), -np.cos(np.radians(100 * k)), -np.sin(np.radians(100 * k))], -1))
        shin = unit(rotate(thigh, X, -90 * (1 - 0.2 * k)))
        pose = pose.set(**{f"{side}_thigh": thigh, f"{side}_shin": shin})
        sh = shoulder_pos(b, pose, side)
        pose = arm_ik(b, pose, side, sh * [1, 0, 1] + [0, 0.05, 0], unit(-Z), thumb=_tile(Z, n))
    return pose


def dumbbell_row(c: Ctx) -> Pose:
    b, p = c.body, c.p
    pose = _hinge(c, 0, c.u(10, 20), c.u(35, 45), hands_down=False, held=True)
    trunk = direction(180 - c.u(65, 85))
    pose = pose.set(trunk=trunk, head=unit(trunk + 0.4 * Y))
    work = "left" if c.rng.random() < 0.5 else "right"
    for side in SIDES:
        sg = SIDE_SIGN[side]
        sh = shoulder_pos(b, pose, side)
        if side == work:
            hang = sh + [0, -b.arm * 0.97, 0.02]
            pulled = sh + [0, -b.arm * 0.35, -0.12]
            pose = arm_ik(b, pose, side, hang + (pulled - hang) * p[:, None], unit(-Z + Y), thumb=_tile(Z, len(p)))
        else:  # the other hand braces on a bench or knee
            pose = arm_ik(b, pose, side, sh + [sg * 0.05, -b.arm * 0.8, 0.25], unit(-Z + sg * X))
    return pose


def no_exercise(c: Ctx) -> Pose:
    """Standing idle, walking about, resting with hands on hips, or fidgeting: never a repetition."""
    b, n = c.body, len(c.p)
    kind = c.rng.integers(4)
    pose = stand(c)
    if kind == 1:  # walking across the room
        speed = c.u(0.6, 1.2)
        cadence = speed / (0.7 * b.leg)
        phase = 2 * np.pi * cadence * c.t / 2
        for side in SIDES:
            sg = SIDE_SIGN[side]
            swing = 25 * np.sin(phase + (0 if sg > 0 else np.pi))
            knee = 25 * np.maximum(0, np.sin(phase + (0 if sg > 0 else np.pi) + 1.2))
            pose = leg(pose, side, Y, swing, 3, knee)
            pose = arm(pose, side, -0.6 * swing, 8, 15)
        pelvis = pose.pelvis.copy()
        pelvis[:, 2] += speed * c.t
        pelvis[:, 1] -= 0.02 * np.abs(np.sin(phase))
        pose = pose.set(pelvis=pelvis)
    elif kind == 2:  # resting between sets: hands on hips, looking around
        for side in SIDES:
            pose = arm(pose, side, 5, 40, 100, rot=-30)
        pose = pose.set(face=unit(rotate(_tile(Z, n), Y, c.wobble(35, 6.0))))
    elif kind == 3:  # fidgeting: stretching an arm, rolling shoulders, shifting weight
        for side in SIDES:
            pose = arm(pose, side, 20 + c.wobble(40, 4.0), 15 + c.wobble(25, 5.0), 30 + c.wobble(40, 3.0))
        pose = pose.set(shrug=np.abs(c.wobble(0.03, 2.0)), trunk=direction(180 - c.wobble(8, 5.0), c.wobble(6, 4.0)))
    return pose


# --- registry -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Motion:
    """How an exercise moves and is usually filmed.

    tempo: seconds per repetition (low, high); views: camera positions it is usually filmed from;
    faults: form faults it can show; alternating: sides take turns, each side's move is one repetition;
    lockout_at_start: the start posture is the locked-out one (incomplete lockout = not returning fully);
    hold: a static hold (no repetitions); setup: the set starts by moving from standing into position;
    arms_only: the legs take no part, so clips often frame the upper body only.
    """

    build: Callable[[Ctx], Pose]
    tempo: tuple[float, float]
    views: tuple[str, ...]
    faults: tuple[str, ...] = ()
    alternating: bool = False
    lockout_at_start: bool = False
    hold: bool = False
    setup: bool = False
    arms_only: bool = False


_S, _F, _45 = "side", "front", "45"
MOTIONS: dict[str, Motion] = {
    "squat": Motion(squat, (1.8, 3.5), (_F, _S, _45), ("shallow_depth", "knees_caving", "heels_lifting", "partial_range")),
    "lunge": Motion(lunge, (2.0, 3.5), (_F, _S, _45), ("shallow_depth", "partial_range"), alternating=True),
    "deadlift": Motion(deadlift, (2.5, 4.0), (_S, _45), ("rounded_back", "partial_range")),
    "romanian_deadlift": Motion(romanian_deadlift, (2.5, 4.0), (_S, _45), ("rounded_back", "partial_range")),
    "hip_thrust": Motion(hip_thrust, (1.8, 3.0), (_S, _45), ("partial_range",)),
    "glute_bridge": Motion(glute_bridge, (1.5, 3.0), (_S, _45), ("partial_range",)),
    "bench_press": Motion(bench_press, (2.0, 3.5), (_S, _45), ("elbows_flared", "incomplete_lockout", "partial_range"), lockout_at_start=True),
    "incline_bench_press": Motion(incline_bench_press, (2.0, 3.5), (_S, _45), ("elbows_flared", "incomplete_lockout", "partial_range"), lockout_at_start=True),
    "decline_bench_press": Motion(decline_bench_press, (2.0, 3.5), (_S, _45), ("elbows_flared", "incomplete_lockout", "partial_range"), lockout_at_start=True),
    "push_up": Motion(push_up, (1.2, 2.5), (_S, _45, _F), ("hips_sagging", "hips_piked", "elbows_flared", "incomplete_lockout", "partial_range"), lockout_at_start=True),
    "plank": Motion(plank, (20.0, 40.0), (_S, _45), ("hips_sagging", "hips_piked"), hold=True),
    "mountain_climber": Motion(mountain_climber, (0.5, 0.9), (_S, _45), ("partial_range",), alternating=True),
    "bicep_curl": Motion(bicep_curl, (1.8, 3.0), (_F, _45, _S), ("swinging", "partial_range"), setup=True, arms_only=True),
    "hammer_curl": Motion(hammer_curl, (1.8, 3.0), (_F, _45, _S), ("swinging", "partial_range"), setup=True, arms_only=True),
    "lateral_raise": Motion(lateral_raise, (1.8, 3.0), (_F, _45), ("partial_range",), setup=True, arms_only=True),
    "front_raise": Motion(front_raise, (1.8, 3.0), (_S, _45, _F), ("partial_range",), setup=True, arms_only=True),
    "shoulder_press": Motion(shoulder_press, (1.8, 3.0), (_F, _45, _S), ("incomplete_lockout", "partial_range"), setup=True, arms_only=True),
    "tricep_pushdown": Motion(tricep_pushdown, (1.5, 2.5), (_S, _45), ("incomplete_lockout", "partial_range"), arms_only=True),
    "tricep_extension": Motion(tricep_extension, (1.8, 3.0), (_S, _45, _F), ("partial_range",), setup=True, arms_only=True),
    "tricep_dips": Motion(tricep_dips, (1.8, 3.0), (_S, _45), ("incomplete_lockout", "partial_range"), lockout_at_start=True),
    "pull_up": Motion(pull_up, (2.0, 3.5), (_F, _S, _45), ("incomplete_lockout", "partial_range"), lockout_at_start=True),
    "lat_pulldown": Motion(lat_pulldown, (2.0, 3.0), (_S, _45, _F), ("partial_range",)),
    "chest_fly": Motion(chest_fly, (2.0, 3.0), (_F, _45, _S), ("partial_range",), arms_only=True),
    "t_bar_row": Motion(t_bar_row, (1.8, 2.8), (_S, _45), ("partial_range",)),
    "barbell_row": Motion(barbell_row, (1.8, 2.8), (_S, _45), ("partial_range",)),
    "dumbbell_row": Motion(dumbbell_row, (1.8, 2.8), (_S, _45), ("partial_range",)),
    "leg_extension": Motion(leg_extension, (1.8, 3.0), (_S, _45), ("partial_range",)),
    "leg_curl": Motion(leg_curl, (1.8, 3.0), (_S, _45), ("partial_range",)),
    "leg_raise": Motion(leg_raise, (2.0, 3.5), (_S, _45), ("partial_range",)),
    "sit_up": Motion(sit_up, (1.8, 3.0), (_S, _45), ("partial_range",)),
    "crunch": Motion(crunch, (1.2, 2.2), (_S, _45), ("partial_range",)),
    "russian_twist": Motion(russian_twist, (0.9, 1.6), (_45, _S, _F), ("partial_range",), alternating=True),
    "jumping_jack": Motion(jumping_jack, (0.8, 1.3), (_F, _45), ("partial_range",)),
    "upright_row": Motion(upright_row, (1.8, 2.8), (_F, _45), ("partial_range",), setup=True, arms_only=True),
    "shrug": Motion(shrug, (1.5, 2.5), (_F, _45, _S), ("partial_range",), setup=True, arms_only=True),
    "face_pull": Motion(face_pull, (1.8, 2.8), (_S, _45), ("partial_range",), arms_only=True),
    "seated_row": Motion(seated_row, (2.0, 3.0), (_S, _45), ("partial_range",)),
    "side_leg_raise": Motion(side_leg_raise, (1.5, 2.5), (_F, _45), ("partial_range",), alternating=True),
    "superman": Motion(superman, (2.0, 3.5), (_S, _45), ("partial_range",)),
    "donkey_kick": Motion(donkey_kick, (1.2, 2.2), (_S, _45), ("partial_range",), alternating=True),
    "no_exercise": Motion(no_exercise, (8.0, 20.0), (_F, _45, _S), (), hold=True),
}  # fmt: skip
