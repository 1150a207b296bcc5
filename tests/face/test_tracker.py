"""The MediaPipe tracker on the example portrait, on group pictures and on bad inputs."""

import logging
import os

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
from studio.face.detect import (
    MAX_TILES_PER_LEVEL,
    MIN_TILE_SIDE,
    Face,
    Tile,
    geometry_pose,
    merge_faces,
    tile_levels,
)
from studio.face.fan_backend import IBUG68_TO_MEDIAPIPE, frame_from_68, missing_weights
from studio.face.geometry import rotation_to_euler
from studio.face.tracker import MediaPipeBackend, _NativeLogs, faces_note, make_backend
from studio.media import fit_within
from studio.sources import MAX_SOURCE_SIDE
from tests.face.group_images import side_by_side, small_faces_square, small_faces_wide


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


@pytest.fixture(scope="module")
def portrait_frame(portrait):
    return track_image(portrait)


def as_loaded(rgb: np.ndarray) -> np.ndarray:
    """The picture as `load_face_source` tracks it (long side at most 512)."""
    return fit_within(rgb, MAX_SOURCE_SIDE)


def test_group_side_by_side_tracks_the_larger_face_and_says_so(portrait, portrait_frame, caplog):
    group = side_by_side(portrait)  # the larger face on the left, a 0.6 copy on the right
    rgb = as_loaded(group.rgb)
    k = rgb.shape[0] / group.rgb.shape[0]
    with caplog.at_level(logging.INFO, logger="studio.face.tracker"):
        frame = track_image(rgb)
    assert frame.found and frame.n_faces == 2 and not frame.second_look
    np.testing.assert_allclose(frame.box, group.expected_box(portrait_frame.box) * k, atol=3)
    assert frame.note == "2 faces found; tracking the largest."
    assert frame.note in caplog.text
    # The record is the left face's: its landmarks are the portrait's, scaled and moved.
    scale, x, y = group.faces[0]
    expected = portrait_frame.landmarks[:, :2] * scale * k + np.array([x, y]) * k
    assert np.linalg.norm(frame.landmarks[:, :2] - expected, axis=1).mean() < 1.5


def test_small_faces_in_a_wide_picture_are_found_on_a_second_look(portrait, portrait_frame):
    group = small_faces_wide(portrait)  # 1200 × 300 -> 512 × 128: faces ~40 and ~24 px wide
    rgb = as_loaded(group.rgb)
    k = rgb.shape[0] / group.rgb.shape[0]
    backend = MediaPipeBackend()
    try:  # the first look alone, as the tracker did before: no face at all
        height, width = rgb.shape[:2]
        assert not backend._look(backend._landmarker, rgb, Tile(0, 0, width, height))
    finally:
        backend.close()
    frame = track_image(rgb)
    assert frame.found and frame.n_faces == 2 and frame.second_look
    assert frame.note.startswith("2 faces found on a closer look")
    assert frame.note.endswith("tracking the largest.")
    np.testing.assert_allclose(frame.box, group.expected_box(portrait_frame.box) * k, atol=2)
    scale, x, y = group.faces[0]
    expected = portrait_frame.landmarks[:, :2] * scale * k + np.array([x, y]) * k
    assert np.linalg.norm(frame.landmarks[:, :2] - expected, axis=1).mean() < 1.5
    # Still a smiling face with its blendshapes, and a head transform for the whole picture.
    assert frame.blendshape("mouthSmileLeft") > 0.4
    np.testing.assert_allclose(frame.pose, geometry_pose(frame.landmarks, rgb.shape[:2]))
    assert frame.pose6[3] < 0  # left of the picture's centre


def test_a_crowd_of_small_faces_in_a_square_picture(portrait, portrait_frame):
    group = small_faces_square(portrait)  # three faces, 24-37 px wide once loaded
    rgb = as_loaded(group.rgb)
    k = rgb.shape[0] / group.rgb.shape[0]
    frame = track_image(rgb)
    assert frame.found and frame.n_faces == 3 and frame.second_look
    assert frame.note.startswith("3 faces found")
    np.testing.assert_allclose(frame.box, group.expected_box(portrait_frame.box) * k, atol=2)


