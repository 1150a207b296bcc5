"""Does a patch discriminator sharpen G_d enough for a judge to read its expressions? (docs/IRFD.md,
"Sharper, not more expressive: a patch GAN on G_d".)

A perfect swap blurred to G_d's PSNR reads as B's emotion no better than G_d's own swaps
(docs/experiments/irfd_swap_oracle.py), so what G_d lacks first is sharpness, which a pixel loss
does not reward. The paper's notes for a small reproduction allow "optional PatchGAN with hinge
loss"; here G_d alone (every encoder frozen, codes encoded once) learns the face-weighted L_self
plus `lam` × the hinge generator loss of a patch discriminator on its reconstructions (SPEAK's
`PatchDiscriminator`, unconditional: 3 channels), which learns on the same batches (real set
images against G_d's reconstructions of them), for STEPS steps of 32 training images, Adam 1e-4
(D: 1e-4, betas 0.5 / 0.999), seed 0.

Run from the repository root (after docs/experiments/irfd_expression_groups.py has rendered the
held-out groups): `PYTHONPATH=. python docs/experiments/irfd_gd_patchgan.py gan0.01` (11 min of
training after ≈ 10 of setup here). Scored as irfd_expression_groups.py scores (its `control`
variant is this one without the discriminator, at 64 images a step), plus the sharpness of the
held-out reconstructions (variance of the Laplacian, as a share of the truth's). Writes
/tmp/irfd_gd_patchgan_<variant>.json and .npy; `… irfd_gd_patchgan.py sheet
docs/irfd_expression_sheet.jpg` then draws the three runs' reconstructions under the truth, and
`… irfd_gd_patchgan.py blur-sharpness` prints the share Gaussian blurs leave (≈ 1 min).
"""

import copy
import json
import sys
import time

import cv2
import numpy as np
import torch
import torch.nn.functional as F

from docs.experiments.irfd_expression_groups import (
    HELD_OUT,
    OUT,
    SET,
    groups,
    judge_read,
    prepare,
    scores,
    weights,
)
from studio.papers.irfd.codes import to_tensor
from studio.papers.irfd.imageset import load_imageset
from studio.papers.irfd.speak.model import PatchDiscriminator

LAMBDAS = {"gan0.01": 0.01, "gan0.03": 0.03, "gan0.003": 0.003}
STEPS, BATCH = 300, 32


class Critic(torch.nn.Module):
    """SPEAK's patch discriminator on one image (3 channels) instead of a pair."""

    def __init__(self):
        super().__init__()
        self.net = PatchDiscriminator((32, 64, 128, 128))
        self.net.net[0] = torch.nn.Conv2d(3, 32, 4, stride=2, padding=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x * 2 - 1)


def sharpness(images: np.ndarray) -> float:
    """Mean variance of the Laplacian of the grey images (N, S, S, 3) in [0, 1]."""
    grey = (images.mean(-1) * 255).astype(np.float32)
    return float(np.mean([cv2.Laplacian(g, cv2.CV_32F).var() for g in grey]))


def main(variants: list[str]) -> None:
    s = prepare()
    truth_sharp = sharpness(s.truth)
    for variant in variants:
        lam = LAMBDAS[variant]
        torch.manual_seed(0)
        rng = np.random.default_rng(0)
        g = copy.deepcopy(s.model.generator).train()
        d = Critic().train()
        opt_g = torch.optim.Adam(g.parameters(), lr=1e-4)
        opt_d = torch.optim.Adam(d.parameters(), lr=1e-4, betas=(0.5, 0.999))

        def evaluate(g: torch.nn.Module) -> tuple[dict, np.ndarray]:
            scored, rec, rec_g = scores(g, s)
            return {**scored, "sharpness_share": sharpness(rec) / truth_sharp}, rec_g

        start, log = time.time(), [{"step": 0, **evaluate(g)[0]}]
        print(variant, log[-1], flush=True)
        for step in range(1, STEPS + 1):
            rows = rng.choice(s.train_rows, BATCH)
            x = to_tensor(s.data["images"][rows])
            w = weights(s.landmarks[rows])
            fake = g(*(c[rows] for c in s.codes))
            d_loss = F.relu(1 - d(x)).mean() + F.relu(1 + d(fake.detach())).mean()
            opt_d.zero_grad()
            d_loss.backward()
            opt_d.step()
            rec = (w * (fake - x).pow(2)).mean() / w.mean()
            adv = -d(fake).mean()
            loss = rec + lam * adv
            opt_g.zero_grad()
            loss.backward()
            opt_g.step()
            if step % 100 == 0 or step == STEPS:
                scored, rec_g = evaluate(g)
                log.append({"step": step, "seconds": round(time.time() - start), "self": rec.item(),
                            "adv": adv.item(), "d": d_loss.item(), **scored})  # fmt: skip
                print(variant, log[-1], flush=True)
        log.append(judge_read((rec_g[s.int3] * 255 + 0.5).astype(np.uint8),
                              s.grp["emotion"][s.held_g][s.int3]))  # fmt: skip
        print(variant, log[-1], flush=True)
        np.save(OUT / f"irfd_gd_patchgan_{variant}.npy", (rec_g[:16] * 255).astype(np.uint8))
        (OUT / f"irfd_gd_patchgan_{variant}.json").write_text(json.dumps(log, indent=1))


def sheet(out: str) -> None:
    """docs/irfd_expression_sheet.jpg: held-out person 1000 in the 8 emotions (row 1), then the
    reconstructions of the control and group-term runs of irfd_expression_groups.py and of
    this script's gan0.01 run (their saved .npy files in /tmp)."""
    grp = groups()
    first = np.flatnonzero(grp["identity"] == HELD_OUT[0])
    rows = [grp["images"][first]]
    for name in ("irfd_expression_groups_control", "irfd_expression_groups_groups4",
                 "irfd_gd_patchgan_gan0.01"):  # fmt: skip
        rows.append(np.load(OUT / f"{name}.npy")[:8])
    grid = np.concatenate([np.concatenate(list(r), 1) for r in rows], 0)
    cv2.imwrite(out, grid[:, :, ::-1], [cv2.IMWRITE_JPEG_QUALITY, 85])


def blur_sharpness(sigmas: tuple[float, ...] = (1.0, 1.5)) -> None:
    """The sharpness share that Gaussian blurs leave on the 240 held-out images the runs score
    (every tenth): where G_d's own share (`sharpness_share` at step 0) sits on the blur scale."""
    data = load_imageset(SET)
    images = data["images"][np.flatnonzero(data["held_out"])[::10]]
    truth = sharpness(images / 255.0)
    for sigma in sigmas:
        blurred = np.stack([cv2.GaussianBlur(x, (0, 0), sigma) for x in images])
        print(f"sigma {sigma:g}: sharpness share {sharpness(blurred / 255.0) / truth:.3f}")


if __name__ == "__main__":
    if sys.argv[1:2] == ["blur-sharpness"]:
        blur_sharpness()
    elif sys.argv[1:2] == ["sheet"]:
        sheet(sys.argv[2])
    else:
        main(sys.argv[1:] or ["gan0.01"])
