"""Train IRFD on its image set with the shared loop: each step draws pairs (S, T) of training
images of different people and takes the losses of `studio.papers.irfd.losses`."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import numpy as np
import torch
from safetensors.torch import load_file

from studio.nn.checkpoints import sha256_file
from studio.nn.loop import TrainConfig, train
from studio.papers.irfd.codes import config_from_dict, to_tensor
from studio.papers.irfd.losses import (
    LossOptions,
    emotion_losses,
    encoder_losses,
    generator_losses,
    irfd_losses,
)
from studio.papers.irfd.model import Irfd, IrfdConfig
from studio.papers.irfd.regions import pixel_weights, region_masks

# a shipped checkpoint's card, copied into a run that starts from it
STARTED_FROM_CARD = "started_from_card.json"


@dataclass
class IrfdOptions:
    steps: int = 800  # the shipped run: 52 min on 2 cores (3.9 s per step of 16 pairs)
    pairs: int = 16
    lr: float = 3e-4  # the paper's 1e-4 is for hundreds of thousands of steps; see the card
    seed: int = 0
    literal_triplet: bool = False
    frozen_reencoding: bool = False
    # the terms read off swapped fakes weigh `swap_weight` (the paper: 1), reached linearly over
    # the first `swap_ramp` steps: at weight 1 their gradient drowns self-reconstruction and
    # G_d never learns to draw a face on this budget (measured: see the card)
    swap_weight: float = 0.1
    swap_ramp: int = 200
    # measured deviations (losses.py; docs/IRFD.md "Split encoders"): E_i and E_e learn from
    # their own losses only; `encoders_only` is their warm-up run, `init_from` starts from a run
    split_encoders: bool = False
    pose_labels: bool = False
    encoders_only: bool = False
    init_from: str = ""
    # face weights in L_self (regions.py; a measured deviation, docs/IRFD.md "Drawing eyes and
    # mouths"): each pixel weighs 1 + face_weight on the face + feature_weight on eyes and lips
    face_weight: float = 0.0
    feature_weight: float = 0.0
    # G_d alone learns, from self-reconstruction of real images; every encoder frozen
    generator_only: bool = False
    # E_e and its classifier alone learn, from the emotion cross-entropy; the rest untouched
    emotion_only: bool = False
    # with `emotion_only`: a linear head on the emotion code also regresses the jaw opening,
    # weighed this much (weak labels, a measured deviation: docs/IRFD.md, "DCI: where the
    # shipped codes lose, and a code for the jaw")
    jaw_weight: float = 0.0
    # a second set whose people were added as training people (`--more-people`; its folder,
    # recorded so the card can say what the encoders saw — the data come merged)
    more_people: str = ""
    # Table 3's ablations: loss terms left out (losses.TERMS)
    drop: tuple[str, ...] = ()

    def weighted(self) -> bool:
        return self.face_weight > 0 or self.feature_weight > 0


def pair_batch(images: np.ndarray, identity: np.ndarray, emotion: np.ndarray, index: np.ndarray,
               n: int, rng: np.random.Generator, angles: np.ndarray | None = None,
               weigh: Callable[[np.ndarray], np.ndarray] | None = None,
               jaw: np.ndarray | None = None,
               ) -> dict[str, torch.Tensor]:  # fmt: skip
    """n pairs of images (from `index`) whose people differ, and for each S another image of
    the same person (`same_s`; S itself when the person has one image in `index`). With
    `angles` ((N, 3) degrees) the pairs' angles come too, S's then T's; with `weigh` (image
    indices → (k, 1, H, W)) the self-reconstruction weights of S's then T's; with `jaw` ((N,))
    the jaw opening of S's, S's others' and T's, in that order (the emotion-only stage's)."""
    s = rng.choice(index, n)
    t = rng.choice(index, n)
    same = identity[s] == identity[t]
    while same.any():
        t[same] = rng.choice(index, int(same.sum()))
        same = identity[s] == identity[t]
    same_s = np.array([_another_image(i, identity, index, rng) for i in s])

    batch = {
        "s": to_tensor(images[s]),
        "t": to_tensor(images[t]),
        "same_s": to_tensor(images[same_s]),
        "emo_s": torch.as_tensor(emotion[s]),
        "emo_t": torch.as_tensor(emotion[t]),
        "emo_same_s": torch.as_tensor(emotion[same_s]),
        "ids": torch.as_tensor(identity[np.r_[s, t]]),
    }
    if angles is not None:
        batch["angles"] = torch.as_tensor(angles[np.r_[s, t]], dtype=torch.float32)
    if weigh is not None:
        batch["weights"] = torch.as_tensor(weigh(np.r_[s, t]))
    if jaw is not None:
        batch["jaw"] = torch.as_tensor(jaw[np.r_[s, same_s, t]], dtype=torch.float32)
    return batch


def _another_image(i: int, identity: np.ndarray, index: np.ndarray, rng) -> int:
    others = index[(identity[index] == identity[i]) & (index != i)]
    return int(rng.choice(others)) if len(others) else int(i)


def held_out_validation(data: dict[str, np.ndarray], n: int = 48):
    """A `validate` hook: self-reconstruction PSNR and the emotion head's accuracy on a fixed
    sample of held-out people's images (what the bench measures in full, tracked as it trains)."""
    index = np.flatnonzero(data["held_out"])
    pick = np.random.default_rng(0).choice(index, min(n, len(index)), replace=False)
    images = to_tensor(data["images"][pick])
    labels = torch.as_tensor(data["emotion"][pick])

    def validate(model: Irfd) -> dict[str, float]:
        identity, emotion, pose = model.encode(images)
        mse = (model.generate(identity, emotion, pose) - images).pow(2).mean((1, 2, 3))
        accuracy = (model.classifier(emotion).argmax(1) == labels).float().mean()
        return {"psnr": float((-10 * torch.log10(mse)).mean()), "emotion_acc": float(accuracy)}

    return validate


def train_irfd(
    data: dict[str, np.ndarray],
    options: IrfdOptions,
    out_dir: str | Path,
    config: IrfdConfig | None = None,
    resume: bool = False,
    progress=None,
    landmarks: np.ndarray | None = None,
) -> Irfd:
    """Train on the set's training people (`data` from `load_imageset`; `landmarks` from
    `regions.set_landmarks`, needed by face weights). A run started from another keeps its
    configuration (its heads)."""
    torch.manual_seed(options.seed)
    if options.weighted() and landmarks is None:
        raise ValueError("face weights need the set's landmarks (regions.set_landmarks)")
    if options.jaw_weight and not options.emotion_only:
        raise ValueError("jaw_weight trains the emotion-only stage's jaw head: add emotion_only")
    if config is None and options.init_from:
        config = _source_config(Path(options.init_from))
    if options.pose_labels:
        config = replace(config or IrfdConfig(), pose_regressor=True)
    if options.jaw_weight:
        config = replace(config or IrfdConfig(), jaw_regressor=True)
    model = Irfd(config)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    if options.init_from:
        _init_from(model, Path(options.init_from), out_dir)
    index = np.flatnonzero(~data["held_out"])
    # drawn from the training images sorted by person (the order the runs of docs/IRFD.md
    # drew from since session 7; `same_s` looks the person up, it does not need the order)
    order = index[np.argsort(data["identity"][index], kind="stable")]
    losses = LossOptions(
        options.literal_triplet, options.frozen_reencoding,
        drop=tuple(options.drop), split_encoders=options.split_encoders,
        pose_labels=options.pose_labels,
    )  # fmt: skip
    angles = None
    if options.pose_labels:
        angles = np.stack([data["yaw"], data["pitch"], data["roll"]], 1)

    weigh_rows = None
    if options.weighted():
        size = data["images"].shape[1]

        def weigh_rows(rows: np.ndarray) -> np.ndarray:
            face, features = region_masks(landmarks[rows], size)
            return pixel_weights(face, features, options.face_weight, options.feature_weight)

    def get_batch(step, rng, rank, world):
        n = options.pairs // world
        jaw = data["jaw"] if options.jaw_weight else None
        batch = pair_batch(data["images"], data["identity"], data["emotion"], order, n, rng,
                           angles, weigh_rows, jaw)  # fmt: skip
        ramp = min(1.0, step / options.swap_ramp) if options.swap_ramp else 1.0
        batch["swap_weight"] = options.swap_weight * ramp
        return batch

    def loss_fn(m: Irfd, batch: dict) -> dict[str, torch.Tensor]:
        if options.encoders_only or options.emotion_only:  # real images only: S, S's other, T
            labels = torch.cat([batch["emo_s"], batch["emo_same_s"], batch["emo_t"]])
            if options.encoders_only:
                return encoder_losses(m, batch["s"], batch["same_s"], batch["t"], labels,
                                      batch["ids"])  # fmt: skip
            images = torch.cat([batch["s"], batch["same_s"], batch["t"]])
            return emotion_losses(m, images, labels, batch.get("jaw"), options.jaw_weight)
        if options.generator_only:
            return generator_losses(m, torch.cat([batch["s"], batch["t"]]), batch.get("weights"))
        return irfd_losses(
            m, batch["s"], batch["t"], batch["emo_s"], batch["emo_t"], losses,
            batch["swap_weight"], batch["same_s"], batch["ids"], batch.get("angles"),
            batch.get("weights"),
        )  # fmt: skip

    (out_dir / "irfd_options.json").write_text(json.dumps(asdict(options)))
    (out_dir / "irfd_config.json").write_text(json.dumps(model.config.to_dict()))
    config_ = TrainConfig(
        steps=options.steps,
        batch_size=options.pairs,
        lr=options.lr,
        weight_decay=0.0,
        warmup=100,
        seed=options.seed,
        log_every=10,
        ckpt_every=50,
        val_every=100,
        out_dir=str(out_dir),
    )
    return train(
        model, loss_fn, get_batch, config_, resume, progress, validate=held_out_validation(data)
    )


def _source_config(source: Path) -> IrfdConfig:
    """The configuration of a run folder or of a shipped checkpoint (its card)."""
    path = source.with_suffix(".json") if source.suffix == ".safetensors" else (
        source / "irfd_config.json")  # fmt: skip
    if not path.exists():
        raise FileNotFoundError(f"No configuration to start from in {source} ({path.name})")
    record = json.loads(path.read_text())
    return config_from_dict(record.get("config", record))


def _init_from(model: Irfd, source: Path, out_dir: Path | None = None) -> None:
    """Start from another run's weights (the encoders' warm-up), or from a shipped checkpoint
    (`checkpoints/irfd.safetensors`: a fresh machine continues the shipped model without the
    runs that made it): every tensor both share. A checkpoint's card, with its sha256, is
    copied into the run (`STARTED_FROM_CARD`) so the shipped card can say what it grew from."""
    if source.suffix == ".safetensors":
        weights, card = source, source.with_suffix(".json")
        if not card.exists():
            raise FileNotFoundError(f"{source} has no model card beside it ({card.name})")
        record = json.loads(card.read_text())
        if sha256_file(weights) != record.get("sha256"):
            raise ValueError(f"{source} does not match its model card's sha256")
        if out_dir is not None:
            (out_dir / STARTED_FROM_CARD).write_text(json.dumps(record, indent=1))
    else:
        weights = source / "model.safetensors"
    if not weights.exists():
        raise FileNotFoundError(f"No weights to start from in {source}")
    own = model.state_dict()
    state = {k: v for k, v in load_file(str(weights)).items() if k in own}
    model.load_state_dict(state, strict=False)  # float16 weights are cast to the model's dtype
