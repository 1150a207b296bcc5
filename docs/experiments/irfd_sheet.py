"""A contact sheet of IRFD on held-out people: the true crops, then for each model its
self-reconstruction G_d(E(x)), then a swap row (the first person's identity with each crop's
emotion and pose) — what the probes' numbers look like.

    PYTHONPATH=. python docs/experiments/irfd_sheet.py [NAME=RUN ...] --out docs/irfd_sheet.jpg

NAME=RUN: a `python -m studio.train irfd` folder; `shipped` (the default) is checkpoints/irfd.
"""

from __future__ import annotations

import argparse

import cv2
import numpy as np

from studio.papers.irfd.codes import encode, generate, load_irfd, load_run, reconstruct
from studio.papers.irfd.sources import held_out_person


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("runs", nargs="*", default=["shipped"])
    parser.add_argument("--people", type=int, nargs="+", default=[1000, 1001])
    parser.add_argument("--images", type=int, default=6, help="crops per person (up to 8)")
    parser.add_argument("--out", default="irfd_sheet.jpg")
    args = parser.parse_args()
    crops = np.concatenate([held_out_person(p).images[: args.images] for p in args.people])
    rows = [crops]
    for spec in args.runs:
        name, _, run = spec.partition("=")
        model = load_irfd() if (run or name) == "shipped" else load_run(run or name)
        codes = encode(model, crops)
        first = np.repeat(codes.identity[:1], len(crops), 0)
        rows += [reconstruct(model, crops), generate(model, first, codes.emotion, codes.pose)]
        print(f"{name}: rows {len(rows) - 1} (G_d(E(x))) and {len(rows)} (person "
              f"{args.people[0]}'s identity, each crop's emotion and pose)")  # fmt: skip
    per_row = args.images * len(args.people)
    sheet = np.concatenate([np.concatenate(list(r[:per_row]), 1) for r in rows], 0)
    cv2.imwrite(args.out, cv2.cvtColor(sheet, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, 85])
    print(args.out)


if __name__ == "__main__":
    main()
