"""How far does more training take the shipped emotion encoder? (docs/IRFD.md, "Emotion: more
steps for the shipped encoder".)

Run from the repository root:
`PYTHONPATH=. python docs/experiments/irfd_emotion_steps.py --steps 4000 --every 800`
(≈ 0.4 s a step alone on 2 cores, plus ≈ 40 s a probe), then the same with `--score-codes`.
It continues the shipped E_e and its classifier C_m on their own loss, the emotion
cross-entropy (the shipped recipe's split encoders train E_e on nothing else), with every other
network untouched: batches of 48 training images, Adam at `--lr` after a 100-step warm-up, seed
0. Every `--every` steps it scores the bench's own bar — `bench.emotion_probe`: a logistic probe
on the emotion code, fitted on the bench's 200 training people, read on the 100 held-out people
at intensities 2–3 — so step 0 reproduces docs/benchmarks/irfd.json's
`emotion_probe_accuracy_int23` — and saves the whole model (the shipped one with this E_e and
C_m) as a run folder (`--out`). `--score-codes` reads that model's codes as the bench does: the
probe matrix, the identity EERs and DCI / MIG / SAP (≈ 2 min; G_d was not trained for the new
emotion code, so the bench's image rows would not be this E_e's). Nothing is shipped: a new E_e
changes the codes G_d, SPEAK and the t-SNE bank were trained on.

Session 20's variants (docs/IRFD.md, "Emotion: where the last points are"): `--augment` moves
and recolours every training image (`augment` below), `--focal GAMMA` swaps the
cross-entropy for the focal loss, `--more-people N` adds the first N of the `more-people`
preset's new training people to the set's 1,000 (built when absent: `python -m studio.irfd make
--preset more-people --out data/irfd-more-people`, 4.5 min per 1,000 people alone on 2 cores);
each starts again from the shipped E_e.

Session 21's variants: `--pose-adversary W` asks E_e to drop head pose, which came back into
the emotion code when it trained on more people (yaw R² 0.14 → 0.53). A small MLP reads
(yaw, pitch, roll) from the emotion code and learns to; its gradient reaches E_e reversed and
scaled by W (gradient reversal, Ganin & Lempitsky 2015) — the same rig angles the shipped
recipe's pose labels use, so a deviation of the same kind. Measured, it made pose *more*
readable: maximising the adversary's error is met by a code that reads the pose backwards.
`--pose-confusion W` keeps the adversary but asks E_e for something else: that the adversary's
reading be the training images' mean angles (the best a reader can do from a code without pose;
the domain-confusion form of Tzeng et al. 2015, for a regression), weighed by W.
`--pose-decorrelate W` has no adversary: W × the mean squared correlation, within the batch,
between each emotion-code dimension and each of yaw, pitch and roll — zero cross-covariance is
exactly "no linear read of pose", with no reader that lags behind the code. Every probe also
reads yaw, pitch and roll from the emotion code: linearly, as the bench (`pose_from_codes`), and
with a small MLP (what a linear probe would miss).
"""

import argparse
import json
import math
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from safetensors.torch import save_file

from studio.eval.disentanglement import probe_leakage
from studio.papers.irfd.bench import (
    disentanglement,
    emotion_probe,
    probes,
    split,
    verification_eers,
)
from studio.papers.irfd.codes import encode, load_irfd, load_run, to_tensor
from studio.papers.irfd.imageset import (
    MANIFEST,
    PRESETS,
    add_training_people,
    build_imageset,
    load_imageset,
)

SET = Path("data/irfd-set")
MORE = Path("data/irfd-more-people")  # `--more-people`: the `more-people` preset's set
BATCH, WARMUP = 48, 100


@dataclass(frozen=True)
class Augmentation:
    shift: float = 0.06  # of the half-side: ±4 px at 128²
    scale: float = 0.08  # zoom 0.92–1.08
    rotate_degrees: float = 5.0
    brightness: float = 0.25  # × 0.75–1.25
    channel_gain: float = 0.15  # each of R, G, B × 0.85–1.15: skin and light colour
    contrast: float = 0.25  # around the image's mean, × 0.75–1.25
    grayscale: float = 0.2  # the share of images turned grey


