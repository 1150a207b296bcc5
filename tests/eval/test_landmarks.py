"""M-LMD, F-LMD, Exp-Diff and pose error on hand-built sequences with known answers."""

from __future__ import annotations

import numpy as np
import pytest

from studio.errors import StudioError
from studio.eval.landmarks import (
    MOUTH_POINTS,
    exp_diff,
    f_lmd,
    interocular_distance,
    m_lmd,
    pose_error,
)
from studio.face.mesh import INNER_LIP_LOOP, LEFT_EYE_LOOP, OUTER_LIP_LOOP, RIGHT_EYE_LOOP
from studio.face.records import BLENDSHAPE_NAMES, FaceTrack

T = 4


@pytest.fixture
def face() -> np.ndarray:
    """(T, 478, 3) random but fixed landmarks."""
    return np.random.default_rng(0).normal(size=(T, 478, 3))


def test_mouth_points_are_the_two_lip_loops() -> None:
    assert len(MOUTH_POINTS) == 40
    assert set(MOUTH_POINTS) == set(INNER_LIP_LOOP) | set(OUTER_LIP_LOOP)


def test_m_lmd_counts_only_the_mouth(face: np.ndarray) -> None:
    pred = face.copy()
    pred[:, list(MOUTH_POINTS), 1] += 0.3  # lips 3 mm lower
    others = np.setdiff1d(np.arange(478), MOUTH_POINTS)
    assert m_lmd(pred, face).value == pytest.approx(0.3)
    assert f_lmd(pred, face).value == pytest.approx(0.3 * 40 / 478)
    pred2 = face.copy()
    pred2[:, others, 0] += 1.0  # everything but the mouth moves
    assert m_lmd(pred2, face).value == pytest.approx(0.0)


def test_lmd_is_a_3d_euclidean_distance(face: np.ndarray) -> None:
    pred = face + np.array([0.3, 0.4, 1.2])  # |(0.3, 0.4, 1.2)| = 1.3
    result = f_lmd(pred, face)
    assert result.value == pytest.approx(1.3)
    assert result.n_frames == T and result.n_skipped == 0
    np.testing.assert_allclose(result.per_frame, 1.3)


def test_interocular_normalisation(face: np.ndarray) -> None:
    gt = face.copy()
    gt[:, list(LEFT_EYE_LOOP), :2] = [10.0, 0.0]
    gt[:, list(RIGHT_EYE_LOOP), :2] = [-10.0, 0.0]  # eyes 20 px apart
    np.testing.assert_allclose(interocular_distance(gt), 20.0)
    pred = gt + np.array([3.0, 4.0, 100.0])  # 5 px in the image, z ignored
    assert f_lmd(pred, gt, normalise="interocular").value == pytest.approx(5.0 / 20.0)
    assert m_lmd(pred, gt, normalise="interocular").value == pytest.approx(0.25)
    with pytest.raises(StudioError):
        m_lmd(pred, gt, normalise="pixels")


def test_missing_faces_are_skipped_and_counted(face: np.ndarray) -> None:
    pred = face + np.array([0.0, 0.0, 2.0])
    pred[1] += 100.0  # a garbage frame the tracker did not find
    pred[3] = np.nan  # a frame with no landmarks at all
    found = np.array([True, False, True, True])
    result = m_lmd(pred, face, found_pred=found)
    assert result.value == pytest.approx(2.0)
    assert result.n_frames == 2 and result.n_skipped == 2
    assert np.isnan(result.per_frame[[1, 3]]).all()
    none = m_lmd(pred, face, found_gt=np.zeros(T, bool))
    assert np.isnan(none.value) and none.n_skipped == T


