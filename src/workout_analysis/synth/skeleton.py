"""A 3D body with human proportions, posed by segment directions, turned into MediaPipe's 33 landmarks.

Body frame (metres): +X is the person's left, +Y up, +Z the way a standing person faces; the floor
is y = 0. A :class:`Pose` gives, per frame, the pelvis position and a unit direction for every
segment; :func:`assemble` lays the segments end to end with the body's fixed lengths, so bone
lengths are constant by construction whatever the motion does. Closed chains (hands on a bar, feet
on the floor) are posed with :func:`two_bone` inverse kinematics, which keeps lengths exact too.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace

import numpy as np

from ..sequence import LANDMARK_INDEX, NUM_LANDMARKS

SIDES = ("left", "right")
SIDE_SIGN = {"left": 1.0, "right": -1.0}  # sign of +X (the person's left)

# Segment lengths as fractions of standing height. Trunk and head follow Drillis & Contini; limbs, widths,
# hands and feet are MediaPipe's own skeleton (median world-landmark distances over the extracted shared
# clips, relative to the trunk): its points are not anatomical joints, and its arms, shins, hands and
# feet come out shorter than anatomy tables say.
PROPORTIONS = {
    "upper_arm": 0.137, "forearm": 0.128, "hand": 0.028, "thigh": 0.22, "shin": 0.205, "foot": 0.07,
    "ankle_height": 0.039, "trunk": 0.288, "neck": 0.115, "shoulder_width": 0.183, "hip_width": 0.122,
}  # fmt: skip


@dataclass(frozen=True)
class Body:
    """Segment lengths in metres of one person."""

    height: float
    upper_arm: float
    forearm: float
    hand: float
    thigh: float
    shin: float
    foot: float
    ankle_height: float
    trunk: float
    neck: float
    shoulder_width: float
    hip_width: float

    @property
    def leg(self) -> float:
        """Hip landmark height when standing straight."""
        return self.thigh + self.shin + self.ankle_height

    @property
    def arm(self) -> float:
        return self.upper_arm + self.forearm


def sample_body(rng: np.random.Generator) -> Body:
    """A random adult: height ~ N(1.72, 0.09) m, every proportion varied a few percent, build ~7 %."""
    height = float(np.clip(rng.normal(1.72, 0.09), 1.50, 2.00))
    build = rng.normal(1.0, 0.07)  # broad or narrow: widths vary more than lengths
    lengths = {}
    for name, frac in PROPORTIONS.items():
        spread = 0.07 if name.endswith("width") else 0.035
        factor = rng.normal(1.0, spread) * (build if name.endswith("width") else 1.0)
        lengths[name] = float(height * frac * np.clip(factor, 0.8, 1.25))
    return Body(height=height, **lengths)


# --- vector helpers (all broadcast over leading axes, angles in degrees) --------------------------


def unit(v: np.ndarray) -> np.ndarray:
    return v / np.maximum(np.linalg.norm(v, axis=-1, keepdims=True), 1e-12)


def cross(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Cross product over the last axis (np.cross's axis juggling costs more than the arithmetic here)."""
    a, b = np.broadcast_arrays(a, b)
    ax, ay, az = a[..., 0], a[..., 1], a[..., 2]
    bx, by, bz = b[..., 0], b[..., 1], b[..., 2]
    return np.stack([ay * bz - az * by, az * bx - ax * bz, ax * by - ay * bx], axis=-1)


def direction(pitch: np.ndarray | float, lateral: np.ndarray | float = 0.0) -> np.ndarray:
    """Unit vector from straight down, tilted ``pitch`` deg forward (+Z) then ``lateral`` deg to the left (+X).

    pitch 0 = down, 90 = forward, 180 = up, -90 = backward.
    """
    p, lat = np.radians(np.asarray(pitch, float)), np.radians(np.asarray(lateral, float))
    p, lat = np.broadcast_arrays(p, lat)
    return np.stack([np.sin(lat), -np.cos(lat) * np.cos(p), np.cos(lat) * np.sin(p)], axis=-1)


def rotate(v: np.ndarray, axis: np.ndarray, angle: np.ndarray | float) -> np.ndarray:
    """Rotate vectors ``v`` about unit ``axis`` by ``angle`` deg (right hand rule, Rodrigues)."""
    a = np.radians(np.asarray(angle, float))[..., None]
    axis = np.broadcast_to(axis, np.broadcast_shapes(np.shape(v), np.shape(axis)))
    v = np.broadcast_to(v, axis.shape)
    cos, sin = np.cos(a), np.sin(a)
    return v * cos + cross(axis, v) * sin + axis * np.sum(axis * v, axis=-1, keepdims=True) * (1 - cos)


