"""The SynthTalk renderer: output contract, determinism, masks, landmarks, tracker realism."""

from __future__ import annotations

import numpy as np
import pytest

from studio.face.mesh import NOSE_TIP
from studio.face.records import BLENDSHAPE_INDEX
from studio.synth.look import sample_look
from studio.synth.renderer import Camera, HeadRenderer, Light

SIZE = 192
ZERO = np.zeros(52, np.float32)


def pose(yaw: float = 0.0, pitch: float = 0.0) -> np.ndarray:
    return np.array([yaw, pitch, 0, 0, 0, 0], np.float32)


@pytest.fixture(scope="module")
def renderers() -> list[HeadRenderer]:
    return [HeadRenderer(sample_look(np.random.default_rng(seed)), size=SIZE) for seed in (3, 11)]


def test_result_shapes_and_dtypes(renderers):
    result = renderers[0].render(ZERO, pose())
    assert result.image.shape == (SIZE, SIZE, 3) and result.image.dtype == np.uint8
    assert result.mask.shape == (SIZE, SIZE) and result.mask.dtype == np.uint8
    assert result.landmarks.shape == (478, 3) and result.landmarks.dtype == np.float32
    assert result.visible.shape == (478,) and result.visible.dtype == bool


def test_same_inputs_give_identical_bytes(renderers):
    blend = ZERO.copy()
    blend[BLENDSHAPE_INDEX["jawOpen"]] = 0.4
    a = renderers[0].render(blend, pose(12, -5), background=(30, 60, 90))
    b = renderers[0].render(blend, pose(12, -5), background=(30, 60, 90))
    assert a.image.tobytes() == b.image.tobytes() and a.mask.tobytes() == b.mask.tobytes()


def test_mask_covers_head_not_corners_and_nose_inside(renderers):
    for yaw in (-30, 0, 30):
        result = renderers[1].render(ZERO, pose(yaw))
        mask = result.mask
        assert mask[0, 0] == mask[0, -1] == 0 and mask[-1, 0] == mask[-1, -1] == 0
        assert 0.12 < (mask > 127).mean() < 0.6
        x, y = np.round(result.landmarks[NOSE_TIP, :2]).astype(int)
        assert mask[y, x] == 255 and result.visible[NOSE_TIP]


def test_face_height_is_about_half_the_image(renderers):
    result = renderers[0].render(ZERO, pose())
    from studio.face.mesh import FACE_OVAL

    ys = result.landmarks[list(FACE_OVAL), 1]
    assert 0.4 < (ys.max() - ys.min()) / SIZE < 0.6


def test_landmarks_agree_with_camera_matrices(renderers):
    camera = Camera(size=SIZE, yaw_deg=20, pitch_deg=-10)
    result = renderers[0].render(ZERO, pose(5, 3), camera)
    world = renderers[0].landmarks_3d(ZERO, pose(5, 3))
    cam = world @ camera.extrinsics()[:3, :3].T + camera.extrinsics()[:3, 3]
    pix = cam @ camera.intrinsics().T
    np.testing.assert_allclose(pix[:, :2] / pix[:, 2:], result.landmarks[:, :2], atol=1e-2)


def test_turned_head_hides_far_side_landmarks(renderers):
    result = renderers[0].render(ZERO, pose(45))
    far_cheek, near_cheek = 454, 234  # +yaw turns the nose to +x, so the +x cheek turns away
    assert not result.visible[far_cheek] and result.visible[near_cheek]


def test_light_and_background_change_the_image(renderers):
    base = renderers[0].render(ZERO, pose())
    side = renderers[0].render(ZERO, pose(), light=Light(direction=np.array([1.0, 0, 0.3])))
    backdrop = renderers[0].render(ZERO, pose(), background=(250, 10, 10))
    assert np.abs(base.image.astype(int) - side.image).mean() > 3
    assert tuple(backdrop.image[0, 0]) == (250, 10, 10)


def test_different_looks_give_different_images(renderers):
    a, b = (r.render(ZERO, pose()).image.astype(int) for r in renderers)
    assert np.abs(a - b).mean() > 8


def test_tracker_finds_the_face_across_yaw(renderers):
    from studio.face.tracker import track_image

    for renderer in renderers:
        for yaw in (-30, 0, 30):
            frame = track_image(renderer.render(ZERO, pose(yaw)).image)
            assert frame.found, f"no face at yaw {yaw}"
            assert abs(frame.pose6[0] - yaw) < 6, f"tracked yaw {frame.pose6[0]:.1f} vs {yaw}"


def test_tracker_reads_jaw_open(renderers):
    from studio.face.tracker import track_image

    jaw = BLENDSHAPE_INDEX["jawOpen"]
    open_mouth = ZERO.copy()
    open_mouth[jaw] = 0.8
    for renderer in renderers:
        closed = track_image(renderer.render(ZERO, pose()).image).blendshapes[jaw]
        opened = track_image(renderer.render(open_mouth, pose()).image).blendshapes[jaw]
        assert opened > closed + 0.3, (closed, opened)
