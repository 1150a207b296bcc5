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
"""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from studio.papers.irfd.model import Irfd

SWAP_TERMS = ("identity", "pose", "emotion")  # read off the swapped fakes
MARGIN = 0.2  # α of the triplet, on unit-normalised identity codes (the paper gives no value)


@dataclass(frozen=True)
class LossOptions:
    literal_triplet: bool = False
    frozen_reencoding: bool = False
    drop: tuple[str, ...] = ()  # ablations: loss names left out ("identity", "self", ...)


@contextmanager
def _frozen(modules):
    """Run with the modules' parameters not collecting gradients (inputs still do)."""
    params = [p for m in modules for p in m.parameters()]
    before = [p.requires_grad for p in params]
    for p in params:
        p.requires_grad_(False)
    try:
        yield
    finally:
        for p, flag in zip(params, before, strict=True):
            p.requires_grad_(flag)


def _unit(x: torch.Tensor) -> torch.Tensor:
    return F.normalize(x, dim=-1)


def irfd_losses(
    model: Irfd, s: torch.Tensor, t: torch.Tensor, emo_s: torch.Tensor, emo_t: torch.Tensor,
    options: LossOptions = LossOptions(), swap_weight: float = 1.0,
) -> dict[str, torch.Tensor]:  # fmt: skip
    """Every term for pairs S, T (B, 3, H, W) of different people with emotion labels (B,).
    `swap_weight` scales the terms read off the swapped fakes (`SWAP_TERMS`; the paper: 1):
    training ramps it up from 0 while G_d learns to draw (`IrfdOptions.swap_weight`)."""
    n = len(s)
    # each network runs once per step on everything it sees (bigger batches run faster on a CPU)
    i, e, p = model.encode(torch.cat([s, t]))
    i_s, i_t, e_s, e_t, p_s, p_t = (*i.split(n), *e.split(n), *p.split(n))
    drawn = model.generate(
        torch.cat([i_s, i_t, i_s, i_t]), torch.cat([e_t, e_s, e_s, e_t]),
        torch.cat([p_t, p_s, p_s, p_t]),
    )  # fmt: skip
    # I_d(i, n, q), I_d(j, m, p), G_d(E(S)), G_d(E(T))
    fake_s_id, fake_t_id, rec_s, rec_t = drawn.split(n)
    encoders = (model.identity, model.emotion, model.pose)
    fakes = torch.cat([fake_s_id, fake_t_id])
    if options.frozen_reencoding:
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
    cls = F.cross_entropy(model.classifier(e_s), emo_s) + F.cross_entropy(
        model.classifier(e_t), emo_t
    )
    pose = F.mse_loss(rp_t, p_s.detach()) + F.mse_loss(rp_s, p_t.detach())
    emotion = F.mse_loss(re_t, e_s.detach()) + F.mse_loss(re_s, e_t.detach())
    self_rec = F.mse_loss(rec_s, s) + F.mse_loss(rec_t, t)
    terms = {"identity": identity, "cls": cls, "pose": pose, "emotion": emotion, "self": self_rec}
    weight = {k: swap_weight if k in SWAP_TERMS else 1.0 for k in terms}
    loss = sum(weight[k] * v for k, v in terms.items() if k not in options.drop)
    return {"loss": loss, **terms}