def augment(images: torch.Tensor, generator: torch.Generator, aug: Augmentation = Augmentation()):
    """(B, 3, H, W) in [0, 1] → the same batch, each image moved and recoloured at random; the
    emotion label stays true: no flips (contempt is one-sided in the rig), small moves only."""
    b = images.shape[0]

    def uniform(*shape: int) -> torch.Tensor:  # in [-1, 1]
        return torch.rand(*shape, generator=generator) * 2 - 1

    angle = uniform(b) * math.radians(aug.rotate_degrees)
    zoom = 1 + uniform(b) * aug.scale
    cos, sin = torch.cos(angle) / zoom, torch.sin(angle) / zoom
    theta = torch.stack(
        [torch.stack([cos, -sin, uniform(b) * aug.shift], 1),
         torch.stack([sin, cos, uniform(b) * aug.shift], 1)], 1,
    )  # fmt: skip
    grid = F.affine_grid(theta, list(images.shape), align_corners=False)
    out = F.grid_sample(images, grid, padding_mode="border", align_corners=False)

    gain = (1 + uniform(b, 1, 1, 1) * aug.brightness) * (1 + uniform(b, 3, 1, 1) * aug.channel_gain)
    out = out * gain
    mean = out.mean((1, 2, 3), keepdim=True)
    out = (out - mean) * (1 + uniform(b, 1, 1, 1) * aug.contrast) + mean
    grey = torch.rand(b, generator=generator) < aug.grayscale
    if grey.any():
        weights = torch.tensor([0.299, 0.587, 0.114]).view(1, 3, 1, 1)
        out[grey] = (out[grey] * weights).sum(1, keepdim=True).expand(-1, 3, -1, -1)
    return out.clamp(0, 1)


def emotion_codes(encoder: torch.nn.Module, images: np.ndarray) -> np.ndarray:
    encoder.eval()
    with torch.no_grad():
        codes = [encoder(to_tensor(images[i : i + 256])).numpy()
                 for i in range(0, len(images), 256)]  # fmt: skip
    encoder.train()
    return np.concatenate(codes)


def probe_score(encoder: torch.nn.Module, train: dict, held: dict) -> dict:
    x_train = emotion_codes(encoder, train["images"])
    x_held = emotion_codes(encoder, held["images"])
    return {**emotion_probe(train, held, x_train, x_held),
            **pose_from_codes(train, held, x_train, x_held)}  # fmt: skip


def save_run(model: torch.nn.Module, run: Path) -> None:
    """A run folder `load_run` reads: the weights, then the configuration."""
    run.mkdir(parents=True, exist_ok=True)
    state = {k: v.detach().contiguous() for k, v in model.state_dict().items()}
    save_file(state, str(run / "model.safetensors.tmp"))
    (run / "model.safetensors.tmp").replace(run / "model.safetensors")
    (run / "irfd_config.json").write_text(json.dumps(model.config.to_dict()))


class _Reverse(torch.autograd.Function):
    """Identity forward; the gradient times -weight backward."""

    @staticmethod
    def forward(ctx, x: torch.Tensor, weight: float) -> torch.Tensor:
        ctx.weight = weight
        return x.view_as(x)

    @staticmethod
    def backward(ctx, grad: torch.Tensor):
        return -ctx.weight * grad, None


def pose_adversary(code_size: int) -> torch.nn.Module:
    """The MLP that reads (yaw, pitch, roll) / 30° from an emotion code."""
    return torch.nn.Sequential(
        torch.nn.Linear(code_size, 64), torch.nn.ReLU(), torch.nn.Linear(64, 3)
    )


def batch_correlation(codes: torch.Tensor, angles: torch.Tensor) -> torch.Tensor:
    """(code dims, 3) Pearson correlations within the batch between each code dimension and
    each angle; differentiable in the codes."""
    z = codes - codes.mean(0)
    y = angles - angles.mean(0)
    z = z / (z.pow(2).mean(0).sqrt() + 1e-6)
    y = y / (y.pow(2).mean(0).sqrt() + 1e-6)
    return z.T @ y / len(codes)


