"""A contact sheet of what the fitted NeRF draws of each emotion: per emotion (columns, 2 frames
each), the ground truth, then each fit's render of the same held-out frames with their own codes,
then with the emotion's mean code (what the bench's emotion bar asks for). Each image is
captioned with the tracked judge's read (`studio/papers/jean/tracked_emotion_judge.py`).

    PYTHONPATH=. python docs/experiments/nerf_expression_sheet.py [NAME=RUN ...] --out sheet.jpg

NAME=RUN: a `python -m studio.nerf fit` folder (shipped into RUN/checkpoint as the bench does);
`shipped` (the default) is checkpoints/nerf.
"""

from __future__ import annotations

import argparse
import os

import cv2
import numpy as np

from studio.papers.jean.tracked_emotion_judge import load_judge, still_features
from studio.papers.nerf.bench import DEFAULT_PRESET, Scene, fitted_for_bench
from studio.papers.nerf.preset import load_preset
from studio.synth.emotions import EMOTIONS

EMOTIONS_SHOWN = ("happy", "sad", "angry", "surprised", "disgusted")


def captioned(images: np.ndarray, judge, size: int = 160) -> list[np.ndarray]:
    """Tiles captioned with the judge's read (each image tracked as a still: the columns jump
    between emotions, so a video track would carry one face into the next)."""
    features, found = still_features(images)
    reads = np.full(len(images), -1)
    if found.any():
        reads[found] = judge.predict(features[found])
    out = []
    for image, k in zip(images, reads, strict=True):
        tile = cv2.resize(image, (size, size), interpolation=cv2.INTER_AREA).copy()
        text = EMOTIONS[k] if k >= 0 else "no face"
        cv2.putText(tile, text, (4, size - 6), cv2.FONT_HERSHEY_SIMPLEX, 0.45, (255, 255, 255), 1)
        out.append(tile)
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("runs", nargs="*", default=["shipped"])
    parser.add_argument("--out", default="nerf_expression_sheet.jpg")
    args = parser.parse_args()
    preset = load_preset(DEFAULT_PRESET)
    judge = load_judge()
    held = preset.held_out_index
    frames = np.concatenate(
        [held[preset["emotion"][held] == e][[5, 25]] for e in EMOTIONS_SHOWN]
    )  # two held-out frames of each emotion, 20 frames apart
    rows = [captioned(preset["frames"][frames], judge)]
    for spec in args.runs:
        name, _, run = spec.partition("=")
        os.environ.pop("NERF_RUN", None)
        if (run or name) != "shipped":
            os.environ["NERF_RUN"] = run or name
        scene = Scene(fitted_for_bench(preset), preset)
        own = scene.render(frames)
        codes = [scene.fitted.emotion_code(str(preset["emotion"][t])) for t in frames]
        mean = scene.render(frames, expression=np.stack(codes))
        for label, images in (("own codes", own), ("mean code", mean)):
            rows.append(captioned(images, judge))
            print(f"row {len(rows)}: {name}, {label}")
    sheet = np.concatenate([np.concatenate(r, 1) for r in rows], 0)
    cv2.imwrite(args.out, cv2.cvtColor(sheet, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, 85])
    print(f"row 1: ground truth; columns: {', '.join(EMOTIONS_SHOWN)} (2 frames each) → {args.out}")


if __name__ == "__main__":
    main()
