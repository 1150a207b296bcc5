"""The MediaPipe tracker on the example portrait and on bad inputs."""

import numpy as np
import pytest

from studio.errors import StudioError
from studio.face import (
    BLENDSHAPE_NAMES,
    canonical_mesh,
    crop_face,
    draw_face,
    require_face,
    track_frames,
    track_image,
)
from studio.face.fan_backend import IBUG68_TO_MEDIAPIPE, frame_from_68, missing_weights
from studio.face.tracker import make_backend


def test_portrait_gives_sensible_landmarks_blendshapes_and_pose(portrait):
    frame = track_image(portrait)
    assert frame.found and frame.n_faces == 1
    h, w = portrait.shape[:2]
    lm = frame.landmarks
    assert lm.shape == (478, 3) and np.isfinite(lm).all()
    x0, y0, x1, y1 = frame.box
    assert 0 <= x0 < x1 <= w and 0 <= y0 < y1 <= h
    assert 0.2 * w < x1 - x0 < 0.6 * w  # the face fills a third of this crop
    # Anatomy: eyes above the nose tip above the mouth (y grows downward in the image).
    assert lm[159, 1] < lm[1, 1] < lm[13, 1] < lm[152, 1]
    # The subject's left eye (MediaPipe 263) is on the image right for a frontal face.
    assert lm[263, 0] > lm[33, 0]
    # She smiles with a closed mouth, looking at the camera.
    assert frame.blendshape("mouthSmileLeft") > 0.5 and frame.blendshape("mouthSmileRight") > 0.5
    assert frame.blendshape("jawOpen") < 0.2
    assert len(frame.blendshapes) == len(BLENDSHAPE_NAMES) == 52
    assert abs(frame.pose6[0]) < 10 and abs(frame.pose6[2]) < 10
    # Pose-normalised landmarks sit on the canonical mesh (cm).
    err = np.abs(frame.canonical[:468] - canonical_mesh().vertices).mean()
    assert err < 0.6


def test_mirrored_portrait_mirrors_yaw_and_smile_sides(portrait):
    turned = np.ascontiguousarray(portrait[:, ::-1])
    a, b = track_image(portrait), track_image(turned)
    assert np.sign(a.pose6[2]) != np.sign(b.pose6[2]) or abs(a.pose6[2]) < 1
    assert abs(a.pose6[0] + b.pose6[0]) < 3


def test_cat_has_no_face(cat):
    frame = track_image(cat)
    assert not frame.found
    with pytest.raises(StudioError, match="No face found"):
        require_face(frame, "cat.png")


def test_several_faces_tracks_the_largest_and_counts_them(two_faces, portrait):
    frame = track_image(two_faces)
    assert frame.found and frame.n_faces == 2
    assert frame.box[2] <= portrait.shape[1] + 2  # the large face is the left one


def test_video_mode_follows_a_moving_face(portrait):
    frames = [np.roll(portrait, shift, axis=1) for shift in range(0, 40, 4)]
    track = track_frames(frames, fps=25.0)
    assert track.found.all() and len(track) == 10
    centre_x = (track.box[:, 0] + track.box[:, 2]) / 2
    np.testing.assert_allclose(np.diff(centre_x), 4.0, atol=1.5)


def test_crop_and_overlay(portrait):
    frame = track_image(portrait)
    crop = crop_face(portrait, frame.landmarks, size=128)
    assert crop.shape == (128, 128, 3) and crop.dtype == np.uint8
    assert track_image(crop).found  # the crop still holds the whole face
    overlay = draw_face(portrait, frame)
    assert overlay.shape == portrait.shape and (overlay != portrait).mean() > 0.01


def test_face_alignment_without_weights_says_what_to_do():
    if not missing_weights():
        pytest.skip("face-alignment weights are present on this machine")
    with pytest.raises(StudioError, match="weights"):
        make_backend("face-alignment", video=False)


def test_68_points_map_onto_the_shared_record_with_a_consistent_yaw(portrait):
    reference = track_image(portrait)
    turned = track_image(np.ascontiguousarray(portrait[:, ::-1]))
    for ref in (reference, turned):
        frame = frame_from_68(ref.landmarks[IBUG68_TO_MEDIAPIPE, :2], 1, portrait.shape[:2])
        assert np.isfinite(frame.landmarks[:, 0]).sum() == 68
        assert np.isnan(frame.blendshapes).all()  # FAN gives no blendshapes
        assert abs(frame.pose6[0] - ref.pose6[0]) < 6  # yaw agrees with MediaPipe's
        assert abs(frame.pose6[2] - ref.pose6[2]) < 6  # and roll


def test_unknown_backend_is_a_user_error(portrait):
    with pytest.raises(StudioError, match="Unknown tracker backend"):
        track_image(portrait, backend="dlib")
