"""Overlays: tracked landmarks and contours drawn on frames, for people to check the tracker."""

from __future__ import annotations

import cv2
import numpy as np

from studio.face.mesh import (
    FACE_OVAL,
    INNER_LIP_LOOP,
    LEFT_BROW,
    LEFT_EYE_LOOP,
    OUTER_LIP_LOOP,
    RIGHT_BROW,
    RIGHT_EYE_LOOP,
)
from studio.face.records import FaceFrame

CONTOURS = (
    (FACE_OVAL, True, (255, 255, 255)),
    (OUTER_LIP_LOOP, True, (255, 80, 80)),
    (INNER_LIP_LOOP, True, (255, 160, 160)),
    (LEFT_EYE_LOOP, True, (80, 200, 255)),
    (RIGHT_EYE_LOOP, True, (80, 200, 255)),
    (LEFT_BROW, False, (255, 220, 80)),
    (RIGHT_BROW, False, (255, 220, 80)),
)


def draw_face(rgb: np.ndarray, frame: FaceFrame, points: bool = True) -> np.ndarray:
    """A copy of `rgb` with the face's points, contours, box and yaw/pitch/roll text drawn on."""
    out = np.ascontiguousarray(rgb.copy())
    if not frame.found:
        cv2.putText(out, "no face", (8, 24), cv2.FONT_HERSHEY_SIMPLEX, 0.7, (255, 60, 60), 2)
        return out
    scale = max(1, round(max(out.shape[:2]) / 400))
    lm = frame.landmarks[:, :2]
    known = np.isfinite(lm).all(1)
    if points:
        for x, y in lm[known]:
            cv2.circle(out, (round(x), round(y)), scale, (0, 255, 120), -1, cv2.LINE_AA)
    for loop, closed, colour in CONTOURS:
        idx = [i for i in loop if known[i]]
        if len(idx) > 1:
            pts = np.round(lm[idx]).astype(np.int32).reshape(-1, 1, 2)
            cv2.polylines(out, [pts], closed, colour, scale, cv2.LINE_AA)
    x0, y0, x1, y1 = np.round(frame.box).astype(int)
    cv2.rectangle(out, (x0, y0), (x1, y1), (255, 255, 0), scale)
    if np.isfinite(frame.pose6[:3]).all():
        yaw, pitch, roll = frame.pose6[:3]
        text = f"yaw {yaw:+.0f} pitch {pitch:+.0f} roll {roll:+.0f}"
        cv2.putText(
            out,
            text,
            (x0, max(14, y0 - 6)),
            cv2.FONT_HERSHEY_SIMPLEX,
            0.45 * scale,
            (255, 255, 0),
            scale,
            cv2.LINE_AA,
        )
    return out
