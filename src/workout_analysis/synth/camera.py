"""From a 3D body to what MediaPipe would report: a camera, perspective projection, and detector noise.

The camera stands at an azimuth around the person (0 = in front, 90 = at their left side), at some
elevation (high or low), far enough that the person fills part of a landscape or portrait frame,
sometimes off-centre or partly out of it. The detector adds temporally correlated jitter (more at the
hands and feet, much more in depth), lower visibility and drift for occluded or out-of-frame
landmarks, short dropouts (frames without a pose) and the occasional left/right swap.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace

import numpy as np

from ..sequence import LANDMARK_INDEX, MIRROR_INDEX, NUM_LANDMARKS
from .skeleton import cross, unit

VIEWS: tuple[str, ...] = ("front", "side", "45", "back", "high", "low")
FRAME_SIZES = {"landscape": ((960, 540), (1280, 720), (640, 480), (960, 720)), "portrait": ((540, 960), (720, 1280), (480, 854))}

_L = LANDMARK_INDEX
Z_GAIN = 3.0  # MediaPipe's image z runs about 3x the x scale on the shared clips (p90 |z| / torso 2.6)
_EXTREMITY = [_L[n] for n in _L if any(k in n for k in ("wrist", "pinky", "index", "thumb", "ankle", "heel", "foot"))]
_FACE = list(range(11))
_UPPER = _L["right_hip"] + 1  # landmarks 0-24: face, arms, shoulders, hips
_LIMB_PARTS = ("elbow", "wrist", "pinky", "index", "thumb", "knee", "ankle", "heel", "foot")
# MediaPipe stays sure of the face, shoulders and hips even in profile; only limbs lose visibility.
_LEFT = [i for n, i in _L.items() if n.startswith("left") and any(k in n for k in _LIMB_PARTS)]
_LIMBS = [[i for n, i in _L.items() if n.startswith(side) and any(k in n for k in parts)]
          for side in ("left", "right") for parts in (("elbow", "wrist", "pinky", "index", "thumb"),
                                                      ("knee", "ankle", "heel", "foot"))]  # fmt: skip
_RIGHT = [i for n, i in _L.items() if n.startswith("right") and any(k in n for k in _LIMB_PARTS)]
_LEGS = [i for n, i in _L.items() if any(k in n for k in ("knee", "ankle", "heel", "foot"))]


@dataclass(frozen=True)
class Camera:
    """A pinhole camera: ``azimuth``/``elevation`` in degrees around the person, ``distance`` metres from the
    body's centre, ``focal`` in pixels, the frame's ``width`` x ``height`` and where the body's centre lands
    in it (``centre_x``, ``centre_y`` as fractions), ``roll`` degrees of camera tilt; ``cropped``: framed on
    the upper body with the legs below the frame."""

    view: str
    azimuth: float
    elevation: float
    distance: float
    focal: float
    width: int
    height: int
    centre_x: float
    centre_y: float
    roll: float
    cropped: bool = False  # framed on the upper body, the legs below the frame

    def to_dict(self) -> dict:
        return asdict(self)


def sample_camera(rng: np.random.Generator, view: str, points: np.ndarray, crop_ok: bool = False) -> Camera:
    """A camera for ``view`` that frames the body ``points`` (T, 33, 3) over the whole sequence.

    crop_ok: the legs take no part, so 30 % of the time the camera frames the upper body only (as
    many arm-exercise clips do) and the legs fall below the frame.
    """
    if view not in VIEWS:
        raise ValueError(f"unknown view {view!r}; choose from {', '.join(VIEWS)}")
    side = rng.choice([-1.0, 1.0])
    azimuth = {"front": 0.0, "side": 90.0, "45": 45.0, "back": 180.0}.get(view, rng.choice([0.0, 45.0, 90.0]))
    azimuth = float(side * azimuth + rng.normal(0, 6))
    elevation = {"high": rng.uniform(25, 45), "low": rng.uniform(-15, -5)}.get(view, rng.uniform(-5, 15))
    portrait = rng.random() < 0.4
    sizes = FRAME_SIZES["portrait" if portrait else "landscape"]
    width, height = sizes[rng.integers(len(sizes))]
    focal = height / (2 * np.tan(np.radians(rng.uniform(45, 70)) / 2)) if not portrait else width / (2 * np.tan(np.radians(rng.uniform(45, 70)) / 2))
    # Distance so that the body's extent over the sequence fills a fraction of the frame.
    rot = _rotation(azimuth, elevation, 0.0)
    centre = points.reshape(-1, 3).mean(axis=0)
    local = (points.reshape(-1, 3) - centre) @ rot.T
    extent_x, extent_y = np.ptp(local[:, 0]) + 0.1, np.ptp(local[:, 1]) + 0.1
    fill = rng.uniform(0.7, 1.0) if rng.random() > 0.2 else rng.uniform(1.0, 1.5)  # sometimes partly out of frame
    distance = max(focal * extent_x / (fill * width), focal * extent_y / (fill * height)) + np.ptp(local[:, 2]) / 2
    distance = float(max(distance, 1.2))
    room_x = max(0.0, 0.5 - fill * 0.5)
    centre_x = 0.5 + rng.uniform(-1, 1) * room_x * 0.8
    centre_y = 0.5 + rng.uniform(-1, 1) * max(0.0, 0.5 - fill * 0.5) * 0.8 + (0.12 if fill > 1 else 0.0)
    cam = Camera(view, azimuth, float(elevation), distance, float(focal), int(width), int(height), float(centre_x),
                 float(centre_y), float(rng.normal(0, 1.5)))  # fmt: skip
    if crop_ok and rng.random() < 0.3:  # drawn last: the other draws stay as they were
        upper = (points[:, :_UPPER].reshape(-1, 3) - centre) @ rot.T
        fill = rng.uniform(0.75, 0.95)
        distance = max(focal * (np.ptp(upper[:, 0]) + 0.1) / (fill * width), focal * (np.ptp(upper[:, 1]) + 0.1) / (fill * height))
        cam = replace(cam, distance=float(max(distance + np.ptp(upper[:, 2]) / 2, 0.8)),
                      centre_y=float(0.5 + rng.uniform(0.0, 0.04)), cropped=True)  # fmt: skip
    return cam


def _rotation(azimuth: float, elevation: float, roll: float) -> np.ndarray:
    """World (body frame, Y up) -> camera (x right, y down, z away from the camera) rotation matrix."""
    az, el = np.radians(azimuth), np.radians(elevation)
    position = np.array([np.sin(az) * np.cos(el), np.sin(el), np.cos(az) * np.cos(el)])  # camera seen from the body
    forward = -position
    right = unit(cross(forward, [0.0, 1.0, 0.0]))
    down = cross(forward, right)
    r = np.radians(roll)
    right, down = np.cos(r) * right + np.sin(r) * down, -np.sin(r) * right + np.cos(r) * down
    return np.stack([right, down, forward])


def project(points: np.ndarray, cam: Camera) -> tuple[np.ndarray, np.ndarray]:
    """Body-frame points (T, 33, 3) -> (image (T, 33, 3) MediaPipe-normalised x, y, z; world (T, 33, 3)).

    World landmarks are MediaPipe-like: metres, origin at the mid-hip, axes of the camera (y down).
    Image z is depth relative to the mid-hip on the scale of x, like MediaPipe's.
    """
    rot = _rotation(cam.azimuth, cam.elevation, cam.roll)
    hips = (points[:, _L["left_hip"]] + points[:, _L["right_hip"]]) / 2
    centre = points.reshape(-1, 3).mean(axis=0)
    cam_pts = (points - centre) @ rot.T
    cam_pts[..., 2] += cam.distance
    depth = np.maximum(cam_pts[..., 2], 0.1)
    image = np.empty_like(cam_pts)
    image[..., 0] = cam.focal * cam_pts[..., 0] / depth / cam.width
    image[..., 1] = cam.focal * cam_pts[..., 1] / depth / cam.height
    # Put the middle of the body's extent over the whole sequence (the upper body's when cropped)
    # where the camera aims.
    framed = image[:, :_UPPER] if cam.cropped else image
    for axis, target in ((0, cam.centre_x), (1, cam.centre_y)):
        low, high = np.percentile(framed[..., axis], [1, 99])
        image[..., axis] += target - (low + high) / 2
    hip_depth = (cam_pts[:, _L["left_hip"], 2] + cam_pts[:, _L["right_hip"], 2])[:, None] / 2
    image[..., 2] = Z_GAIN * (cam_pts[..., 2] - hip_depth) * cam.focal / hip_depth / cam.width
    world = (points - hips[:, None]) @ rot.T
    return image, world


def detector_noise(rng: np.random.Generator, image: np.ndarray, world: np.ndarray, cam: Camera,
                   level: float = 1.0) -> tuple[np.ndarray, np.ndarray, dict]:  # fmt: skip
    """Make clean projections look like MediaPipe output; returns (landmarks (T, 33, 4), world, events).

    ``level`` scales every kind of noise (0 = clean, with visibility still computed).
    events records what was done: dropout frames and swapped frames.
    """
    t = len(image)
    image, world = image.copy(), world.copy()
    occluded = _occlusion(world)
    # Pixel scale of the person: jitter is a fraction of the torso's size in the image.
    torso = np.median(np.linalg.norm(image[:, _L["left_shoulder"], :2] - image[:, _L["left_hip"], :2], axis=-1))
    sigma = np.full(NUM_LANDMARKS, 0.005 * level * rng.uniform(0.5, 1.5))
    sigma[_EXTREMITY] *= 2.0
    sigma[_FACE] *= 0.6
    jitter = _correlated(rng, (t, NUM_LANDMARKS, 3), rng.uniform(0.5, 0.9)) * sigma[None, :, None] * torso
    jitter[..., 2] *= 4.0
    # Glitches: now and then a limb jumps for 1-3 frames (real jitter is small but heavy-tailed).
    for _ in range(rng.poisson(level * t / 50)):
        start = int(rng.integers(0, t))
        limb = _LIMBS[rng.integers(len(_LIMBS))]
        jitter[start : start + int(rng.integers(1, 4)), limb, :2] += rng.normal(0, 0.15 * torso, 2)
    image += jitter
    world += jitter * (0.5 / max(torso, 1e-3))  # about a torso of 0.5 m

    # Visibility: near-certain for clear landmarks, low for those hidden by the body or outside the frame.
    outside = np.clip(np.maximum(np.abs(image[..., 0] - 0.5), np.abs(image[..., 1] - 0.5)) - 0.5, 0, 0.2) / 0.2
    vis = 0.999 - 0.75 * occluded * rng.uniform(0.8, 1.0) - 0.9 * outside - 0.01 * rng.random((t, NUM_LANDMARKS))
    vis[:, _EXTREMITY] -= rng.uniform(0.0, 0.15) * level  # hands and feet are less certain
    vis = np.clip(vis, 0.01, 1.0)
    # Occluded landmarks wander: a slow random walk scaled by how hidden they are.
    drift = np.cumsum(rng.normal(0, 0.004 * level, (t, NUM_LANDMARKS, 2)), axis=0) * torso
    drift -= drift.mean(axis=0)
    image[..., :2] += drift * np.maximum(occluded, outside)[..., None]

    events: dict = {"dropouts": [], "swaps": []}
    if level > 0 and rng.random() < 0.3:  # a short left/right confusion, mostly in side views
        for _ in range(rng.integers(1, 3)):
            start, length = int(rng.integers(0, t)), int(rng.integers(1, 6))
            sl = slice(start, min(t, start + length))
            image[sl] = image[sl][:, MIRROR_INDEX]
            world[sl] = world[sl][:, MIRROR_INDEX]
            events["swaps"].append([sl.start, sl.stop - 1])
    if cam.cropped:
        _guess_legs(image)
    landmarks = np.concatenate([image, vis[..., None]], axis=-1).astype(np.float32)
    world = world.astype(np.float32)
    if level > 0 and rng.random() < 0.6:  # the detector loses the person for a few frames
        for _ in range(rng.integers(1, 5)):
            start, length = int(rng.integers(0, t)), int(rng.integers(1, 16))
            sl = slice(start, min(t, start + length))
            landmarks[sl] = np.nan
            world[sl] = np.nan
            events["dropouts"].append([sl.start, sl.stop - 1])
    # Legs are often doubted even when in view (equipment, clothing, a low frame edge): ~30 % of
    # knee/ankle/foot landmarks fall below 0.5 in the real clips, in front views too. Drawn last, so
    # that every draw above (and the sequences other tests pin by seed) is unchanged by it.
    doubt = rng.uniform(0.25, 0.55) if rng.random() < 0.3 * min(level, 1.0) else rng.uniform(0.0, 0.1) * level
    legs = landmarks[:, _LEGS, 3] - doubt * (1 + 0.3 * _correlated(rng, (t, 1), 0.95))
    landmarks[:, _LEGS, 3] = np.clip(legs, 0.01, 1.0)
    return landmarks, world, events


def _guess_legs(image: np.ndarray) -> None:
    """Legs below the frame, as MediaPipe guesses them: squeezed up toward the hips so the ankles land just
    inside the frame's bottom edge (they look short and bent). Changes ``image`` in place."""
    for side in ("left", "right"):
        hip, ankle = image[:, _L[f"{side}_hip"], 1], image[:, _L[f"{side}_ankle"], 1]
        factor = np.clip((0.97 - hip) / np.maximum(ankle - hip, 1e-6), 0.3, 1.0)[:, None]
        legs = [_L[f"{side}_{n}"] for n in ("knee", "ankle", "heel", "foot_index")]
        image[:, legs, 1] = hip[:, None] + (image[:, legs, 1] - hip[:, None]) * factor


