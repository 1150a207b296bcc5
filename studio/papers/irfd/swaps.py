"""What the Code-swap tab and `python -m studio.irfd swap` draw: SPEAK's Fig. 5 grid (rows take
their identity from one source, columns their pose and emotion from another), one chosen mix
of the three codes, a blend between two sources per code, and a video driven by a clip.

Sources are `CropSet` images (`studio.papers.irfd.sources`); images are uint8 RGB.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import cv2
import numpy as np

from studio.errors import StudioError
from studio.papers.irfd.codes import (
    FACTOR_CODES,
    Codes,
    blend,
    encode,
    generate,
    smooth_codes,
    swap_grid,
)
from studio.papers.irfd.judge import SetJudge
from studio.papers.irfd.model import Irfd
from studio.synth.emotions import EMOTIONS

TILE = 160  # grid tiles: the 128² images with room to read them
LABEL_H = 22


@dataclass
class Source:
    """One picked face: its crop and a short label."""

    image: np.ndarray
    label: str
    in_domain: bool = True


def _tile(image: np.ndarray, caption: str = "") -> np.ndarray:
    tile = cv2.resize(image, (TILE, TILE), interpolation=cv2.INTER_CUBIC)
    if not caption:
        return tile
    band = np.full((LABEL_H, TILE, 3), 255, np.uint8)
    cv2.putText(band, caption[:28], (4, 15), cv2.FONT_HERSHEY_SIMPLEX, 0.42, (20, 20, 20), 1,
                cv2.LINE_AA)  # fmt: skip
    return np.concatenate([band, tile])


def _blank(caption: str) -> np.ndarray:
    tile = np.full((LABEL_H + TILE, TILE, 3), 255, np.uint8)
    for i, line in enumerate(caption.split("\n")):
        cv2.putText(tile, line, (6, 60 + 22 * i), cv2.FONT_HERSHEY_SIMPLEX, 0.45, (60, 60, 60),
                    1, cv2.LINE_AA)  # fmt: skip
    return tile


def grid(model: Irfd, identities: Sequence[Source], drivers: Sequence[Source]) -> np.ndarray:
    """SPEAK Fig. 5 as one labelled image: the top row shows the drivers (pose + emotion), the
    left column the identity sources, each cell their swap."""
    if not identities or not drivers:
        raise StudioError("The grid needs at least one identity source and one driver")
    codes = encode(model, np.stack([s.image for s in (*identities, *drivers)]))
    n = len(identities)
    ident = Codes(codes.identity[:n], codes.emotion[:n], codes.pose[:n])
    drive = Codes(codes.identity[n:], codes.emotion[n:], codes.pose[n:])
    cells = swap_grid(model, ident, drive)
    top = [_blank("identity: rows\npose + emotion:\ncolumns")]
    top += [_tile(s.image, s.label) for s in drivers]
    rows = [np.concatenate(top, 1)]
    for r, source in enumerate(identities):
        row = [_tile(source.image, "id " + source.label)]
        row += [_tile(cells[r, c], "") for c in range(len(drivers))]
        row = [np.pad(t, ((LABEL_H if t.shape[0] == TILE else 0, 0), (0, 0), (0, 0)),
                      constant_values=255) for t in row]  # fmt: skip
        rows.append(np.concatenate(row, 1))
    return np.concatenate(rows, 0)


def mix(model: Irfd, sources: Sequence[Source], take: dict[str, int]) -> np.ndarray:
    """One image: each of identity / emotion / pose from the source index `take[factor]`."""
    if set(take) != set(FACTOR_CODES):
        raise StudioError(f"Say where each of {', '.join(FACTOR_CODES)} comes from")
    codes = encode(model, np.stack([s.image for s in sources]))
    i, e, p = (codes.get(f)[[take[f]]] for f in FACTOR_CODES)
    return generate(model, i, e, p)[0]


def judged_mix(judge: SetJudge, image: np.ndarray, sources: Sequence[Source],
               take: dict[str, int], names: Sequence[str]) -> str:  # fmt: skip
    """One line on what the set judge (`judge.py`) reads in a mix, beside what it reads in the
    sources the mix took its emotion and pose from, and which source the mix looks most like —
    the swap bars' measurement, for one image."""
    mixed = judge.read(image[None])
    read = judge.read(np.stack([s.image for s in sources]))
    e, p = take["emotion"], take["pose"]
    nearest = int(np.argmax(read.embedding @ mixed.embedding[0]))
    return (
        f"**The set judge reads the mix**: emotion *{EMOTIONS[mixed.emotion[0]]}* (source "
        f"{names[e]}: *{EMOTIONS[read.emotion[e]]}*), yaw {mixed.angles[0, 0]:+.0f}° and pitch "
        f"{mixed.angles[0, 1]:+.0f}° (source {names[p]}: {read.angles[p, 0]:+.0f}°, "
        f"{read.angles[p, 1]:+.0f}°); it looks most like source {names[nearest]} (identity from "
        f"{names[take['identity']]})."
    )


def blend_image(model: Irfd, a: Source, b: Source, weights: dict[str, float]) -> np.ndarray:
    """Each code moved from a's (0) to b's (1) by its own weight."""
    codes = encode(model, np.stack([a.image, b.image]))
    first = Codes(codes.identity[:1], codes.emotion[:1], codes.pose[:1])
    second = Codes(codes.identity[1:], codes.emotion[1:], codes.pose[1:])
    mixed = blend(first, second, weights)
    return generate(model, mixed.identity, mixed.emotion, mixed.pose)[0]


def drive_video(
    model: Irfd,
    identity: Source,
    driver_frames: np.ndarray,
    emotion_frames: np.ndarray | None = None,
    smooth: float = 1.0,
    done: Callable[[int, int], None] | None = None,
) -> np.ndarray:
    """One identity driven frame by frame by a clip's pose (and emotion) codes → (T, S, S, 3).

    Codes are smoothed over time (Gaussian, `smooth` frames) so the video does not flicker;
    `emotion_frames` (same length or one image) gives the emotion instead of the driver."""
    drive = encode(model, driver_frames)
    emotion = drive.emotion
    if emotion_frames is not None:
        emotion = encode(model, emotion_frames).emotion
        emotion = np.resize(emotion, (len(driver_frames), emotion.shape[1]))
    pose = smooth_codes(drive.pose, smooth)
    emotion = smooth_codes(emotion, smooth)
    ident = np.repeat(encode(model, identity.image[None]).identity, len(driver_frames), 0)
    frames = []
    step = 32
    for i in range(0, len(driver_frames), step):
        frames.append(
            generate(model, ident[i : i + step], emotion[i : i + step], pose[i : i + step])
        )
        if done:
            done(min(i + step, len(driver_frames)), len(driver_frames))
    return np.concatenate(frames)