def two_bone(root: np.ndarray, target: np.ndarray, l1: float, l2: float, pole: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Inverse kinematics of a two-segment limb: directions of both segments reaching from root to target.

    The middle joint (knee, elbow) bends toward ``pole``. Out-of-reach targets are approached along the
    line to them, so the lengths stay exact.
    """
    d_vec = target - root
    d = np.clip(np.linalg.norm(d_vec, axis=-1, keepdims=True), abs(l1 - l2) + 1e-6, l1 + l2 - 1e-6)
    axis = unit(d_vec)
    a = (l1**2 - l2**2 + d**2) / (2 * d)
    h = np.sqrt(np.maximum(l1**2 - a**2, 0.0))
    q = unit(pole - np.sum(pole * axis, axis=-1, keepdims=True) * axis)
    mid = root + a * axis + h * q
    return unit(mid - root), unit(root + d * axis - mid)


def limb_angles(frame: tuple[np.ndarray, np.ndarray, np.ndarray], side: str, flex, abd, elbow, rot=0.0, pron=0.0):
    """Arm (or leg) segment directions from joint angles in a body-part frame (left, up, forward unit vectors).

    flex: shoulder flexion (0 hanging, 90 forward, 180 overhead); abd: abduction away from the body;
    rot: external rotation of the upper arm (turns the plane the elbow bends in); elbow: elbow flexion;
    pron: forearm pronation (0 thumb forward, -90 palm forward). Returns (upper, fore, thumb) directions.
    """
    s = SIDE_SIGN[side]
    flex, abd, elbow, rot, pron = np.broadcast_arrays(*(np.asarray(x, float) for x in (flex, abd, elbow, rot, pron)))
    ex, ey, ez = np.eye(3)
    # local frame composition R = Rx(-flex) Rz(s*abd) Ry(s*rot), written as successive rotations of vectors
    def apply(v: np.ndarray, bend: np.ndarray | None) -> np.ndarray:
        if bend is not None:
            v = rotate(v, ex, -bend)
        v = rotate(v, ey, s * rot)
        v = rotate(v, ez, s * abd)
        return rotate(v, ex, -flex)

    upper = apply(np.broadcast_to(-ey, (*flex.shape, 3)), None)
    fore = apply(np.broadcast_to(-ey, (*flex.shape, 3)), elbow)
    thumb = apply(rotate(np.broadcast_to(ez, (*flex.shape, 3)), ey, -s * pron), elbow)
    left, up, fwd = frame
    to_body = lambda v: v[..., :1] * left + v[..., 1:2] * up + v[..., 2:3] * fwd  # noqa: E731
    return to_body(upper), to_body(fore), to_body(thumb)


# --- pose and assembly ----------------------------------------------------------------------------


@dataclass
class Pose:
    """Per-frame body configuration; every field is (T, 3) except ``shrug`` (T,).

    Directions are unit vectors in the body frame: ``trunk`` pelvis -> mid-shoulder, ``head`` mid-shoulder
    -> head centre, ``face`` where the nose points, ``pelvis_left``/``shoulder_left`` the left-pointing
    axis through the hips/shoulders, ``*_thumb`` a hint for the hand's roll, ``*_foot`` ankle -> toes.
    """

    pelvis: np.ndarray
    pelvis_left: np.ndarray
    trunk: np.ndarray
    shoulder_left: np.ndarray
    head: np.ndarray
    face: np.ndarray
    left_thigh: np.ndarray
    left_shin: np.ndarray
    left_foot: np.ndarray
    right_thigh: np.ndarray
    right_shin: np.ndarray
    right_foot: np.ndarray
    left_upper: np.ndarray
    left_fore: np.ndarray
    left_thumb: np.ndarray
    right_upper: np.ndarray
    right_fore: np.ndarray
    right_thumb: np.ndarray
    shrug: np.ndarray

    def __len__(self) -> int:
        return len(self.pelvis)

    def set(self, **changes: np.ndarray) -> Pose:
        """A copy with some fields replaced (broadcast to T frames)."""
        t = len(self)
        return replace(self, **{k: np.broadcast_to(v, (t, *np.shape(getattr(self, k))[1:])).copy() for k, v in changes.items()})

    def blend(self, other: Pose, w: np.ndarray) -> Pose:
        """Per-frame mix: (1 - w) * self + w * other; directions are re-normalised."""
        w = np.asarray(w, float)[:, None]
        out = {}
        for f in fields(self):
            a, b = getattr(self, f.name), getattr(other, f.name)
            if f.name == "shrug":
                out[f.name] = a * (1 - w[:, 0]) + b * w[:, 0]
            elif f.name == "pelvis":
                out[f.name] = a * (1 - w) + b * w
            else:
                out[f.name] = unit(a * (1 - w) + b * w + 1e-9)
        return Pose(**out)


def neck_and_shoulder_axis(body: Body, pose: Pose) -> tuple[np.ndarray, np.ndarray]:
    """Mid-shoulder point and the unit left-pointing shoulder axis, per frame.

    The shoulder line is kept square to the spine (a rigid torso), whatever the motion asked for.
    """
    trunk = unit(pose.trunk)
    neck = pose.pelvis + (body.trunk + pose.shrug[:, None]) * trunk
    return neck, unit(pose.shoulder_left - np.sum(pose.shoulder_left * trunk, axis=-1, keepdims=True) * trunk)


def assemble(body: Body, pose: Pose) -> np.ndarray:
    """(T, 33, 3) landmark positions in the body frame, metres."""
    t = len(pose)
    out = np.empty((t, NUM_LANDMARKS, 3))
    L = LANDMARK_INDEX
    pl = unit(pose.pelvis_left)
    neck, shoulder_axis = neck_and_shoulder_axis(body, pose)
    for side in SIDES:
        s = SIDE_SIGN[side]
        hip = pose.pelvis + s * body.hip_width / 2 * pl
        knee = hip + body.thigh * getattr(pose, f"{side}_thigh")
        ankle = knee + body.shin * getattr(pose, f"{side}_shin")
        foot = unit(getattr(pose, f"{side}_foot"))
        sole = -unit(cross(foot, pl))  # toward the sole
        out[:, L[f"{side}_hip"]] = hip
        out[:, L[f"{side}_knee"]] = knee
        out[:, L[f"{side}_ankle"]] = ankle
        out[:, L[f"{side}_heel"]] = ankle + body.foot * (-0.22 * foot + 0.25 * sole)
        out[:, L[f"{side}_foot_index"]] = ankle + body.foot * (0.78 * foot + 0.22 * sole)

        shoulder = neck + s * body.shoulder_width / 2 * shoulder_axis
        elbow = shoulder + body.upper_arm * getattr(pose, f"{side}_upper")
        fore = getattr(pose, f"{side}_fore")
        wrist = elbow + body.forearm * fore
        thumb = getattr(pose, f"{side}_thumb")
        thumb = unit(thumb - np.sum(thumb * fore, axis=-1, keepdims=True) * fore + 1e-9)
        out[:, L[f"{side}_shoulder"]] = shoulder
        out[:, L[f"{side}_elbow"]] = elbow
        out[:, L[f"{side}_wrist"]] = wrist
        out[:, L[f"{side}_index"]] = wrist + body.hand * (1.45 * fore + 0.35 * thumb)
        out[:, L[f"{side}_pinky"]] = wrist + body.hand * (1.25 * fore - 0.45 * thumb)
        out[:, L[f"{side}_thumb"]] = wrist + body.hand * (0.8 * fore + 0.7 * thumb)

    # Head: an orthonormal frame from the neck direction and where the face points.
    up = unit(pose.head)
    fwd = unit(pose.face - np.sum(pose.face * up, axis=-1, keepdims=True) * up + 1e-9)
    left = cross(up, fwd)
    centre = neck + body.neck * up
    scale = body.height / 1.72
    for name, (x, y, z) in _FACE.items():
        out[:, L[name]] = centre + scale * (x * left + y * up + z * fwd)
    return out


# Face landmarks in the head frame (left, up, forward) in metres for a 1.72 m person.
_FACE: dict[str, tuple[float, float, float]] = {"nose": (0.0, -0.005, 0.105)}
for _side, _s in SIDE_SIGN.items():
    _FACE |= {
        f"{_side}_eye_inner": (0.016 * _s, 0.03, 0.09), f"{_side}_eye": (0.032 * _s, 0.031, 0.085),
        f"{_side}_eye_outer": (0.046 * _s, 0.03, 0.075), f"{_side}_ear": (0.073 * _s, 0.012, 0.0),
        f"mouth_{_side}": (0.024 * _s, -0.04, 0.088),
    }  # fmt: skip


def bone_lengths(points: np.ndarray, edges: tuple[tuple[int, int], ...]) -> np.ndarray:
    """(T, len(edges)) distances between the two ends of each edge."""
    a, b = np.array(edges).T
    return np.linalg.norm(points[:, a] - points[:, b], axis=-1)
