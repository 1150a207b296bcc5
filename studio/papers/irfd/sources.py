"""Faces for IRFD's encoders: held-out people of its image set, drawn on demand, and the user's
own photos or videos cropped the way the set was.

The set's crops are one fixed box per person (FOMM-style, `imageset.CROP_SCALE` around the
face): a user's clip gets one box too, from its first tracked frame, so a head turn moves the
face inside the crop as it did in training. A held-out person is re-rendered from the set's
seeds (72–84 ms an image here; cached per person), so the tab works on a fresh machine without
the 1.3 GB set.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from functools import lru_cache

import cv2
import numpy as np

from studio.errors import StudioError
from studio.face.crop import crop_box
from studio.papers.irfd.imageset import CROP_SCALE, PRESETS, crop_affine, render_person
from studio.sources import FaceSource
from studio.synth.emotions import EMOTIONS

SET = PRESETS["default"]
HELD_OUT_IDS = tuple(range(SET.train_identities, SET.train_identities + SET.held_out_identities))
IMAGES_PER_PERSON = 8  # the first 8 of the person's 24 set images (the same draws)


@dataclass
class CropSet:
    """Face crops of one source, with what is known about them.

    images (N, S, S, 3) uint8; factors: per-image ground truth for set people (emotion name,
    intensity, yaw, pitch, roll, jaw), empty for a user's source; `in_domain` says whether the
    encoders were trained on faces like these."""

    name: str
    images: np.ndarray
    factors: list[dict]
    in_domain: bool
    fps: float = 25.0

    def label(self, i: int) -> str:
        if not self.factors:
            return f"{self.name}, frame {i}"
        f = self.factors[i]
        return (
            f"{self.name} #{i}: {f['emotion']} {f['intensity']}, yaw {f['yaw']:+.0f}°, "
            f"pitch {f['pitch']:+.0f}°"
        )


def check_held_out(identity_id: int) -> int:
    if int(identity_id) not in HELD_OUT_IDS:
        raise StudioError(
            f"Person {identity_id} is not a held-out IRFD person — "
            f"choose {HELD_OUT_IDS[0]}…{HELD_OUT_IDS[-1]}"
        )
    return int(identity_id)


@lru_cache(maxsize=32)
def held_out_person(identity_id: int, n: int = IMAGES_PER_PERSON) -> CropSet:
    """The first n images of a held-out person of the set, re-rendered exactly."""
    config = dataclasses.replace(SET, images_per_identity=n)
    drawn = render_person(config, check_held_out(identity_id))
    factors = [
        {
            "emotion": EMOTIONS[int(drawn["emotion"][i])],
            "intensity": int(drawn["intensity"][i]),
            "yaw": float(drawn["yaw"][i]),
            "pitch": float(drawn["pitch"][i]),
            "roll": float(drawn["roll"][i]),
            "jaw": float(drawn["jaw"][i]),
        }
        for i in range(n)
    ]
    return CropSet(f"person {identity_id}", drawn["images"], factors, in_domain=True)


def crop_source(
    source: FaceSource, size: int = SET.size, max_frames: int = 250, frame: int | None = None
) -> CropSet:
    """A user's image or clip as IRFD crops: one box, from the first frame with a face.
    `frame` crops only that frame (clamped to the clip) — what a tab slot shows."""
    found = np.flatnonzero(source.track.found)
    if len(found) == 0:
        raise StudioError(f"No face found in '{source.name}' — IRFD needs one visible face.")
    box = crop_box(source.track.landmarks[found[0]], CROP_SCALE)
    affine = crop_affine(box, size)
    frames = source.frames[:max_frames]
    if frame is not None:
        frames = frames[[int(np.clip(frame, 0, len(frames) - 1))]]
    images = np.stack(
        [
            cv2.warpAffine(
                f, affine, (size, size), flags=cv2.INTER_AREA, borderMode=cv2.BORDER_REPLICATE
            )  # fmt: skip
            for f in frames
        ]
    )
    return CropSet(source.name, images, [], in_domain=False, fps=source.fps)
