"""IRFD's losses (SPEAK Eq. 1–8), each with weight 1 in the paper (the shipped run weighs the
swap terms 0.1: `IrfdOptions.swap_weight`, measured in docs/IRFD.md), on a batch of pairs
(S, T) of different people: the identity code of one and the emotion + pose codes of the other
are swapped both ways, and the swapped fakes are re-encoded.

    I_d(i,n,q) = G_d(E_i(S), E_e(T), E_p(T))      S's identity, T's emotion and pose
    I_d(j,m,p) = G_d(E_i(T), E_e(S), E_p(S))      T's identity, S's emotion and pose

- identity: a triplet on identity codes. The paper's literal Eq. 1 compares two same-identity
  distances and has no true negative; by default the negative is the other person's code
  (`literal_triplet=True` keeps the paper's form, as an ablation);
- emotion classification: cross-entropy of C_m(E_e(·)) against the 8 labels (Eq. 2);
- pose and emotion re-encoding: the fake's pose / emotion code against its source's (Eq. 3, 4);
- self-reconstruction: G_d(E(S)) against S, and T (Eq. 5–7).
Targets of the re-encoding terms are detached; with `frozen_reencoding` the encoders do not
learn from the fakes at all (the lesson of the first small IRFD: co-adapting codes).

Measured deviations (docs/IRFD.md, "Split encoders" and the sections after it):
- `split_encoders`: E_i and E_e learn from their own losses only — E_i from a batch-hard
  triplet of real images (anchor, another image of the same person, the closest other person
  in the batch: identity labels, which MEAD and VoxCeleb have), E_e from the cross-entropy.
  Their codes enter G_d detached, so self-reconstruction and the swap terms train G_d and E_p
  only: what the picture holds beyond identity and emotion can reach G_d only through the pose
  code. `encoder_losses` alone is the
  warm-up run that trains E_i and E_e before G_d joins.
- `pose_labels`: a linear head on the pose code regresses (yaw, pitch, roll) — weak pose
  supervision; the paper learns pose without labels.
- `jaw_weight` (with `emotion_losses`): a linear head on the emotion code regresses the jaw
  opening — weak labels, so that some code holds the mouth: no code read it (R² 0.01), and the
  DCI bar's seventh factor spread its importance over every code's dimensions.
- face weights (`weights`, from `regions.pixel_weights`): self-reconstruction's pixels on the
  face and on its eyes and lips count more — a plain MSE was met by a head with no eyes or
  mouth; `generator_losses` trains G_d alone on it, every encoder frozen.
"""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from studio.nn.blocks import weighted_mse
from studio.papers.irfd.model import Irfd

SWAP_TERMS = ("identity", "pose", "emotion")  # read off the swapped fakes
TERMS = ("identity", "cls", "pose", "emotion", "self")  # the paper's five (Table 3 ablates each)
MARGIN = 0.2  # α of the triplet, on unit-normalised identity codes (the paper gives no value)
REAL_MARGIN = 0.5  # the real-image triplet's: wider, so that a person's images must gather
POSE_SCALE = 30.0  # degrees → the pose head's target scale
JAW_SCALE = 0.6  # the set's jaw opening, uniform in [0, 0.6] → the jaw head's target in [0, 1]


@dataclass(frozen=True)
class LossOptions:
    literal_triplet: bool = False
    frozen_reencoding: bool = False
    drop: tuple[str, ...] = ()  # ablations: loss names left out ("identity", "self", ...)
    split_encoders: bool = False
    pose_labels: bool = False

    def __post_init__(self):
        unknown = set(self.drop) - set(TERMS)
        if unknown:
            raise ValueError(f"Unknown IRFD loss terms {sorted(unknown)}; the terms: {TERMS}")


@contextmanager
def _frozen(modules):
    """Run with the modules' parameters not collecting gradients (inputs still do) and their
    batch-norm running statistics left as they are: fakes must not shift how real images are
    normalised at inference."""
    params = [p for m in modules for p in m.parameters()]
    before = [p.requires_grad for p in params]
    norms = [b for m in modules for b in m.modules() if isinstance(b, torch.nn.BatchNorm2d)]
    momenta = [b.momentum for b in norms]
    for p in params:
        p.requires_grad_(False)
    for b in norms:
        b.momentum = 0.0
    try:
        yield
    finally:
        for p, flag in zip(params, before, strict=True):
            p.requires_grad_(flag)
        for b, momentum in zip(norms, momenta, strict=True):
            b.momentum = momentum