def test_face_tracks_use_canonical_and_found(face: np.ndarray) -> None:
    def track(canonical: np.ndarray, found: np.ndarray) -> FaceTrack:
        nan = np.full((T, 478, 3), np.nan)
        return FaceTrack(
            found=found,
            landmarks=nan,
            canonical=canonical,
            blendshapes=np.zeros((T, 52)),
            pose=np.zeros((T, 4, 4)),
            pose6=np.zeros((T, 6)),
            box=np.zeros((T, 4)),
            n_faces=found.astype(int),
            fps=25.0,
            image_size=(64, 64),
            backend="test",
            provides=("canonical",),
        )

    gt = track(face, np.ones(T, bool))
    pred = track(face + [0.0, 0.5, 0.0], np.array([True, True, False, True]))
    result = f_lmd(pred, gt)
    assert result.value == pytest.approx(0.5) and result.n_skipped == 1


def test_exp_diff(face: np.ndarray) -> None:
    gt = np.zeros((T, 52))
    pred = np.zeros((T, 52))
    jaw = BLENDSHAPE_NAMES.index("jawOpen")
    pred[:, jaw] = 0.52
    result = exp_diff(pred, gt)
    assert result.value == pytest.approx(0.01)  # 0.52 / 52
    assert result.per_blendshape[jaw] == pytest.approx(0.52)
    only = exp_diff(pred, gt, names=["jawOpen", "mouthSmileLeft"])
    assert only.value == pytest.approx(0.26)
    pred[2] = np.nan
    assert exp_diff(pred, gt).n_skipped == 1
    with pytest.raises(StudioError):
        exp_diff(pred, gt, names=["smile"])


def test_pose_error_per_angle_and_wraparound() -> None:
    gt = np.zeros((T, 6))
    pred = np.zeros((T, 6))
    pred[:, 0] = 10.0  # yaw
    pred[:, 1] = -4.0  # pitch
    pred[:, 3:] = 50.0  # translation is not scored
    result = pose_error(pred, gt)
    assert (result.yaw, result.pitch, result.roll) == pytest.approx((10.0, 4.0, 0.0))
    assert result.value == pytest.approx(14.0 / 3.0)
    gt[:, 2], pred[:, 2] = 179.0, -179.0  # 2 degrees apart across the wrap
    assert pose_error(pred, gt).roll == pytest.approx(2.0)
    found = np.array([True, True, False, False])
    assert pose_error(pred, gt, found_pred=found).n_frames == 2


def test_length_mismatch_is_an_error(face: np.ndarray) -> None:
    with pytest.raises(StudioError):
        m_lmd(face[:3], face)


def test_mouth_opening_r_follows_the_mouth_and_ignores_scale():
    from studio.eval.landmarks import mouth_opening, mouth_opening_r
    from studio.face.mesh import LEFT_EYE_LOOP, LOWER_INNER_LIP, RIGHT_EYE_LOOP

    rng = np.random.default_rng(0)
    t = 40
    points = np.zeros((t, 478, 3))
    points[:, list(LEFT_EYE_LOOP), 0] = -1.0
    points[:, list(RIGHT_EYE_LOOP), 0] = 1.0  # inter-ocular distance 2
    opening = np.abs(np.sin(np.arange(t) / 3.0))
    points[:, LOWER_INNER_LIP, 1] = opening
    found = np.ones(t, bool)
    assert np.allclose(mouth_opening(points), opening / 2)
    bigger = points * 3.0  # the same face drawn larger: the same opening
    assert mouth_opening_r(bigger, points, found, found) == pytest.approx(1.0)
    shut_when_open = points.copy()
    shut_when_open[:, LOWER_INNER_LIP, 1] = opening.max() - opening
    assert mouth_opening_r(shut_when_open, points, found, found) == pytest.approx(-1.0)
    noise = points.copy()
    noise[:, LOWER_INNER_LIP, 1] = rng.random(t)
    assert abs(mouth_opening_r(noise, points, found, found)) < 0.5
    still = points.copy()
    still[:, LOWER_INNER_LIP, 1] = 0.3
    assert np.isnan(mouth_opening_r(still, points, found, found))  # a mouth that never moves
    assert np.isnan(mouth_opening_r(points, points, np.zeros(t, bool), found))
