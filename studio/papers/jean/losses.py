"""JEAN's losses: the landmark AE's swap reconstruction (Eq. 1), the audio encoder's InfoNCE
against the frozen mouth code with log-mel augmentation, the expression transformer's swap
reconstruction (Eq. 4) and the options beyond the paper.
"""

from __future__ import annotations

import torch
from torch.nn import functional as F

from studio.errors import StudioError
from studio.papers.jean.model import MOUTH_SLICE, N_BLENDSHAPES, info_nce


def lmae_loss(lmae, batch):
    """Eq. 1: LD(e_fA, e_mB) → A's landmarks with B's mouth (and the other way round) when
    swapped; plain reconstruction otherwise. L1 on standardised coordinates."""
    xa, xb = lmae.norm(batch["a"]), lmae.norm(batch["b"])
    fa, ma = lmae.enc_f(xa), lmae.enc_m(xa)
    fb, mb = lmae.enc_f(xb), lmae.enc_m(xb)
    s = batch["swap"][:, None]
    ma2, mb2 = torch.where(s, mb, ma), torch.where(s, ma, mb)
    ta, tb = xa.clone(), xb.clone()
    ta[:, MOUTH_SLICE] = torch.where(s, xb[:, MOUTH_SLICE], xa[:, MOUTH_SLICE])
    tb[:, MOUTH_SLICE] = torch.where(s, xa[:, MOUTH_SLICE], xb[:, MOUTH_SLICE])
    loss = F.l1_loss(lmae.decode(fa, ma2), ta) + F.l1_loss(lmae.decode(fb, mb2), tb)
    return {"loss": loss}


def augment_mel(x: torch.Tensor, others: torch.Tensor, band_shift: int = 3) -> torch.Tensor:
    """(B, T, 80) natural-log mel power: random gain, noise, band shift (≈ pitch / formant, up to
    ±band_shift bands; 0 = off), time stretch (≈ tempo) and another speaker's audio mixed in,
    each per sample."""
    b, t, m = x.shape
    dev = x.device
    x = x + (torch.rand(b, 1, 1, device=dev) * 2 - 1) * 0.7  # gain ×0.5 … ×2
    # time stretch 0.85 … 1.15 around the window centre
    rate = 0.85 + 0.3 * torch.rand(b, 1, device=dev)
    pos = (torch.arange(t, device=dev)[None] - t / 2) * rate + t / 2
    pos = pos.clamp(0, t - 1)
    lo = pos.floor().long()
    hi = (lo + 1).clamp(max=t - 1)
    w = (pos - lo)[..., None]
    x = (
        torch.gather(x, 1, lo[..., None].expand(-1, -1, m)) * (1 - w)
        + torch.gather(x, 1, hi[..., None].expand(-1, -1, m)) * w
    )
    # band shift −band_shift … +band_shift mel bands (edge bands repeated)
    shift = torch.randint(-band_shift, band_shift + 1, (b,), device=dev)
    idx = (torch.arange(m, device=dev)[None] - shift[:, None]).clamp(0, m - 1)
    x = torch.gather(x, 2, idx[:, None].expand(-1, t, -1))
    power = x.exp()
    level = power.mean((1, 2), keepdim=True)
    # another voice at −20 … −5 dB (half the samples) and white noise at 10 … 40 dB SNR
    mix = (torch.rand(b, 1, 1, device=dev) < 0.5) * 10 ** (
        -(5 + 15 * torch.rand(b, 1, 1, device=dev)) / 10
    )
    other = others.exp()
    power = power + mix * other * level / other.mean((1, 2), keepdim=True)
    snr = 10 ** (-(10 + 30 * torch.rand(b, 1, 1, device=dev)) / 10)
    power = power + snr * level * torch.rand_like(power) * 2
    return power.clamp_min(1e-10).log()


def audio_loss_fn(tau: float, negatives: int, augment: bool = True, band_shift: int = 3):
    def loss_fn(audio, batch):
        b = len(batch["pos"])
        mel = torch.cat([batch["pos"], batch["neg"]])
        if augment:
            mel = augment_mel(mel, batch["others"], band_shift)
        codes = audio(mel, batch["cond"]) if "cond" in batch else audio(mel)
        pos, neg = codes[:b], codes[b:].reshape(b, negatives, -1)
        loss, acc = info_nce(batch["mouth"], pos, neg, tau)
        return {"loss": loss, "acc": acc.detach()}

    return loss_fn