def pose_from_codes(train: dict, held: dict, x_train: np.ndarray, x_held: np.ndarray) -> dict:
    """Held-out R² of yaw, pitch and roll from emotion codes: the bench's linear probe
    (`probe_leakage`) and a small MLP, both fitted on the probe's training people."""
    from sklearn.metrics import r2_score
    from sklearn.neural_network import MLPRegressor
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    angles = ("yaw", "pitch", "roll")
    linear = probe_leakage(
        {"emotion": np.concatenate([x_train, x_held])},
        {a: np.concatenate([train[a], held[a]]).astype(np.float64) for a in angles},
        np.r_[np.ones(len(x_train), bool), np.zeros(len(x_held), bool)],
    ).matrix[0]
    out = {}
    for j, angle in enumerate(angles):
        reader = MLPRegressor(
            hidden_layer_sizes=(128,), max_iter=300, early_stopping=True, random_state=0
        )
        mlp = make_pipeline(StandardScaler(), reader).fit(x_train, train[angle] / 30.0)
        out[f"{angle}_r2_linear"] = round(float(linear[j]), 4)
        out[f"{angle}_r2_mlp"] = round(float(r2_score(held[angle] / 30.0, mlp.predict(x_held))), 4)
    return out


def focal_loss(logits: torch.Tensor, labels: torch.Tensor, gamma: float) -> torch.Tensor:
    """Cross-entropy with each image weighted by (1 - p_true)^gamma (Lin et al. 2017): the
    images the encoder already reads right weigh little. gamma 0 is plain cross-entropy."""
    log_p = F.log_softmax(logits, 1).gather(1, labels[:, None])[:, 0]
    return (-((1 - log_p.exp()) ** gamma) * log_p).mean()


def main(steps: int, every: int, lr: float, out: Path, run: Path, augmented: bool = False,
         gamma: float = 0.0, more: int = 0, adversary_weight: float = 0.0,
         confusion_weight: float = 0.0, decorrelate_weight: float = 0.0) -> None:  # fmt: skip
    data = load_imageset(SET)
    probe_train, held = split(data, quick=False)  # the bench's probe people, as in every run
    if more:
        if not (MORE / MANIFEST).exists():
            build_imageset(PRESETS["more-people"], MORE)
        extra = load_imageset(MORE)
        keep = extra["identity"] < PRESETS["more-people"].first_identity + more
        data = add_training_people(data, {k: v[keep] for k, v in extra.items()})
    train_rows = np.flatnonzero(~data["held_out"])
    model = load_irfd()
    encoder, head = model.emotion, model.classifier
    torch.manual_seed(0)
    rng = np.random.default_rng(0)
    generator = torch.Generator().manual_seed(0)
    opt = torch.optim.Adam([*encoder.parameters(), *head.parameters()], lr=lr)
    adversary = pose_adversary(model.config.emotion_dim)
    adversary_opt = torch.optim.Adam(adversary.parameters(), lr=1e-3)
    angles = np.stack([data["yaw"], data["pitch"], data["roll"]], 1).astype(np.float32) / 30.0
    mean_angles = torch.as_tensor(angles[train_rows].mean(0))
    start, log = time.time(), []

    def record(step: int, loss: float | None, read_pose: float | None = None) -> None:
        row = {"step": step, "seconds": round(time.time() - start), "train_ce": loss,
               **probe_score(encoder, probe_train, held)}  # fmt: skip
        if decorrelate_weight:  # the mean squared correlation of the training batches
            row["batch_correlation_sq"] = read_pose
        elif adversary_weight or confusion_weight:
            # of (yaw, pitch, roll) / 30°; a reader that knows nothing scores their variance
            row["adversary_mse"] = read_pose
            row["adversary_mse_knowing_nothing"] = round(float(angles.var(0).mean()), 4)
        log.append(row)
        out.write_text(json.dumps(log, indent=1))
        save_run(model, run)
        print(json.dumps(row), flush=True)

    record(0, None)
    losses, adversary_losses = [], []
    encoder.train()
    for step in range(1, steps + 1):
        for group in opt.param_groups:
            group["lr"] = lr * min(1.0, step / WARMUP)
        rows = rng.choice(train_rows, BATCH)
        images = to_tensor(data["images"][rows])
        if augmented:
            images = augment(images, generator)
        codes = encoder(images)
        loss = focal_loss(head(codes), torch.as_tensor(data["emotion"][rows]), gamma)
        opt.zero_grad()
        if adversary_weight:
            # the adversary minimises its error; E_e receives that gradient reversed
            read = adversary(_Reverse.apply(codes, adversary_weight))
            adversary_loss = F.mse_loss(read, torch.as_tensor(angles[rows]))
            adversary_opt.zero_grad()
            (loss + adversary_loss).backward()
            adversary_opt.step()
            adversary_losses.append(adversary_loss.item())
        elif confusion_weight:
            # E_e: the adversary's reading should be the mean angles; the adversary, on codes
            # it cannot move, learns to read the true ones
            confused = F.mse_loss(adversary(codes), mean_angles.expand(len(rows), 3))
            (loss + confusion_weight * confused).backward()
            adversary_opt.zero_grad()
            adversary_loss = F.mse_loss(adversary(codes.detach()), torch.as_tensor(angles[rows]))
            adversary_loss.backward()
            adversary_opt.step()
            adversary_losses.append(adversary_loss.item())
        elif decorrelate_weight:
            correlation = batch_correlation(codes, torch.as_tensor(angles[rows]))
            adversary_loss = (correlation**2).mean()  # logged in the adversary's column
            (loss + decorrelate_weight * adversary_loss).backward()
            adversary_losses.append(adversary_loss.item())
        else:
            loss.backward()
        opt.step()
        losses.append(loss.item())
        if step % every == 0 or step == steps:
            read = np.mean(adversary_losses[-every:]) if adversary_losses else None
            record(step, round(float(np.mean(losses[-every:])), 4),
                   None if read is None else round(float(read), 4))  # fmt: skip


