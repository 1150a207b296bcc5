"""Does a denser target teach IRFD's emotion encoder faster than the emotion label alone?
(docs/IRFD.md, "Emotion: denser targets did not speed it up".)

Run from the repository root:
`PYTHONPATH=. python docs/experiments/irfd_emotion_signals.py base track rig` (≈ 8 min a
variant alone on 2 cores; `track` needs the tracked IRFD set, cached by the NeRF judge's
`python -m studio.train nerf_emotion_judge`, or tracked here in ≈ 5 min). Each variant trains a
fresh emotion encoder of IRFD's size (`model.Encoder`, 32-d code, linear classifier) for 1,000
steps of 48 training images at Adam 1e-3 (100-step warm-up), seed 0, and scores the classifier
every 200 steps on the held-out people's images at intensities 2–3:
- base: the emotion cross-entropy only (the paper's Eq. 2);
- track: + a linear head on the code regressing the MediaPipe tracker's 52 blendshapes of the
  image (standardised; images where no face is found are skipped) — a distillation target;
- rig: + a head regressing the emotion's own 52 rig values (`emotion_blendshapes`: emotion and
  intensity, the information MEAD's labels carry, spread over the face's channels).
"""

import json
import sys
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from studio.papers.irfd.codes import to_tensor
from studio.papers.irfd.imageset import load_imageset
from studio.papers.irfd.model import Encoder
from studio.papers.nerf.emotion_judge import irfd_set_features
from studio.synth.emotions import EMOTIONS, emotion_blendshapes

SET = Path("data/irfd-set")
STEPS, BATCH, LR = 1000, 48, 1e-3


def main(variants: list[str]) -> None:
    data = load_imageset(SET)
    tracked = irfd_set_features(SET) if "track" in variants else None
    rig = np.stack([emotion_blendshapes(EMOTIONS[e], int(i))
                    for e, i in zip(data["emotion"], data["intensity"], strict=True)])  # fmt: skip
    train_rows = np.flatnonzero(~data["held_out"])
    held = np.flatnonzero(data["held_out"] & (data["intensity"] >= 2))
    for variant in variants:
        torch.manual_seed(0)
        rng = np.random.default_rng(0)
        encoder = Encoder(32, (32, 64, 96, 128, 128), 128)
        head, aux = nn.Linear(32, 8), nn.Linear(32, 52)  # aux: read by `track` and `rig` only
        opt = torch.optim.Adam([*encoder.parameters(), *head.parameters(), *aux.parameters()],
                               lr=LR)  # fmt: skip
        if tracked is not None:
            shapes, found = tracked["features"][:, :52].astype(np.float32), tracked["found"]
            mean, std = shapes[found].mean(0), shapes[found].std(0) + 0.05
        start, log = time.time(), []
        for step in range(1, STEPS + 1):
            for group in opt.param_groups:
                group["lr"] = LR * min(1.0, step / 100)
            rows = rng.choice(train_rows, BATCH)
            code = encoder(to_tensor(data["images"][rows]))
            loss = F.cross_entropy(head(code), torch.as_tensor(data["emotion"][rows]))
            if variant == "track":
                keep = torch.as_tensor(found[rows])
                target = torch.as_tensor((shapes[rows] - mean) / std)
                per_image = (aux(code) - target).pow(2).mean(1)
                loss = loss + (per_image * keep).sum() / keep.sum().clamp(min=1)
            elif variant == "rig":
                loss = loss + 10 * F.mse_loss(torch.sigmoid(aux(code)), torch.as_tensor(rig[rows]))
            opt.zero_grad()
            loss.backward()
            opt.step()
            if step % 200 == 0:
                encoder.eval()
                with torch.no_grad():
                    guess = np.concatenate([
                        head(encoder(to_tensor(data["images"][held[i : i + 256]]))).argmax(1)
                        for i in range(0, len(held), 256)
                    ])  # fmt: skip
                encoder.train()
                accuracy = float((guess == data["emotion"][held]).mean())
                log.append({"step": step, "seconds": round(time.time() - start),
                            "held_out_accuracy_int23": accuracy})  # fmt: skip
                print(variant, log[-1], flush=True)
        Path(f"/tmp/irfd_emotion_signals_{variant}.json").write_text(json.dumps(log, indent=1))


if __name__ == "__main__":
    main(sys.argv[1:] or ["base", "track", "rig"])