def test_a_tile_gives_the_pose_the_whole_picture_gives(portrait):
    """The second look's head transform is the whole picture's camera's, not the tile's."""
    rgb = side_by_side(portrait).rgb
    backend = MediaPipeBackend()
    try:
        whole = backend.find_faces(rgb)[0][0]
        tile = Tile(0, 0, 300, 300)  # the left face, seen alone
        seen = backend.look_at_tiles(rgb, [tile])
    finally:
        backend.close()
    assert len(seen) == 1
    angles = rotation_to_euler(seen[0].pose[:3, :3])
    np.testing.assert_allclose(angles, rotation_to_euler(whole.pose[:3, :3]), atol=2.5)
    np.testing.assert_allclose(seen[0].pose[:3, 3], whole.pose[:3, 3], atol=1.0)  # cm
    # ...where the landmarker's transform for the tile alone puts the head elsewhere.
    alone = track_image(tile.crop(rgb))
    assert np.abs(alone.pose[:3, 3] - whole.pose[:3, 3]).max() > 5


@pytest.mark.parametrize("mirror", [False, True])
def test_geometry_pose_reproduces_the_landmarkers_transform(portrait, mirror):
    rgb = np.ascontiguousarray(portrait[:, ::-1]) if mirror else portrait
    for picture in (rgb, side_by_side(rgb).rgb):
        frame = track_image(picture)
        np.testing.assert_allclose(
            geometry_pose(frame.landmarks, picture.shape[:2]), frame.pose, atol=2e-3
        )


def test_tiles_cover_the_picture_and_hold_every_small_face_whole():
    for height, width in [(128, 512), (512, 512), (300, 451), (102, 512), (1024, 1024)]:
        levels = tile_levels(height, width)
        assert levels, (height, width)
        for grid in levels:
            side = grid[0].height
            assert side >= MIN_TILE_SIDE and 1 < len(grid) <= MAX_TILES_PER_LEVEL
            covered = np.zeros((height, width), bool)
            for t in grid:
                assert t.x0 + t.width <= width and t.y0 + t.height <= height
                covered[t.y0 : t.y0 + t.height, t.x0 : t.x0 + t.width] = True
            assert covered.all()
            # A face half a tile wide, anywhere, lies whole inside some tile.
            face = side // 2
            rng = np.random.default_rng(0)
            for x, y in rng.integers(0, [width - face + 1, height - face + 1], size=(50, 2)):
                assert any(
                    t.x0 <= x
                    and x + face <= t.x0 + t.width
                    and t.y0 <= y
                    and y + face <= t.y0 + t.height
                    for t in grid
                ), (height, width, side, x, y)


def _face(box, edge):
    return Face(
        landmarks=np.zeros((478, 3), np.float32),
        blendshapes=np.zeros(52, np.float32),
        pose=np.eye(4, dtype=np.float32),
        box=np.array(box, np.float32),
        edge=edge,
    )


def test_merge_keeps_one_view_per_face_the_most_complete_one_largest_first():
    cut = _face([0, 0, 30, 40], edge=0.0)  # the left face, cut by its tile's border
    whole = _face([0, 0, 40, 40], edge=12.0)  # the same face, whole in another tile
    again = _face([1, 1, 40, 41], edge=8.0)  # and again
    other = _face([100, 0, 160, 60], edge=3.0)  # a larger face elsewhere
    merged = merge_faces([cut, whole, other, again])
    assert merged == [other, whole]


def test_faces_note_says_how_many_and_which_is_tracked():
    assert faces_note(1) == ""
    assert faces_note(3) == "3 faces found; tracking the largest."
    assert "closer look" in faces_note(2, second_look=True)
    assert faces_note(1, second_look=True).startswith("1 face found")


def test_native_log_silencing_restores_stderr(capfd):
    logs = _NativeLogs()
    with logs.quiet():
        os.write(2, b"hidden C++ line\n")
        with logs.quiet():  # nested: still hidden, fd 2 restored only by the outer one
            os.write(2, b"hidden too\n")
        os.write(2, b"still hidden\n")
    os.write(2, b"our own error\n")
    logs.show = True
    with logs.quiet():
        os.write(2, b"shown when verbose\n")
    err = capfd.readouterr().err
    assert "hidden" not in err
    assert "our own error" in err and "shown when verbose" in err


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
