"""The face crop must not follow the jaw: a talking face is cropped at one scale."""

from __future__ import annotations

import numpy as np

from studio.face.crop import crop_box
from studio.face.mesh import FACE_OVAL
from studio.face.records import BLENDSHAPE_INDEX, N_BLENDSHAPES
from studio.synth.identity import sample_identity
from studio.synth.renderer import Camera, HeadRenderer


def _landmarks(jaw: float, yaw: float = 0.0) -> np.ndarray:
    renderer = HeadRenderer(sample_identity(0, 0).look, size=128)
    blend = np.zeros(N_BLENDSHAPES, np.float32)
    blend[BLENDSHAPE_INDEX["jawOpen"]] = jaw
    camera = Camera(size=128, yaw_deg=yaw)
    return renderer.render(blend, np.zeros(6, np.float32), camera).landmarks


def test_opening_the_jaw_does_not_move_the_crop():
    closed, opened = _landmarks(0.0), _landmarks(1.0)
    chin = FACE_OVAL.index(152)
    assert opened[FACE_OVAL[chin], 1] - closed[FACE_OVAL[chin], 1] > 3  # the chin drops (px)
    box_closed, box_open = crop_box(closed), crop_box(opened)
    side = box_closed[2] - box_closed[0]
    assert np.abs(box_open - box_closed).max() < 0.01 * side


def test_the_crop_holds_the_whole_face_with_the_mouth_open_and_turned():
    for yaw in (0.0, 30.0):
        lm = _landmarks(1.0, yaw)
        x0, y0, x1, y1 = crop_box(lm)
        oval = lm[list(FACE_OVAL), :2]
        assert x0 < oval[:, 0].min() and oval[:, 0].max() < x1
        assert y0 < oval[:, 1].min() and oval[:, 1].max() < y1
