"""A contact sheet of the SynthTalk world: identities × emotions, intensities, visemes, poses
and novel views, as one labelled PNG (`python -m studio.synth sheet`)."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from studio.face.records import BLENDSHAPE_INDEX, N_BLENDSHAPES
from studio.media import write_image
from studio.synth.articulation import viseme_targets
from studio.synth.emotions import EMOTIONS, emotion_blendshapes
from studio.synth.identity import sample_identity
from studio.synth.renderer import Camera, HeadRenderer

SHEET_VISEMES = (
    "sil",
    "PP",
    "FF",
    "TH",
    "DD",
    "kk",
    "CH",
    "SS",
    "nn",
    "RR",
    "aa",
    "E",
    "ih",
    "oh",
    "ou",
)


def _label(tile: np.ndarray, text: str) -> np.ndarray:
    out = tile.copy()
    cv2.rectangle(out, (0, 0), (out.shape[1], 14), (0, 0, 0), -1)
    cv2.putText(out, text, (2, 11), cv2.FONT_HERSHEY_SIMPLEX, 0.36, (255, 255, 255), 1, cv2.LINE_AA)
    return out


def _row(tiles: list[np.ndarray], title: str, width: int) -> np.ndarray:
    size = tiles[0].shape[0]
    row = np.full((size + 18, width, 3), 255, np.uint8)
    cv2.putText(row, title, (4, 13), cv2.FONT_HERSHEY_SIMPLEX, 0.45, (20, 20, 20), 1, cv2.LINE_AA)
    for i, tile in enumerate(tiles):
        row[18:, i * size : (i + 1) * size] = tile
    return row


def _mouth(viseme: str) -> np.ndarray:
    values = np.zeros(N_BLENDSHAPES, np.float32)
    for name, value in viseme_targets(viseme).items():
        values[BLENDSHAPE_INDEX[name]] = value
    return values


def contact_sheet(out: str | Path, seed: int = 0, size: int = 128, identities: int = 6) -> Path:
    zero_pose = np.zeros(6, np.float32)
    people = [sample_identity(i, seed) for i in range(identities)]
    renderers = [HeadRenderer(p.look, size=size) for p in people]
    background = np.array([235, 235, 235], np.float32)
    camera = Camera(size=size)

    def draw(renderer, blend, pose=zero_pose, cam=camera):
        return renderer.render(blend, pose, cam, None, background).image

    columns = max(len(EMOTIONS), len(SHEET_VISEMES))
    width = columns * size
    rows = []
    for person, renderer in zip(people, renderers, strict=True):
        tiles = [
            _label(draw(renderer, emotion_blendshapes(e, 3 if e != "neutral" else 1)), e)
            for e in EMOTIONS
        ]
        rows.append(
            _row(tiles, f"identity {person.identity_id}: the 8 emotions at intensity 3", width)
        )
    first = renderers[0]
    tiles = [
        _label(draw(first, emotion_blendshapes(e, i)), f"{e} {i}")
        for e in ("happy", "sad", "surprised")
        for i in (1, 2, 3)
    ]
    rows.append(_row(tiles, "intensities 1-3", width))
    tiles = [_label(draw(renderers[1], _mouth(v)), v) for v in SHEET_VISEMES]
    rows.append(_row(tiles, "visemes", width))
    poses = [(-25, 0), (-12, 0), (12, 0), (25, 0), (0, -12), (0, 12), (0, 0, 8), (15, 8)]
    tiles = []
    for pose in poses:
        p6 = np.zeros(6, np.float32)
        p6[: len(pose)] = pose
        tiles.append(
            _label(
                draw(renderers[2], emotion_blendshapes("neutral", 1), p6),
                "y{:+.0f} p{:+.0f}".format(*p6[:2]),
            )
        )
    rows.append(_row(tiles, "head poses (yaw, pitch, roll)", width))
    views = [(-40, 0), (-20, 0), (0, 0), (20, 0), (40, 0), (0, -15), (0, 15)]
    tiles = [
        _label(
            draw(
                renderers[3],
                emotion_blendshapes("happy", 2),
                zero_pose,
                Camera(size=size, yaw_deg=y, pitch_deg=p),
            ),
            f"view {y:+d},{p:+d}",
        )
        for y, p in views
    ]
    rows.append(_row(tiles, "novel calibrated views", width))
    sheet = np.concatenate(rows, axis=0)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    write_image(out, sheet)
    return out
