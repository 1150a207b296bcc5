import numpy as np
import pytest

from studio.face.geometry import (
    euler_to_rotation,
    matrix_from_pose6,
    normalise_landmarks,
    normalise_landmarks_batch,
    pose6_from_matrix,
    rotation_to_euler,
)
from studio.face.mesh import NOSE_TIP, canonical_mesh


@pytest.mark.parametrize("angles", [(0, 0, 0), (30, -10, 5), (-60, 20, -15), (10, 45, 0)])
def test_euler_round_trip(angles):
    np.testing.assert_allclose(rotation_to_euler(euler_to_rotation(*angles)), angles, atol=1e-3)


def test_yaw_turns_the_nose_to_image_right_and_pitch_turns_it_down():
    nose = np.array([0.0, 0.0, 1.0])
    assert (euler_to_rotation(20, 0, 0) @ nose)[0] > 0.3
    assert (euler_to_rotation(0, 20, 0) @ nose)[1] < -0.3


def test_pose6_round_trip():
    pose6 = np.array([12.0, -7.0, 3.0, 1.5, -2.0, -40.0], np.float32)
    np.testing.assert_allclose(pose6_from_matrix(matrix_from_pose6(pose6)), pose6, atol=1e-3)


def test_batched_normalisation_undoes_a_known_similarity_per_frame():
    """Each frame is the reference turned, scaled and moved by its own transform (in pixel
    axes): the batch fit undoes every one; a frame with a NaN point comes back NaN."""
    rng = np.random.default_rng(0)
    ref = rng.normal(size=(468, 3))
    frames = []
    for yaw, scale in ((25, 2.5), (-10, 0.7), (0, 1.0)):
        rot = euler_to_rotation(yaw, -10, 8).astype(np.float64)
        moved = scale * ref @ rot.T + rng.normal(size=3)
        frames.append(moved * np.array([1.0, -1.0, -1.0]))  # to pixel axes (y down, z far)
    frames = np.stack(frames)
    frames[2, 5, 0] = np.nan
    out = normalise_landmarks_batch(frames, ref)
    np.testing.assert_allclose(out[:2], np.stack([ref, ref]), atol=1e-4)
    assert np.isnan(out[2]).all()
    np.testing.assert_allclose(normalise_landmarks(frames[0], ref), ref, atol=1e-4)


def test_normalise_landmarks_removes_pose_and_scale():
    mesh = canonical_mesh().vertices
    posed = 9.0 * mesh @ euler_to_rotation(30, 10, -5).T + np.array([200.0, 50.0, 0.0])
    pixels = posed * np.array([1, -1, -1])  # mesh frame -> image frame (y down, z far)
    canonical = normalise_landmarks(np.vstack([pixels, pixels[:10]]), mesh)
    np.testing.assert_allclose(canonical[:468], mesh, atol=1e-3)
    assert canonical.shape == (478, 3)
    assert canonical[NOSE_TIP, 2] > 7
