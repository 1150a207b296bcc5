"""Group pictures built from the example portrait: several faces of known size and place.

`paste_faces` puts scaled copies of `assets/portrait.jpg` on a plain canvas and returns the
picture with the box each copy's face should get, so a test knows which face is the largest
and where it is. Used by the tracker and CLI tests.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

BACKGROUND = 200


@dataclass
class Group:
    """rgb (H, W, 3) uint8; faces: (scale, x, y) of each pasted portrait, largest first."""

    rgb: np.ndarray
    faces: list[tuple[float, int, int]]

    def expected_box(self, portrait_box: np.ndarray, i: int = 0) -> np.ndarray:
        """Where face i should be: the portrait's own face box, scaled and moved."""
        scale, x, y = self.faces[i]
        return np.asarray(portrait_box, np.float64) * scale + [x, y, x, y]


def paste_faces(
    portrait: np.ndarray, size: tuple[int, int], faces: list[tuple[float, int, int]]
) -> Group:
    """Copies of `portrait` scaled by `scale`, top-left corner at (x, y), on a (H, W) canvas."""
    height, width = size
    canvas = np.full((height, width, 3), BACKGROUND, np.uint8)
    for scale, x, y in faces:
        copy = cv2.resize(portrait, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
        h, w = copy.shape[:2]
        assert y + h <= height and x + w <= width, "the copy must fit on the canvas"
        canvas[y : y + h, x : x + w] = copy
    order = sorted(faces, key=lambda f: f[0], reverse=True)
    return Group(rgb=canvas, faces=order)


def side_by_side(portrait: np.ndarray) -> Group:
    """A wide picture: the portrait and a copy at 0.6 beside it, both big enough to see at once."""
    return paste_faces(portrait, (300, 560), [(0.6, 380, 50), (1.0, 0, 0)])


def small_faces_wide(portrait: np.ndarray) -> Group:
    """A 4:1 panorama with two small faces: whole, MediaPipe's detector sees none of them."""
    return paste_faces(portrait, (300, 1200), [(1.0, 100, 0), (0.6, 760, 60)])


def small_faces_square(portrait: np.ndarray) -> Group:
    """1024², three faces each under a tenth of the side (a crowd seen from afar)."""
    return paste_faces(portrait, (1024, 1024), [(0.8, 80, 400), (0.6, 500, 520), (0.5, 800, 150)])