def adversary_loss(head, codes: torch.Tensor, ids: torch.Tensor):
    """A classifier on each frame's code (the person from the expression code, the emotion from
    the lip code), and the encoder's answer to it.

    The head learns to name the class from codes it cannot move (cross-entropy on detached
    codes); the encoder is asked to leave it guessing: the head's prediction, through weights
    it cannot move, should be uniform over the classes (cross-entropy to the uniform
    distribution, Alvi et al. 2018's confusion loss). A reversed gradient (Ganin & Lempitsky)
    was tried first: maximising the head's error, the encoder made it confidently wrong, which
    still tells the person (docs/JEAN.md). codes (B, T, D), ids (B,) → (head loss, confusion
    loss, the head's accuracy)."""
    b, t, d = codes.shape
    flat, target = codes.reshape(b * t, d), ids.repeat_interleave(t)
    logits = head(flat.detach())
    head_loss = F.cross_entropy(logits, target)
    frozen = {k: v.detach() for k, v in head.named_parameters()}
    seen = torch.func.functional_call(head, frozen, (flat,))
    confusion = -F.log_softmax(seen, dim=1).mean()
    return head_loss, confusion, (logits.argmax(1) == target).float().mean()


def expr_loss_fn(
    lip_consistency: float = 0.0,
    lip_contrast: float = 0.0,
    expr_contrast: float = 0.0,
    expr_consistency: float = 0.0,
    identity_adversary: float = 0.0,
    lip_emotion_adversary: float = 0.0,
):
    """Eq. 4: decode (lip of one, expression of the other) → the sequence whose expression
    code was used (swapped with p = 0.8), L1 on standardised features.

    Options beyond the paper (all off by default, recorded in the card when used):
    expression codes read from another time of the same clips (batches with a2 / b2);
    `lip_consistency` × a scale-free L1 between the aligned pair's lip codes, which share the
    sentence but not the emotion; `lip_contrast` × InfoNCE (τ = CONTRAST_TAU) picking each
    frame's aligned partner among the frames of the partner's window (see `frame_contrast`);
    `expr_contrast` × InfoNCE (needs a2 / b2) where a clip's expression code at one time must
    find its own code at another time rather than its partner's (same identity and sentence,
    other emotion), so the code keeps the emotion and drops what changes over time;
    `expr_consistency` × a scale-free L1 between a clip's expression codes at the two times
    (needs a2 / b2), which leaves no room for the current viseme; `identity_adversary` × the
    confusion term of `adversary_loss` on every expression code of the batch (its
    head's own loss at weight 1; needs `expr.identity_head` and the batch's ids_a / ids_b), to
    take the person out of the expression code; `lip_emotion_adversary` the same with an
    emotion classifier on the lip codes (`expr.lip_emotion_head`, emotions_a / emotions_b)."""

    def loss_fn(expr, batch):
        xa, xb = batch["a"], batch["b"]
        other_time = "a2" in batch
        seqs = [xa, xb] + ([batch["a2"], batch["b2"]] if other_time else [])
        lip, e = expr.encode(torch.cat(seqs))
        b = len(xa)
        la, lb = lip[:b], lip[b : 2 * b]
        ea, eb = (e[2 * b : 3 * b], e[3 * b :]) if other_time else (e[:b], e[b : 2 * b])
        s = batch["swap"][:, None, None]
        # swapped: (l_B, e_A) → A and (l_A, e_B) → B; the pair is aligned, so l_A ≈ l_B
        lips = torch.cat([torch.where(s, lb, la), torch.where(s, la, lb)])
        out = expr.decode(lips, torch.cat([ea, eb]))
        target = expr.norm(torch.cat([xa, xb]))
        rec = F.l1_loss(out, target)
        loss = rec
        row = {"rec": rec.detach()}
        if lip_consistency > 0:
            consistency = 2 * (la - lb).abs().mean() / (scale_of(la) + scale_of(lb) + 1e-6)
            loss = loss + lip_consistency * consistency
            row["lip_gap"] = consistency.detach()
        if lip_contrast > 0:
            nce, acc = frame_contrast(la, lb)
            loss = loss + lip_contrast * nce
            row.update(lip_nce=nce.detach(), lip_nce_acc=acc.detach())
        if (expr_contrast > 0 or expr_consistency > 0) and not other_time:
            raise StudioError("expression options need batches with another time (a2 / b2)")
        if expr_consistency > 0:
            now, later = e[: 2 * b].mean(1), torch.cat([ea, eb]).mean(1)
            gap = 2 * (now - later).abs().mean() / (scale_of(now) + scale_of(later) + 1e-6)
            loss = loss + expr_consistency * gap
            row["expr_gap"] = gap.detach()
        if expr_contrast > 0:
            nce, acc = clip_contrast(e[:b].mean(1), e[b : 2 * b].mean(1), ea.mean(1), eb.mean(1))
            loss = loss + expr_contrast * nce
            row.update(expr_nce=nce.detach(), expr_nce_acc=acc.detach())
        if identity_adversary > 0:
            ids = torch.cat([batch["ids_a"], batch["ids_b"]])
            ids = torch.cat([ids, ids]) if other_time else ids
            head_loss, confusion, acc = adversary_loss(expr.identity_head, e, ids)
            loss = loss + head_loss + identity_adversary * confusion
            row.update(id_head=head_loss.detach(), id_confusion=confusion.detach(),
                       id_head_acc=acc.detach())  # fmt: skip
        if lip_emotion_adversary > 0:
            emotions = torch.cat([batch["emotions_a"], batch["emotions_b"]])
            head_loss, confusion, acc = adversary_loss(
                expr.lip_emotion_head, torch.cat([la, lb]), emotions
            )
            loss = loss + head_loss + lip_emotion_adversary * confusion
            row.update(lip_emo_head=head_loss.detach(), lip_emo_confusion=confusion.detach(),
                       lip_emo_head_acc=acc.detach())  # fmt: skip
        bs = F.l1_loss(out[..., :N_BLENDSHAPES], target[..., :N_BLENDSHAPES]).detach()
        return {"loss": loss, "blend_l1": bs, **row}

    return loss_fn


