"""Does weighting the face, eyes and lips in L_self teach IRFD's G_d to draw them? (docs/IRFD.md,
"Drawing eyes and mouths".)

Run from the repository root:
`PYTHONPATH=. python docs/experiments/irfd_face_weights.py plain face4feat16` (≈ 9 min for the
codes and landmarks once, then ≈ 7 min a variant alone on 2 cores). Each variant starts from the
shipped G_d, keeps every encoder frozen (the codes of all 26,400 set images are encoded once),
and trains G_d alone for 300 steps of 32 training images at Adam 3e-4 (no warm-up), seed 0;
every 100 steps it scores 240 held-out images (every tenth) by PSNR over the whole crop, over
the face oval and over the eyes and lips (`studio.papers.irfd.regions`). Writes
/tmp/irfd_face_weights_<variant>.json and a row of reconstructions (.npy) beside it.
"""

import copy
import json
import sys
import time
from pathlib import Path

import numpy as np
import torch

from studio.papers.irfd.codes import load_irfd, to_tensor
from studio.papers.irfd.imageset import load_imageset
from studio.papers.irfd.regions import region_masks, set_landmarks

SET = Path("data/irfd-set")
OUT = Path("/tmp")
WEIGHTS = {"plain": (0.0, 0.0), "face4": (4.0, 4.0), "face4feat16": (4.0, 16.0)}
STEPS, BATCH = 300, 32


def psnr(err: np.ndarray) -> float:
    return float(np.mean(-10 * np.log10(err)))


def region_psnr(err: np.ndarray, masks: np.ndarray) -> float:
    """Mean over images of the PSNR inside each image's mask."""
    return psnr(np.array([e[m].mean() for e, m in zip(err, masks, strict=True)]))


def main(variants: list[str]) -> None:
    data = load_imageset(SET)
    landmarks = set_landmarks(SET, data)
    model = load_irfd()
    with torch.no_grad():
        parts = [model.encode(to_tensor(data["images"][i : i + 256]))
                 for i in range(0, len(data["images"]), 256)]  # fmt: skip
    codes = [torch.cat([p[k] for p in parts]) for k in range(3)]
    train_rows = np.flatnonzero(~data["held_out"])
    held = np.flatnonzero(data["held_out"])[::10]
    face_h, feat_h = (m.astype(bool) for m in region_masks(landmarks[held], 128))
    truth = data["images"][held] / 255.0
    for variant in variants:
        wf, wx = WEIGHTS[variant]
        torch.manual_seed(0)
        rng = np.random.default_rng(0)
        g = copy.deepcopy(model.generator).train()
        opt = torch.optim.Adam(g.parameters(), lr=3e-4)

        def evaluate(g: torch.nn.Module) -> tuple[dict, np.ndarray]:
            g.eval()
            with torch.no_grad():
                rec = g(*(c[held] for c in codes)).permute(0, 2, 3, 1).numpy()
            g.train()
            err = (rec - truth) ** 2
            return {
                "psnr": psnr(err.mean((1, 2, 3))),
                "face_psnr": region_psnr(err, face_h),
                "feature_psnr": region_psnr(err, feat_h),
            }, rec

        start, log = time.time(), [{"step": 0, **evaluate()[0]}]
        for step in range(1, STEPS + 1):
            rows = rng.choice(train_rows, BATCH)
            x = to_tensor(data["images"][rows])
            err = (g(*(c[rows] for c in codes)) - x).pow(2)
            face, feat = region_masks(landmarks[rows], 128)
            w = 1 + wf * torch.as_tensor(face)[:, None].float() + wx * torch.as_tensor(feat)[
                :, None].float()  # fmt: skip
            loss = (w * err).mean() / w.mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
            if step % 100 == 0:
                scores, rec = evaluate(g)
                log.append({"step": step, "seconds": round(time.time() - start), **scores})
                print(variant, log[-1], flush=True)
        np.save(OUT / f"irfd_face_weights_{variant}.npy", (rec[:24] * 255).astype(np.uint8))
        (OUT / f"irfd_face_weights_{variant}.json").write_text(json.dumps(log, indent=1))


if __name__ == "__main__":
    main(sys.argv[1:] or ["plain", "face4feat16"])
