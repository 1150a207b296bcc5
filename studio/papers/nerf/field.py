"""The Talking NeRF: a tri-plane dual field that renders a low-resolution feature map, and a
conv upsampler that turns it into the image.

- Tri-plane features (three axis-aligned planes over the head box, pure PyTorch `grid_sample`)
  stand in for the papers' deep positional-encoding MLPs: the only way a field renders live on
  a CPU (`../shared/notes/cpu-speed-facts.md`).
- **Dual field** (AE-NeRF): an audio-associated field F_aa(x, d, audio code, expression code)
  and an audio-independent field F_ai(x, d, expression code), each giving density, a feature and
  a mask value. Where both run, σ = σ_aa + σ_ai and f = m_aa f_aa + m_ai f_ai. Region-wise ray
  sampling sends lower-face rays through F_aa, the others through F_ai, and a random ε of each
  region through both (`region` argument of `render_features`).
- **Feature map + 2D upsampler** (Disentangling Head NeRF): volume rendering gives a
  `feature_dim`-channel map at `feature_res`², and stride-2 conv stages lift it to 128² and
  256² images.
- Conditioning: JEAN's per-frame audio code (the lip-sync feature, trained with InfoNCE against
  the mouth as the paper's F_lip) and expression code, each projected to `code_dim`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from studio.papers.nerf.rays import BOX_MAX, BOX_MIN, box_bounds

NAME = "nerf"
CODE_DIM = 64  # JEAN's audio and expression codes


@dataclass
class NerfConfig:
    plane_res: int = 128
    plane_channels: int = 16
    hidden: int = 64
    feature_dim: int = 24
    code_dim: int = 16
    samples: int = 32
    feature_res: int = 64  # rays per side of the rendered feature map
    dual: bool = True  # False: one field sees both codes (the ablation without the dual field)
    upsampler: bool = True  # False: the field renders colour at every output pixel (ablation)

    def to_dict(self) -> dict:
        return asdict(self)


def _mlp(n_in: int, hidden: int, n_out: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Linear(n_in, hidden), nn.SiLU(), nn.Linear(hidden, hidden), nn.SiLU(),
        nn.Linear(hidden, n_out),
    )  # fmt: skip


class TriPlane(nn.Module):
    """Three feature planes (xy, xz, yz) over the head box; a point's feature is the
    concatenation of its three bilinear samples."""

    GAIN = 5.0  # planes are stored / GAIN: Adam then moves them 5× faster than the MLPs,
    # the usual higher learning rate for grid features, under one optimiser

    def __init__(self, res: int, channels: int):
        super().__init__()
        self.planes = nn.Parameter(torch.randn(3, channels, res, res) * 0.1 / self.GAIN)
        self.register_buffer("lo", torch.as_tensor(BOX_MIN))
        self.register_buffer("hi", torch.as_tensor(BOX_MAX))

    def forward(self, points: torch.Tensor) -> torch.Tensor:
        """(N, 3) head-frame points (cm) → (N, 3·channels)."""
        u = (points - self.lo) / (self.hi - self.lo) * 2 - 1
        coords = torch.stack([u[:, [0, 1]], u[:, [0, 2]], u[:, [1, 2]]])  # (3, N, 2)
        out = F.grid_sample(
            self.planes * self.GAIN, coords[:, :, None], align_corners=False, padding_mode="border"
        )  # (3, C, N, 1)
        return out[..., 0].permute(2, 0, 1).flatten(1)


class FieldHead(nn.Module):
    """One field's MLP: tri-plane feature + view direction + codes → σ, feature, mask logit."""

    def __init__(self, n_in: int, hidden: int, feature_dim: int):
        super().__init__()
        self.net = _mlp(n_in, hidden, feature_dim + 2)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        out = self.net(x)
        return F.softplus(out[:, 0] - 1.0), out[:, 1:-1], out[:, -1]