def _occlusion(world: np.ndarray) -> np.ndarray:
    """(T, 33) in [0, 1]: how hidden each landmark is behind the body, from camera-aligned world coordinates.

    The side of the body turned away from the camera (its shoulder and hip farther than the other
    side's) is hidden in proportion to how far it is turned; the face is hidden when seen from behind.
    """
    z = world[..., 2]
    width = np.median(np.linalg.norm(world[:, _L["left_shoulder"]] - world[:, _L["right_shoulder"]], axis=-1))
    far_left = (z[:, _L["left_shoulder"]] + z[:, _L["left_hip"]] - z[:, _L["right_shoulder"]] - z[:, _L["right_hip"]]) / 2
    turn = far_left / max(width, 1e-3)
    occ = np.zeros_like(z)
    occ[:, _LEFT] = np.clip((turn[:, None] - 0.3) / 0.5, 0, 1)
    occ[:, _RIGHT] = np.clip((-turn[:, None] - 0.3) / 0.5, 0, 1)
    occ[:, _LEGS] *= 0.7  # the far leg is less hidden than the far arm (the legs stand apart)
    ears = (z[:, _L["left_ear"]] + z[:, _L["right_ear"]]) / 2
    back = np.clip((z[:, _L["nose"]] - ears) / 0.08, 0, 1)[:, None]
    occ[:, _FACE] = np.maximum(occ[:, _FACE], back)
    return occ


def _correlated(rng: np.random.Generator, shape: tuple[int, ...], rho: float) -> np.ndarray:
    """Unit-variance AR(1) noise along the first axis (detector jitter is smooth from frame to frame)."""
    from scipy.signal import lfilter

    return lfilter([np.sqrt(1 - rho**2)], [1.0, -rho], rng.standard_normal(shape), axis=0)