CONTRAST_TAU = 0.1


def scale_of(z: torch.Tensor) -> torch.Tensor:
    """Mean absolute deviation of codes (..., D) from their mean: the L1 options divide by it,
    so shrinking every code does not shrink the loss."""
    flat = z.reshape(-1, z.shape[-1])
    return (flat - flat.mean(0)).abs().mean()


def frame_contrast(za: torch.Tensor, zb: torch.Tensor, tau: float = CONTRAST_TAU):
    """Symmetric InfoNCE within each aligned window pair (B, W, D): frame t of za must pick
    frame t of zb among the W frames of that window. The candidates share identity, sentence
    and emotion, so only what changes over time tells them apart: the viseme, but also the
    position in the window, which the encoder sees (measured in docs/JEAN.md: learnt at once).
    Returns (loss, top-1 accuracy)."""
    logits = F.normalize(za, dim=-1) @ F.normalize(zb, dim=-1).transpose(1, 2) / tau
    b, w, _ = logits.shape
    target = torch.arange(w, device=za.device).repeat(b)
    forward = F.cross_entropy(logits.reshape(b * w, w), target)
    backward = F.cross_entropy(logits.transpose(1, 2).reshape(b * w, w), target)
    accuracy = (logits.argmax(-1).reshape(-1) == target).float().mean()
    return (forward + backward) / 2, accuracy


def clip_contrast(ea, eb, ea2, eb2, tau: float = CONTRAST_TAU):
    """Expression codes (B, D) of clips A and B (same identity and sentence, two emotions) at
    time t and at another time t2: each code must pick its own clip's code at the other time
    over the partner's. Returns (loss, accuracy)."""
    anchors = torch.cat([ea, eb, ea2, eb2])
    own = torch.cat([ea2, eb2, ea, eb])
    partner = torch.cat([eb2, ea2, eb, ea])
    return info_nce(anchors, own, partner[:, None], tau)


expr_loss = expr_loss_fn()  # the paper's loss
