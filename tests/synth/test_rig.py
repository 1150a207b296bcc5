"""The SynthTalk rig: channels move the right places, blink closes the eye, jaw opens the mouth."""

from __future__ import annotations

import numpy as np
import pytest

from studio.face.mesh import LEFT_EYE_LOOP, RIGHT_EYE_LOOP
from studio.face.records import BLENDSHAPE_INDEX, BLENDSHAPE_NAMES
from studio.synth.look import FaceLook, sample_look
from studio.synth.renderer import HeadRenderer

ZERO = np.zeros(52, np.float32)
POSE = np.zeros(6, np.float32)


def with_channels(**values: float) -> np.ndarray:
    blend = ZERO.copy()
    for name, value in values.items():
        blend[BLENDSHAPE_INDEX[name]] = value
    return blend


@pytest.fixture(scope="module")
def renderer() -> HeadRenderer:
    return HeadRenderer(sample_look(np.random.default_rng(5)), size=256)


def _box(points: np.ndarray, pad: int) -> tuple[slice, slice]:
    x0, y0 = np.floor(points[:, :2].min(0)).astype(int) - pad
    x1, y1 = np.ceil(points[:, :2].max(0)).astype(int) + pad
    return slice(y0, y1), slice(x0, x1)


def test_every_channel_but_neutral_moves_the_mesh(renderer):
    rest = renderer.rig.deform(ZERO)
    for name in BLENDSHAPE_NAMES[1:]:
        moved = renderer.rig.deform(with_channels(**{name: 1.0}))
        assert np.abs(moved - rest).max() > 0.1, name


def test_left_channels_move_the_subjects_left_side(renderer):
    rest = renderer.rig.deform(ZERO)
    for name in ("mouthSmileLeft", "eyeBlinkLeft", "browOuterUpLeft", "cheekSquintLeft"):
        shift = np.linalg.norm(renderer.rig.deform(with_channels(**{name: 1.0})) - rest, axis=1)
        x = rest[:, 0]
        assert shift[x > 0.5].sum() > 5 * shift[x < -0.5].sum(), name


def test_blink_covers_the_iris(renderer):
    eye = renderer.render(ZERO, POSE)
    rows, cols = _box(eye.landmarks[list(LEFT_EYE_LOOP) + list(RIGHT_EYE_LOOP)], 1)
    closed = renderer.render(with_channels(eyeBlinkLeft=1.0, eyeBlinkRight=1.0), POSE)
    dark_open = (eye.image[rows, cols].mean(2) < 60).sum()
    dark_closed = (closed.image[rows, cols].mean(2) < 60).sum()
    assert dark_open > 20 and dark_closed < 0.15 * dark_open
    # The iris landmarks are hidden behind the lids (open: the iris centres are seen).
    assert not closed.visible[468:].any() and eye.visible[[468, 473]].all()


def test_jaw_open_shows_a_dark_mouth(renderer):
    from studio.face.mesh import OUTER_LIP_LOOP

    rest = renderer.render(ZERO, POSE)
    opened = renderer.render(with_channels(jawOpen=0.8), POSE)
    rows, cols = _box(opened.landmarks[list(OUTER_LIP_LOOP)], 2)
    dark = [(r.image[rows, cols].mean(2) < 70).sum() for r in (rest, opened)]
    assert dark[1] > dark[0] + 80, dark


def test_jaw_is_a_rotation_lips_stay_joined(renderer):
    rest = renderer.rig.deform(ZERO)
    opened = renderer.rig.deform(with_channels(jawOpen=1.0))
    chin, forehead = 152, 10
    assert opened[chin, 1] < rest[chin, 1] - 2.0
    np.testing.assert_allclose(opened[forehead], rest[forehead], atol=1e-6)
    # Rotation: distance to the pivot is kept for jaw-only vertices.
    from studio.synth.head import JAW_PIVOT

    np.testing.assert_allclose(
        np.linalg.norm(opened[chin] - JAW_PIVOT), np.linalg.norm(rest[chin] - JAW_PIVOT), rtol=1e-6
    )


def test_neutral_lips_are_closed(renderer):
    rest = renderer.rig.deform(ZERO)
    assert abs(rest[13, 1] - rest[14, 1]) < 0.02


def test_look_round_trips_through_dict():
    look = sample_look(np.random.default_rng(9))
    import json

    data = json.loads(json.dumps(look.to_dict()))
    again = FaceLook.from_dict(data)
    np.testing.assert_allclose(again.shape, look.shape, atol=1e-4)
    assert again.skin_rgb == look.skin_rgb and again.hair_style == look.hair_style


def test_looks_span_light_to_dark_skin():
    luma = [np.mean(sample_look(np.random.default_rng(s)).skin_rgb) for s in range(40)]
    assert min(luma) < 0.4 and max(luma) > 0.75