def _unit(x: torch.Tensor) -> torch.Tensor:
    return F.normalize(x, dim=-1)


def real_triplet(anchor: torch.Tensor, positive: torch.Tensor, negatives: torch.Tensor,
                 anchor_ids: torch.Tensor, negative_ids: torch.Tensor) -> torch.Tensor:  # fmt: skip
    """The batch-hard triplet (Hermans et al. 2017) on identity codes of real images: another
    image of the anchor's person against the closest code of any other person in the batch
    (`split_encoders`). Random negatives are met at once here (skin and hair colour tell
    people apart), and a met triplet no longer asks the code to drop head pose."""
    a, p, n = _unit(anchor), _unit(positive), _unit(negatives)
    d_neg = torch.cdist(a, n).masked_fill(anchor_ids[:, None] == negative_ids[None, :], 4.0)
    return F.relu((a - p).norm(dim=-1) - d_neg.min(1).values + REAL_MARGIN).mean()


def generator_losses(model: Irfd, images: torch.Tensor, weights: torch.Tensor | None = None
                     ) -> dict[str, torch.Tensor]:  # fmt: skip
    """`generator_only`: self-reconstruction G_d(E(x)) of real images with every encoder
    frozen (no gradient, batch-norm statistics as they are) — G_d learns to draw from the codes
    the encoders already give."""
    encoders = (model.identity, model.emotion, model.pose)
    modes = [e.training for e in encoders]
    for e in encoders:
        e.eval()
    try:
        with torch.no_grad():
            codes = model.encode(images)
    finally:
        for e, mode in zip(encoders, modes, strict=True):
            e.train(mode)
    drawn = model.generate(*codes)
    rec = F.mse_loss(drawn, images) if weights is None else weighted_mse(drawn, images, weights)
    return {"loss": rec, "self": rec}


def emotion_losses(model: Irfd, images: torch.Tensor, emo: torch.Tensor,
                   jaw: torch.Tensor | None = None, jaw_weight: float = 0.0,
                   ) -> dict[str, torch.Tensor]:  # fmt: skip
    """`emotion_only`: E_e and C_m learn from the emotion cross-entropy alone. Nothing else
    runs, so every other network and its batch-norm statistics stay as they were (docs/IRFD.md,
    "Emotion: more steps for the shipped encoder": E_e was far from trained). With
    `jaw_weight` > 0 the jaw head also regresses the images' jaw opening `jaw` (B,) from the
    emotion code, weighed `jaw_weight`."""
    code = model.emotion(images)
    cls = F.cross_entropy(model.classifier(code), emo)
    if jaw_weight <= 0:
        return {"loss": cls, "cls": cls}
    if jaw is None or not model.config.jaw_regressor:
        raise ValueError("jaw_weight needs the images' jaw opening and a model with a jaw head")
    jaw_term = F.mse_loss(model.jaw_regressor(code).squeeze(1), jaw / JAW_SCALE)
    return {"loss": cls + jaw_weight * jaw_term, "cls": cls, "jaw_label": jaw_term}


def encoder_losses(
    model: Irfd, s: torch.Tensor, same_s: torch.Tensor, t: torch.Tensor, emo: torch.Tensor,
    ids: torch.Tensor,
) -> dict[str, torch.Tensor]:  # fmt: skip
    """The warm-up of `split_encoders`: E_i's real triplet and E_e's cross-entropy, no G_d.
    `emo` labels the images of [s, same_s, t] in that order; `ids` are the people of [s, t]."""
    n = len(s)
    images = torch.cat([s, same_s, t]).contiguous()
    i_s, i_same, i_t = model.identity(images).split(n)
    identity = real_triplet(i_s, i_same, torch.cat([i_s, i_t]), ids[:n], ids)
    cls = F.cross_entropy(model.classifier(model.emotion(images)), emo)
    return {"loss": identity + cls, "real_identity": identity, "cls": cls}


