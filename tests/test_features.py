import numpy as np
import pytest

from toy import toy_sequence
from workout_analysis.features import (
    BODY_LANDMARKS,
    POSE_LAYOUT,
    FeatureSpec,
    Resampler,
    canonical_rotation,
    fill_gaps,
    joint_angles,
    metric_points,
    mid,
    normalize,
    resample_index,
    take_windows,
    torso_size,
    window_features,
    window_starts,
)
from workout_analysis.sequence import LANDMARK_INDEX, PoseSequence


@pytest.mark.parametrize("fps", [30.0, 29.97, 10.0, 60.0])
def test_streaming_resampler_takes_the_frames_the_whole_pass_takes(fps):
    rng = np.random.default_rng(1)
    ts = np.cumsum(rng.uniform(0.5, 1.5, 300)) / fps  # irregular, like dropped frames
    stream, taken = Resampler(15.0), []
    for i, t in enumerate(ts):
        taken += stream.push(i, float(t))
    assert taken == resample_index(ts, 15.0).tolist()


def test_resampling_at_the_source_rate_keeps_every_frame():
    assert resample_index(np.arange(90) / 30.0, 30.0).tolist() == list(range(90))
    assert resample_index(np.arange(90) / 30.0, 15.0).tolist() == list(range(0, 90, 2))


def test_windows_cover_the_sequence_and_a_short_one_is_padded():
    assert window_starts(50, 30, 5).tolist() == [0, 5, 10, 15, 20]
    points = np.arange(12, dtype=np.float32).reshape(3, 1, 4).repeat(33, axis=1)
    w = take_windows(points, window_starts(3, 5, 2), 5)
    assert w.shape == (1, 5, 33, 4) and w[0, :, 0, 0].tolist() == [0, 4, 8, 8, 8]


def test_fill_gaps_interpolates_inside_and_holds_at_the_edges():
    w = np.random.default_rng(0).random((2, 6, 33, 4)).astype(np.float32)
    w[0, [0, 2, 5]] = np.nan
    f = fill_gaps(w)
    np.testing.assert_allclose(f[0, 0], w[0, 1])
    np.testing.assert_allclose(f[0, 2], (w[0, 1] + w[0, 3]) / 2, rtol=1e-6)
    np.testing.assert_allclose(f[0, 5], w[0, 4])
    np.testing.assert_array_equal(f[1], w[1])


def test_pose_features_ignore_where_the_person_stands_and_how_big():
    seq = toy_sequence("squat", seed=3)
    windows = metric_points(seq)[None, :30]
    moved = windows.copy()
    moved[..., :3] = windows[..., :3] * 0.6 + np.array([0.2, -0.1, 0.0], np.float32)
    spec = FeatureSpec("pose")
    a, b = window_features(windows, spec), window_features(moved, spec)
    assert a.shape == (1, 30, spec.size) and np.isfinite(a).all()
    np.testing.assert_allclose(a, b, atol=5e-3)  # float32 rounding, amplified by x fps in velocities


def test_pose_layout_names_where_window_features_put_each_part():
    seq = toy_sequence("squat", seed=3)
    windows = metric_points(seq)[None, :30]
    spec = FeatureSpec("pose")
    f = window_features(windows, spec)[0]
    xyz = windows[0, ..., :3]
    position = normalize(xyz)[:, BODY_LANDMARKS, :2].reshape(30, -1)
    angles = np.radians(joint_angles(xyz)) / np.pi
    np.testing.assert_allclose(f[:, POSE_LAYOUT["position"]], position, atol=1e-6)
    np.testing.assert_allclose(f[:, POSE_LAYOUT["angle"]], angles, atol=1e-6)
    np.testing.assert_allclose(f[1:, POSE_LAYOUT["position_velocity"]], np.diff(position, axis=0) * spec.fps, atol=1e-3)
    np.testing.assert_allclose(f[1:, POSE_LAYOUT["angle_velocity"]], np.diff(angles, axis=0) * spec.fps, atol=1e-3)
    hip = mid(xyz, "left_hip", "right_hip")[:, :2] / np.nanmean(torso_size(xyz))
    np.testing.assert_allclose(f[1:, POSE_LAYOUT["hip_velocity"]], np.diff(hip, axis=0) * spec.fps, atol=1e-3)
    assert f.shape[1] == POSE_LAYOUT["hip_velocity"].stop  # the layout ends where the features do


def test_raw99_is_the_original_designs_x_y_z():
    seq = toy_sequence("arm_raise", seed=1)
    f = window_features(metric_points(seq)[None, :5], FeatureSpec("raw99"))
    np.testing.assert_array_equal(f[0], seq.xyz[:5].reshape(5, 99))


def test_aspect_is_corrected_when_the_frame_size_is_known():
    seq = toy_sequence("squat", seed=2)
    wide = PoseSequence(seq.landmarks, seq.fps, meta={"width": 1920, "height": 1080})
    np.testing.assert_allclose(metric_points(wide)[..., 0], seq.landmarks[..., 0] * 1920 / 1080, rtol=1e-6)


def test_canonical_rotation_turns_the_hips_to_face_the_camera_and_keeps_lengths():
    seq = toy_sequence("squat", seed=4)
    xyz = metric_points(seq)[:, :, :3].astype(np.float64)
    theta = np.radians(50)
    turned = xyz.copy()
    turned[..., 0] = xyz[..., 0] * np.cos(theta) + xyz[..., 2] * np.sin(theta)
    turned[..., 2] = -xyz[..., 0] * np.sin(theta) + xyz[..., 2] * np.cos(theta)
    canon = canonical_rotation(turned)
    hips = canon[:, LANDMARK_INDEX["right_hip"]] - canon[:, LANDMARK_INDEX["left_hip"]]
    np.testing.assert_allclose(hips[:, 2], 0, atol=1e-9)
    bone = lambda p: np.linalg.norm(p[:, LANDMARK_INDEX["left_knee"]] - p[:, LANDMARK_INDEX["left_hip"]], axis=-1)  # noqa: E731
    np.testing.assert_allclose(bone(canon), bone(xyz), rtol=1e-9)


def test_unknown_feature_kind_is_refused():
    with pytest.raises(ValueError, match="unknown feature kind"):
        FeatureSpec("pixels")