def score_codes(run: Path, out: Path) -> None:
    """The bench's code-only rows for the run's model, added to the log as its last entry."""
    data = load_imageset(SET)
    train, held = split(data, quick=False)
    model = load_run(run)
    c_train, c_held = encode(model, train["images"]), encode(model, held["images"])
    m = {**probes(train, held, c_train, c_held), **verification_eers(held, c_held),
         **disentanglement(held, c_held)}  # fmt: skip
    m.pop("probe_table")
    log = json.loads(out.read_text()) if out.exists() else []
    log.append({"codes_of": str(run), **m})
    out.write_text(json.dumps(log, indent=1))
    print(json.dumps({k: v for k, v in m.items() if not isinstance(v, dict)}, indent=1))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--steps", type=int, default=4800)
    parser.add_argument("--every", type=int, default=800)
    parser.add_argument("--lr", type=float, default=3e-4)
    parser.add_argument("--json", type=Path, default=Path("/tmp/irfd_emotion_steps.json"))
    parser.add_argument("--out", type=Path, default=Path("runs/irfd-emotion-steps"))
    parser.add_argument("--augment", action="store_true",
                        help="move and recolour each training image (augment)")  # fmt: skip
    parser.add_argument("--focal", type=float, default=0.0, metavar="GAMMA",
                        help="focal loss instead of plain cross-entropy (0: plain)")  # fmt: skip
    parser.add_argument("--more-people", type=int, default=0, metavar="N",
                        help="add the first N of the `more-people` preset's people")  # fmt: skip
    parser.add_argument("--pose-adversary", type=float, default=0.0, metavar="W",
                        help="an MLP reads pose from the emotion code; E_e gets -W × its "
                             "gradient (0: none)")  # fmt: skip
    parser.add_argument("--pose-confusion", type=float, default=0.0, metavar="W",
                        help="an MLP reads pose from the emotion code; E_e is asked that it "
                             "read the mean angles, weighed by W (0: none)")  # fmt: skip
    parser.add_argument("--pose-decorrelate", type=float, default=0.0, metavar="W",
                        help="W × the squared batch correlation of emotion-code dimensions "
                             "with the angles (0: none)")  # fmt: skip
    parser.add_argument("--score-codes", action="store_true",
                        help="score the codes of the model saved in --out, then stop")  # fmt: skip
    args = parser.parse_args()
    if args.score_codes:
        score_codes(args.out, args.json)
    else:
        main(
            args.steps,
            args.every,
            args.lr,
            args.json,
            args.out,
            args.augment,
            args.focal,
            args.more_people,
            args.pose_adversary,
            args.pose_confusion,
            args.pose_decorrelate,
        )