def irfd_losses(
    model: Irfd, s: torch.Tensor, t: torch.Tensor, emo_s: torch.Tensor, emo_t: torch.Tensor,
    options: LossOptions = LossOptions(), swap_weight: float = 1.0,
    same_s: torch.Tensor | None = None, ids: torch.Tensor | None = None,
    angles: torch.Tensor | None = None, weights: torch.Tensor | None = None,
) -> dict[str, torch.Tensor]:  # fmt: skip
    """Every term for pairs S, T (B, 3, H, W) of different people with emotion labels (B,).
    `swap_weight` scales the terms read off the swapped fakes (`SWAP_TERMS`; the paper: 1):
    training ramps it up from 0 while G_d learns to draw (`IrfdOptions.swap_weight`).
    `same_s` (another image of each S's person) and `ids` (the people of [S, T]) are needed
    with `split_encoders`; `angles` ((2B, 3) yaw, pitch, roll in degrees of [S, T]) with
    `pose_labels`; `weights` ((2B, 1, H, W) of [S, T]) weigh self-reconstruction's pixels
    (`weighted_mse`)."""
    n = len(s)
    split = options.split_encoders
    # each network runs once per step on everything it sees (bigger batches run faster on a CPU)
    extra: dict[str, torch.Tensor] = {}
    if split:
        if same_s is None or ids is None:
            raise ValueError("split_encoders needs same_s (another image of each S's person) "
                             "and ids")  # fmt: skip
        # the positives in the same pass as S and T: one set of batch-norm statistics for all
        real = torch.cat([s, t]).contiguous()
        i, positive = model.identity(torch.cat([real, same_s.contiguous()])).split(2 * n)
        e, p = model.emotion(real), model.pose(real)
        extra["real_identity"] = real_triplet(i[:n], positive, i, ids[:n], ids)
    else:
        i, e, p = model.encode(torch.cat([s, t]))
    e_real = e  # the classifier reads E_e's own codes, also when G_d gets them detached
    if split:
        i, e = i.detach(), e.detach()  # G_d and the swap terms do not reach E_i, E_e
    if options.pose_labels:
        if angles is None:
            raise ValueError("pose_labels needs the images' angles")
        extra["pose_label"] = F.mse_loss(model.pose_regressor(p), angles / POSE_SCALE)
    i_s, i_t, e_s, e_t, p_s, p_t = (*i.split(n), *e.split(n), *p.split(n))
    drawn = model.generate(
        torch.cat([i_s, i_t, i_s, i_t]), torch.cat([e_t, e_s, e_s, e_t]),
        torch.cat([p_t, p_s, p_s, p_t]),
    )  # fmt: skip
    # I_d(i, n, q), I_d(j, m, p), G_d(E(S)), G_d(E(T))
    fake_s_id, fake_t_id, rec_s, rec_t = drawn.split(n)
    encoders = (model.identity, model.emotion, model.pose)
    fakes = torch.cat([fake_s_id, fake_t_id])
    if options.frozen_reencoding or split:
        with _frozen(encoders):
            ri, re, rp = model.encode(fakes)
    else:
        ri, re, rp = model.encode(fakes)
    ri_s, ri_t, re_s, re_t, rp_s, rp_t = (*ri.split(n), *re.split(n), *rp.split(n))

    anchor, positive = _unit(i_s), _unit(ri_s)
    if options.literal_triplet:  # Eq. 1 as printed: both distances are same-identity ones
        other = (_unit(i_t) - _unit(ri_t)).norm(dim=-1)
    else:
        other = (anchor - _unit(i_t)).norm(dim=-1)  # a true negative: the other person
    identity = F.relu((anchor - positive).norm(dim=-1) - other + MARGIN).mean()
    logits = model.classifier(e_real)
    cls = F.cross_entropy(logits, torch.cat([emo_s, emo_t])) * 2  # Eq. 2 for S plus for T
    pose = F.mse_loss(rp_t, p_s.detach()) + F.mse_loss(rp_s, p_t.detach())
    emotion = F.mse_loss(re_t, e_s.detach()) + F.mse_loss(re_s, e_t.detach())
    if weights is None:
        self_rec = F.mse_loss(rec_s, s) + F.mse_loss(rec_t, t)
    else:
        self_rec = 2 * weighted_mse(torch.cat([rec_s, rec_t]), torch.cat([s, t]), weights)
    terms = {"identity": identity, "cls": cls, "pose": pose, "emotion": emotion, "self": self_rec,
             **extra}  # fmt: skip
    weight = {k: swap_weight if k in SWAP_TERMS else 1.0 for k in terms}
    loss = sum(weight[k] * v for k, v in terms.items() if k not in options.drop)
    return {"loss": loss, **terms}
