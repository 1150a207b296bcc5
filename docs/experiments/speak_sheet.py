"""A contact sheet of SPEAK on held-out clips: for each of two held-out people, the true frames,
SPEAK's (self-driven: identity from the first frame, pose and emotion from the clip, its
audio), and IRFD's G_d from the same smoothed codes without audio — 8 frames across the clip.

    PYTHONPATH=. python docs/experiments/speak_sheet.py [RUN] --out docs/speak_sheet.jpg

RUN: a `python -m studio.train speak` folder (default: the shipped checkpoints/speak).
"""

from __future__ import annotations

import argparse

import cv2
import numpy as np

from studio.papers.irfd.codes import generate, load_irfd
from studio.papers.irfd.speak.clipset import load_clipset
from studio.papers.irfd.speak.data import clip_codes
from studio.papers.irfd.speak.drive import drive, load_speak, load_speak_run


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("run", nargs="?")
    parser.add_argument("--clips", default="data/speak-clips")
    parser.add_argument("--out", default="speak_sheet.png")
    args = parser.parse_args()
    model = load_speak_run(args.run, load_irfd()) if args.run else load_speak()
    rows = []
    for clip in load_clipset(args.clips, held_out=True)[:2]:
        picks = np.linspace(0, len(clip) - 1, 8).astype(int)
        codes = clip_codes(model.irfd, clip)
        identity = np.repeat(codes.identity[None], len(clip), 0)
        speak = drive(model, clip.frames[0], clip.audio, clip.frames)
        without_audio = generate(model.irfd, identity, codes.emotion, codes.pose)
        for frames in (clip.frames, speak, without_audio):
            rows.append(np.concatenate(list(frames[picks]), 1))
    cv2.imwrite(args.out, cv2.cvtColor(np.concatenate(rows, 0), cv2.COLOR_RGB2BGR))
    print(args.out)


if __name__ == "__main__":
    main()
