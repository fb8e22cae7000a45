import numpy as np

from toy import toy_sequence
from workout_analysis.augment import (
    Augmenter,
    drop_frames,
    drop_landmarks,
    mirror,
    rotate_image_plane,
    rotate_vertical,
    scale,
    time_warp_crop,
)
from workout_analysis.features import metric_points
from workout_analysis.sequence import LANDMARK_INDEX, SKELETON_EDGES

L = LANDMARK_INDEX


def _windows(n=4):
    seqs = [toy_sequence("squat" if i % 2 else "arm_raise", seed=i) for i in range(n)]
    w = np.stack([metric_points(s)[:30] for s in seqs]).astype(np.float64)
    w[..., 2] = np.random.default_rng(0).normal(0, 0.05, w.shape[:3])  # some depth, so 3-D turns matter
    return w


def _bones(w, dims=3):
    return np.stack([np.linalg.norm(w[..., a, :dims] - w[..., b, :dims], axis=-1) for a, b in SKELETON_EDGES], -1)


def test_mirror_makes_the_left_knee_the_right_knee():
    w = _windows()
    m = mirror(w, np.random.default_rng(0), p=1.0)
    hip_x = (w[..., L["left_hip"], 0] + w[..., L["right_hip"], 0]).mean(axis=1, keepdims=True) / 2
    np.testing.assert_allclose(m[..., L["right_knee"], 0], 2 * hip_x - w[..., L["left_knee"], 0], atol=1e-9)
    np.testing.assert_allclose(m[..., L["right_knee"], 1], w[..., L["left_knee"], 1])
    np.testing.assert_allclose(mirror(m, np.random.default_rng(0), p=1.0), w, atol=1e-9)  # twice = identity


def test_turning_and_rolling_keep_bone_lengths_and_scaling_scales_them_all_alike():
    w, rng = _windows(), np.random.default_rng(1)
    np.testing.assert_allclose(_bones(rotate_vertical(w, rng, 40)), _bones(w), rtol=1e-5)
    rolled = rotate_image_plane(w, rng, 20)
    np.testing.assert_allclose(_bones(rolled, dims=2), _bones(w, dims=2), rtol=1e-5)
    assert not np.allclose(rolled, w)
    only_size = scale(w[:, :, :, :], rng, 0.2)
    # Scaling stretches x a little on its own, so compare vertical bones' ratio via y only.
    ratio = np.abs(only_size[..., L["left_knee"], 1] - only_size[..., L["left_ankle"], 1]) / np.abs(
        w[..., L["left_knee"], 1] - w[..., L["left_ankle"], 1]
    )
    assert np.allclose(ratio, ratio[:, :1], rtol=1e-5) and not np.allclose(ratio, 1)


def test_dropping_keeps_frames_whole_and_at_least_one_per_window():
    w, rng = _windows(), np.random.default_rng(2)
    d = drop_frames(w, rng, p=0.99)
    missing = np.isnan(d[..., 0])
    assert (missing.all(axis=2) == missing.any(axis=2)).all()  # a frame is dropped whole or not at all
    assert (~missing.all(axis=2)).any(axis=1).all()
    occluded = drop_landmarks(d, rng, p=1.0)
    m2 = np.isnan(occluded[..., 0])
    assert (m2.all(axis=2) == m2.any(axis=2)).all() and (m2 == missing).all()


def test_augmenter_changes_poses_but_not_their_number_and_none_is_identity():
    w = _windows()
    out = Augmenter()(w, np.random.default_rng(3))
    assert out.shape == w.shape and not np.allclose(np.nan_to_num(out), w)
    np.testing.assert_array_equal(Augmenter.none()(w, np.random.default_rng(3)), w)


def test_time_warp_at_speed_one_is_a_plain_crop_and_faster_covers_more():
    points = _windows(1)[0]
    np.testing.assert_array_equal(time_warp_crop(points, 3, 10, 1.0), points[3:13])
    fast = time_warp_crop(points, 0, 10, 2.0)
    np.testing.assert_allclose(fast[-1], points[18])