class Upsampler(nn.Module):
    """Feature map → images: conv stages, each doubling the side; an RGB head per stage from the
    first one at ≥ 128² (so a 128² frame stops early and a 256² frame runs one more stage)."""

    WIDTHS = (48, 32, 16)  # channels of the stages that end at 64², 128², 256²

    def __init__(self, feature_dim: int, feature_res: int, stem: int = 48):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(feature_dim, stem, 3, padding=1), nn.LeakyReLU(0.2))
        self.stages = nn.ModuleList()
        self.to_rgb = nn.ModuleDict()
        c, res = stem, feature_res
        n_stages = int(np.log2(256 // feature_res))
        for w in self.WIDTHS[len(self.WIDTHS) - n_stages :]:
            self.stages.append(
                nn.Sequential(
                    nn.Upsample(scale_factor=2, mode="bilinear", align_corners=False),
                    nn.Conv2d(c, w, 3, padding=1),
                    nn.LeakyReLU(0.2),
                    nn.Conv2d(w, w, 3, padding=1),
                    nn.LeakyReLU(0.2),
                )  # fmt: skip
            )
            c, res = w, res * 2
            if res >= 128:
                self.to_rgb[str(res)] = nn.Conv2d(w, 3, 1)
        self.full_res = feature_res

    def images(self, features: torch.Tensor, largest: int = 256) -> dict[int, torch.Tensor]:
        """Every RGB head's image up to `largest` px, from one pass: {side: (B, 3, s, s)};
        sizes are those of a whole feature map (a patch gives the same scale factors)."""
        x, res, out = self.stem(features), self.full_res, {}
        for stage in self.stages:
            if res * 2 > largest:
                break
            x = stage(x)
            res *= 2
            if str(res) in self.to_rgb:
                out[res] = torch.sigmoid(self.to_rgb[str(res)](x))
        return out

    def forward(self, features: torch.Tensor, size: int) -> torch.Tensor:
        """(B, C, r, r) → (B, 3, size, size) in [0, 1]; size is one of the RGB heads'."""
        x, res = self.stem(features), self.full_res
        for stage in self.stages:
            x = stage(x)
            res *= 2
            if res == size and str(res) in self.to_rgb:
                return torch.sigmoid(self.to_rgb[str(res)](x))
        raise ValueError(f"the upsampler makes {sorted(map(int, self.to_rgb))} px, not {size}")


class TalkingNerf(nn.Module):
    def __init__(self, config: NerfConfig | None = None):
        super().__init__()
        self.config = c = config or NerfConfig()
        self.planes = TriPlane(c.plane_res, c.plane_channels)
        self.audio_proj = nn.Linear(CODE_DIM, c.code_dim)
        self.expr_proj = nn.Linear(CODE_DIM, c.code_dim)
        n_point = 3 * c.plane_channels + 3  # tri-plane feature + view direction
        out_dim = c.feature_dim if c.upsampler else 3
        if c.dual:
            self.f_aa = FieldHead(n_point + 2 * c.code_dim, c.hidden, out_dim)
            self.f_ai = FieldHead(n_point + c.code_dim, c.hidden, out_dim)
        else:
            self.f_one = FieldHead(n_point + 2 * c.code_dim, c.hidden, out_dim)
        self.background = nn.Parameter(torch.zeros(out_dim))
        if c.upsampler:
            self.upsampler = Upsampler(c.feature_dim, c.feature_res)

    # -- sampling -------------------------------------------------------------------------------
    def sample_points(
        self, origins: torch.Tensor, dirs: torch.Tensor, jitter: bool
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Points (R, S, 3), their distances (R, S) and segment lengths (R, S) inside the box."""
        near, far = box_bounds(origins, dirs)
        far = torch.maximum(far, near + 1e-3)
        s = self.config.samples
        steps = (torch.arange(s, dtype=torch.float32) + 0.5) / s
        if jitter:
            steps = steps + (torch.rand(len(origins), s) - 0.5) / s
        t = near[:, None] + (far - near)[:, None] * steps
        delta = ((far - near) / s)[:, None].expand_as(t)
        return origins[:, None] + dirs[:, None] * t[..., None], t, delta

    # -- the field ------------------------------------------------------------------------------
    def field(
        self,
        points: torch.Tensor,
        dirs: torch.Tensor,
        audio: torch.Tensor,
        expr: torch.Tensor,
        use_aa: torch.Tensor | None = None,
        use_ai: torch.Tensor | None = None,
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """σ (N,), feature (N, F), mask m_aa (N,) at points (N, 3) with per-point view
        direction, audio and expression projections (N, ·). use_aa / use_ai (N,) bool pick
        the points each field runs on (region-wise sampling); None: both everywhere."""
        base = torch.cat([self.planes(points), dirs], -1)
        if not self.config.dual:
            sigma, feat, _ = self.f_one(torch.cat([base, audio, expr], -1))
            return sigma, feat, torch.zeros_like(sigma)
        n = len(points)
        use_aa = torch.ones(n, dtype=torch.bool) if use_aa is None else use_aa
        use_ai = torch.ones(n, dtype=torch.bool) if use_ai is None else use_ai
        sigma = points.new_zeros(n)
        feat = points.new_zeros(n, self.background.shape[0])
        m_aa = points.new_zeros(n)
        both = use_aa & use_ai
        ia, ii = use_aa.nonzero()[:, 0], use_ai.nonzero()[:, 0]
        s_a, f_a, l_a = self.f_aa(torch.cat([base, audio, expr], -1).index_select(0, ia))
        s_i, f_i, l_i = self.f_ai(torch.cat([base, expr], -1).index_select(0, ii))
        m_a, m_i = torch.sigmoid(l_a), torch.sigmoid(l_i)
        # Only one field on a point: its own output. Both: σ adds, features blend by the masks.
        weight_a = torch.where(both[ia], m_a, torch.ones_like(m_a))
        weight_i = torch.where(both[ii], m_i, torch.ones_like(m_i))
        sigma = sigma.index_add(0, ia, s_a).index_add(0, ii, s_i)
        feat = feat.index_add(0, ia, f_a * weight_a[:, None]).index_add(
            0, ii, f_i * weight_i[:, None]
        )
        m_aa = m_aa.index_add(0, ia, torch.where(both[ia], m_a, torch.ones_like(m_a)))
        m_aa = m_aa.index_add(0, ii, torch.where(both[ii], 1 - m_i, torch.zeros_like(m_i)))
        m_aa = torch.where(both, m_aa / 2, m_aa)  # both fields vote on the mask
        return sigma, feat, m_aa

    def render_rays(
        self,
        origins: torch.Tensor,
        dirs: torch.Tensor,
        audio: torch.Tensor,
        expr: torch.Tensor,
        region: torch.Tensor | None = None,
        jitter: bool = False,
        keep: Callable[[torch.Tensor], torch.Tensor] | None = None,
    ) -> dict[str, torch.Tensor]:
        """Volume-render rays (R, 3) with per-ray codes (R, 64). region (R,) int: 0 = F_ai
        only, 1 = F_aa only, 2 = both (None: both). keep(points (R, S, 3)) → (R, S) bool:
        the samples worth evaluating (an occupancy grid's answer); the rest are empty space.
        Returns feature (R, F), alpha (R,), mask (R,) (rendered m_aa), depth (R,) and each
        sample's compositing weight (R, S)."""
        pts, t, delta = self.sample_points(origins, dirs, jitter)
        r, s = t.shape
        a = self.audio_proj(audio)[:, None].expand(r, s, -1)
        e = self.expr_proj(expr)[:, None].expand(r, s, -1)
        d = dirs[:, None].expand(r, s, 3)
        use_aa = use_ai = None
        if region is not None:
            reg = region[:, None].expand(r, s).reshape(-1)
            use_aa, use_ai = reg >= 1, reg != 1
        if keep is None:  # every sample (training)
            sig, feat, m = self.field(
                pts.reshape(-1, 3), d.reshape(-1, 3), a.reshape(r * s, -1),
                e.reshape(r * s, -1), use_aa, use_ai,
            )  # fmt: skip
            sigma, features, mask = sig.view(r, s), feat.view(r, s, -1), m.view(r, s)
        else:  # only the samples the occupancy grid keeps (rendering)
            idx = keep(pts).reshape(-1).nonzero()[:, 0]
            sig, feat, m = self.field(
                pts.reshape(-1, 3)[idx], d.reshape(-1, 3)[idx], a.reshape(r * s, -1)[idx],
                e.reshape(r * s, -1)[idx],
                None if use_aa is None else use_aa[idx],
                None if use_ai is None else use_ai[idx],
            )  # fmt: skip
            sigma = pts.new_zeros(r * s).index_copy(0, idx, sig).view(r, s)
            features = pts.new_zeros(r * s, feat.shape[1]).index_copy(0, idx, feat).view(r, s, -1)
            mask = pts.new_zeros(r * s).index_copy(0, idx, m).view(r, s)
        alpha = 1 - torch.exp(-sigma * delta)
        trans = torch.cumprod(torch.cat([alpha.new_ones(r, 1), 1 - alpha + 1e-7], 1), 1)[:, :-1]
        w = alpha * trans
        acc = w.sum(1)
        out = (w[..., None] * features).sum(1) + (1 - acc)[:, None] * self.background
        return {
            "feature": out, "alpha": acc, "mask": (w * mask).sum(1), "depth": (w * t).sum(1),
            "weights": w,
        }  # fmt: skip

    def to_image(self, feature_map: torch.Tensor, size: int) -> torch.Tensor:
        """(B, F, r, r) rendered features → RGB in [0, 1] at the scale of a `size` frame
        ((B, 3, size, size) for a whole map; a patch keeps its share of the frame)."""
        if not self.config.upsampler:  # the ablation: colour rays, bilinearly enlarged
            scale = size // self.config.feature_res
            rgb = torch.sigmoid(feature_map)
            if scale == 1:
                return rgb
            return F.interpolate(rgb, scale_factor=scale, mode="bilinear", align_corners=False)
        return self.upsampler(feature_map, size)
