"""Where the face, eyes and lips are in IRFD's set images: the rig's landmarks, projected as the
render did, must land on the rendered head (and follow it when it turns)."""

from __future__ import annotations

import numpy as np
import pytest

from studio.papers.irfd import regions
from studio.papers.irfd.imageset import PRESETS, build_imageset, load_imageset

TINY = PRESETS["tiny"]


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    folder = build_imageset(TINY, tmp_path_factory.mktemp("irfd") / "set", workers=1)
    return folder, load_imageset(folder)


def test_the_face_oval_and_features_lie_on_the_rendered_head(tiny, tmp_path, monkeypatch):
    folder, data = tiny
    monkeypatch.setattr(regions, "CACHE", tmp_path)
    landmarks = regions.set_landmarks(folder, data, progress=False)
    assert landmarks.shape == (len(data["images"]), 478, 2)
    face, features = regions.region_masks(landmarks, 128)
    differs = np.abs(data["images"].astype(np.float32) - data["background"][:, None, None]).max(-1)
    on_head = differs > 12  # the background is one flat colour per image
    for k in range(len(face)):
        assert 0.04 < face[k].mean() < 0.6
        assert on_head[k][face[k] > 0].mean() > 0.97
        assert features[k].sum() > 0 and on_head[k][features[k] > 0].mean() > 0.9
    # a head turned one way puts the face's centre on the other side of one turned the other way
    centre = landmarks.mean(1)[:, 0]
    left, right = np.argmin(data["yaw"]), np.argmax(data["yaw"])
    if data["yaw"][right] - data["yaw"][left] > 30:
        assert abs(centre[right] - centre[left]) > 3
    # cached: a second call reads the file
    assert len(list(tmp_path.glob("irfd/landmarks-*.npy"))) == 1
    np.testing.assert_array_equal(regions.set_landmarks(folder, data, progress=False), landmarks)


def test_pixel_weights_add_the_face_and_feature_weights():
    face = np.zeros((1, 4, 4), np.uint8)
    face[0, 1:3, 1:3] = 1
    features = np.zeros_like(face)
    features[0, 1, 1] = 1
    w = regions.pixel_weights(face, features, 4.0, 16.0)
    assert w.shape == (1, 1, 4, 4)
    assert w[0, 0, 0, 0] == 1 and w[0, 0, 2, 2] == 5 and w[0, 0, 1, 1] == 21
