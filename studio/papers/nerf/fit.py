"""Fit the Talking NeRF to one clip (the preset's training frames), with the shared loop.

Each step renders `pairs` pairs of adjacent frames of one sentence (for the velocity loss), one
32² patch of their 64² feature maps each (a 128² window of the 256² frame, the same window for
both frames of a pair), upsamples them to 128² and 256², and takes the papers' losses:
- photometric MSE at both sizes (L_rec; the paper adds a VGG perceptual term: no ImageNet VGG
  here, see the model card), the face oval weighing 1 + `face_weight` and the lower face
  `lower_face_weight` more (a deviation: with the plain MSE the field drew no smile,
  docs/NERF.md);
- velocity, λ_v = 10: (I_t − I_{t−1}) against (GT_t − GT_{t−1}) (Disentangling Head NeRF);
- code disentanglement, λ_dis = 5: each training frame's expression code is JEAN's plus a
  learnable offset, pulled toward JEAN's by ‖offset‖² (the paper pulls its learnable codes toward
  an extractor's);
- mask, λ_m = 1e-3: the rendered m_aa against the lower-face region (AE-NeRF);
- alpha, 0.1: accumulated opacity against the renderer's head mask (a deviation: the papers
  composite over a static background image instead).
Region-wise ray sampling (ε = 0.4) decides which field each ray runs through.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import cv2
import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from studio.eval.images import psnr
from studio.face.mesh import FACE_OVAL
from studio.nn.blocks import weighted_mse
from studio.nn.loop import TrainConfig, train
from studio.papers.nerf.conditioning import preset_codes
from studio.papers.nerf.field import NerfConfig, TalkingNerf
from studio.papers.nerf.preset import Preset
from studio.papers.nerf.rays import camera_in_head, pixel_directions, rays

PATCH = 32  # feature pixels per side of a training patch (a 128² window of the 256² frame)
PATCH_MARGIN = 2  # feature pixels at a patch's border left out of the image losses
ABLATIONS = ("full", "no_dual", "no_rrs", "no_upsampler")
EPSILON = 0.4  # AE-NeRF's region-wise sampling: share of each region's rays run through both
LAMBDA_V, LAMBDA_DIS, LAMBDA_M, LAMBDA_ALPHA = 10.0, 5.0, 1e-3, 0.1
NOSE_BASE = 2  # MediaPipe landmark under the nose tip: the lower face starts here
FACE_OVAL_LOWER = (
    132, 58, 172, 136, 150, 149, 176, 148, 152, 377, 400, 378, 379, 365, 397, 288, 361, 323,
    454, 234, 93,
)  # fmt: skip


@dataclass
class FitOptions:
    steps: int = 6500  # 44.3 min here, the shipped fit (8,000 plain-MSE steps took 64.6 min)
    pairs: int = 2  # adjacent-frame pairs per step (4 frames)
    lr: float = 2e-3
    val_every: int = 250
    seed: int = 0
    ablation: str = "full"  # or one of the papers' ablations: ABLATIONS
    lower_face_weight: float = 4.0  # extra L_rec weight on the lower face (0: the papers' loss)
    face_weight: float = 4.0  # extra L_rec weight on the whole face oval (0: the papers' loss)

    def region_weights(self) -> dict[str, float]:
        """Extra reconstruction weight per region of the batch (`lower`, `face`)."""
        return {"lower": self.lower_face_weight, "face": self.face_weight}


def lower_face_mask(landmarks: np.ndarray, image_size: int, grid: int) -> np.ndarray:
    """(grid²,) float32: the lower face (below the nose base, inside the face oval) at the
    feature map's resolution."""
    pts = landmarks[list(FACE_OVAL_LOWER) + [NOSE_BASE], :2]
    return _hull_mask(pts[pts[:, 1] >= landmarks[NOSE_BASE, 1] - 1e-3], image_size, grid)


def face_mask(landmarks: np.ndarray, image_size: int, grid: int) -> np.ndarray:
    """(grid²,) float32: inside the face oval (brows to chin) at the feature map's resolution."""
    return _hull_mask(landmarks[list(FACE_OVAL), :2], image_size, grid)


def _hull_mask(pts: np.ndarray, image_size: int, grid: int) -> np.ndarray:
    canvas = np.zeros((image_size, image_size), np.float32)
    if len(pts) >= 3:
        hull = cv2.convexHull(np.round(pts).astype(np.int32))
        cv2.fillConvexPoly(canvas, hull, 1.0)
    return cv2.resize(canvas, (grid, grid), interpolation=cv2.INTER_AREA).reshape(-1)


class FitData:
    """The preset's training frames as the loop needs them: rays, targets, regions, codes."""

    def __init__(self, preset: Preset, config: NerfConfig):
        self.preset = preset
        grid, size = config.feature_res, preset["frames"].shape[1]
        codes = preset_codes(preset)
        self.audio = torch.as_tensor(codes["audio"])
        self.expression = torch.as_tensor(codes["expression"])
        self.directions = pixel_directions(preset["intrinsics"], size, grid)
        self.grid, self.size = grid, size
        self.train_index = preset.train_index
        sentence = preset["sentence"]
        t = self.train_index
        self.pair_starts = t[:-1][(np.diff(t) == 1) & (sentence[t[:-1]] == sentence[t[1:]])]
        n = len(preset["pose6"])
        self.lower = np.stack(
            [lower_face_mask(preset["landmarks"][i], size, grid) for i in range(n)]
        )
        self.face = np.stack([face_mask(preset["landmarks"][i], size, grid) for i in range(n)])
        masks = preset["masks"].astype(np.float32) / 255.0
        self.alpha = np.stack(
            [cv2.resize(m, (grid, grid), interpolation=cv2.INTER_AREA).reshape(-1) for m in masks]
        )
        self.targets = {s: _resized(preset["frames"], s) for s in (128, 256)}

    def view_rays(self, t: int, extrinsics=None) -> tuple[torch.Tensor, torch.Tensor]:
        e = self.preset["extrinsics"] if extrinsics is None else extrinsics
        return rays(camera_in_head(self.preset["pose6"][t], e), self.directions)

    def patch_rays(self, frames: np.ndarray, rng: np.random.Generator, patch: int) -> np.ndarray:
        """Ray indices (patch²,) of a square patch of the feature map, on the head 90% of the
        time (its centre drawn from the first frame's head mask), anywhere otherwise."""
        g = self.grid
        on_head = np.flatnonzero(self.alpha[frames[0]] > 0.5)
        if len(on_head) and rng.random() < 0.9:
            cy, cx = divmod(int(rng.choice(on_head)), g)
        else:
            cy, cx = rng.integers(0, g, 2)
        y0 = int(np.clip(cy - patch // 2, 0, g - patch))
        x0 = int(np.clip(cx - patch // 2, 0, g - patch))
        rows, cols = np.meshgrid(
            np.arange(y0, y0 + patch), np.arange(x0, x0 + patch), indexing="ij"
        )
        return (rows * g + cols).reshape(-1)

    def batch(
        self,
        frames: np.ndarray,
        rng: np.random.Generator,
        rrs: bool = True,
        patch: int | None = None,
    ) -> dict:
        """Rays, targets and codes of `frames`: the whole map, or one patch shared by all
        frames (adjacent pairs keep the same window for the velocity loss)."""
        idx = np.arange(self.grid**2) if patch is None else self.patch_rays(frames, rng, patch)
        o, d = zip(*(self.view_rays(int(t)) for t in frames), strict=True)
        o, d = torch.stack(o)[:, idx], torch.stack(d)[:, idx]
        side = int(round(len(idx) ** 0.5))
        y0, x0 = divmod(int(idx[0]), self.grid)
        targets = {}
        for s in (128, 256):
            k = s // self.grid
            crop = self.targets[s][frames, y0 * k : (y0 + side) * k, x0 * k : (x0 + side) * k]
            targets[f"rgb{s}"] = _image_tensor(crop)
        lower = torch.as_tensor(self.lower[frames][:, idx])
        region = (lower > 0.5).long()  # 1: lower face → F_aa; 0: the rest → F_ai
        if rrs:
            both = torch.as_tensor(rng.random(region.shape) < EPSILON)
            region = torch.where(both, torch.full_like(region, 2), region)
        else:
            region = torch.full_like(region, 2)
        return {
            "frames": torch.as_tensor(frames),
            "origins": o,
            "dirs": d,
            "region": region,
            "lower": lower,
            "face": torch.as_tensor(self.face[frames][:, idx]),
            "alpha": torch.as_tensor(self.alpha[frames][:, idx]),
            "audio": self.audio[frames],
            "expression": self.expression[frames],
            "margin": torch.tensor(0.0 if patch is None else PATCH_MARGIN / side),
            **targets,
        }


def _resized(frames: np.ndarray, size: int) -> np.ndarray:
    if frames.shape[1] == size:
        return frames
    return np.stack([cv2.resize(f, (size, size), interpolation=cv2.INTER_AREA) for f in frames])


def _image_tensor(frames: np.ndarray) -> torch.Tensor:
    return torch.as_tensor(frames).permute(0, 3, 1, 2).float() / 255.0


class FitModel(nn.Module):
    """The field plus the per-training-frame expression-code offsets of L_dis."""

    def __init__(self, nerf: TalkingNerf, n_frames: int):
        super().__init__()
        self.nerf = nerf
        self.offsets = nn.Embedding(n_frames, 64)
        nn.init.zeros_(self.offsets.weight)


def render_batch(nerf: TalkingNerf, batch: dict, jitter: bool, expression=None) -> dict:
    """Feature maps of a batch → images at every size up to 256, plus the ray outputs."""
    b, r = batch["origins"].shape[:2]
    expression = batch["expression"] if expression is None else expression
    out = nerf.render_rays(
        batch["origins"].reshape(-1, 3),
        batch["dirs"].reshape(-1, 3),
        batch["audio"].repeat_interleave(r, 0),
        expression.repeat_interleave(r, 0),
        region=batch.get("region", torch.full((b, r), 2)).reshape(-1),
        jitter=jitter,
    )
    g = int(round(r**0.5))
    fmap = out["feature"].view(b, g, g, -1).permute(0, 3, 1, 2)
    if nerf.config.upsampler:
        images = nerf.upsampler.images(fmap, 256)
    else:
        images = {s: nerf.to_image(fmap, s) for s in (128, 256)}
    per_ray = {k: out[k].view(b, r) for k in ("alpha", "mask", "depth")}
    return {"images": images, **per_ray}


def _inner(images: torch.Tensor, margin: float) -> torch.Tensor:
    """A patch without its border, where the upsampler's convolutions saw zero padding
    instead of the neighbouring features a whole-frame render gives them."""
    cut = int(round(images.shape[-1] * margin))
    return images[..., cut : images.shape[-2] - cut, cut : images.shape[-1] - cut]


def pixel_weights(batch: dict, size: int, extra: dict[str, float]) -> torch.Tensor:
    """(B, 1, size, size): 1 everywhere, plus `extra[region]` inside each region (`batch[region]`:
    (B, g²) at the feature map's resolution) — where expression shows in a few pixels."""
    b, r = batch["lower"].shape
    g = int(round(r**0.5))
    w = torch.ones(b, 1, size, size)
    for region, weight in extra.items():
        if weight > 0:
            mask = batch[region].view(b, 1, g, g).float()
            w = w + weight * F.interpolate(mask, size=(size, size), mode="nearest")
    return w


def reconstruction_loss(
    images: dict, batch: dict, margin: float, extra: dict[str, float] | None = None
) -> torch.Tensor:
    """MSE at 128² and 256²; with region weights (`extra`, e.g. {"lower": 4}) each pixel weighs
    1 + its regions' weights, normalised by the mean weight (the plain MSE's scale)."""
    total = torch.zeros(())
    weighted = any(v > 0 for v in (extra or {}).values())
    for s in (128, 256):
        drawn, truth = _inner(images[s], margin), _inner(batch[f"rgb{s}"], margin)
        if weighted:
            w = _inner(pixel_weights(batch, images[s].shape[-1], extra), margin)
            total = total + weighted_mse(drawn, truth, w)
        else:
            total = total + (drawn - truth).pow(2).mean()
    return total


def loss_fn(
    fit: FitModel, batch: dict, region_weights: dict[str, float] | None = None
) -> dict[str, torch.Tensor]:
    expression = batch["expression"] + fit.offsets(batch["frames"])
    out = render_batch(fit.nerf, batch, jitter=True, expression=expression)
    m = float(batch["margin"])
    rec = reconstruction_loss(out["images"], batch, m, region_weights)
    img, gt = _inner(out["images"][256], m), _inner(batch["rgb256"], m)
    velocity = F.mse_loss(img[1::2] - img[0::2], gt[1::2] - gt[0::2])
    dis = fit.offsets(batch["frames"]).pow(2).mean()
    mask = F.mse_loss(out["mask"], batch["lower"])
    alpha = F.mse_loss(out["alpha"], batch["alpha"])
    loss = rec + LAMBDA_V * velocity + LAMBDA_DIS * dis + LAMBDA_M * mask + LAMBDA_ALPHA * alpha
    return {"loss": loss, "rec": rec, "velocity": velocity, "dis": dis, "mask": mask}


def ablation_config(ablation: str) -> NerfConfig:
    if ablation == "no_dual":
        return NerfConfig(dual=False)
    if ablation == "no_upsampler":
        return NerfConfig(upsampler=False, feature_res=64)
    return NerfConfig()


def validation_frames(data: FitData, n: int = 8) -> np.ndarray:
    held = data.preset.held_out_index
    return held[np.linspace(0, len(held) - 1, n).round().astype(int)]


@torch.no_grad()
def held_out_psnr(nerf: TalkingNerf, data: FitData, frames: np.ndarray) -> dict[str, float]:
    batch = data.batch(frames, np.random.default_rng(0), rrs=False)
    out = render_batch(nerf, batch, jitter=False)
    img = out["images"][256].clamp(0, 1).permute(0, 2, 3, 1).numpy()
    gt = data.targets[256][frames].astype(np.float32) / 255.0
    return {
        "psnr256": float(
            np.mean([psnr(a, b, data_range=1.0) for a, b in zip(img, gt, strict=True)])
        )
    }


def write_preview(nerf: TalkingNerf, data: FitData, t: int, path: Path) -> None:
    """GT | render of one held-out frame at 256², as the fit goes."""
    with torch.no_grad():
        out = render_batch(nerf, data.batch(np.array([t]), np.random.default_rng(0), False), False)
    img = (out["images"][256][0].clamp(0, 1).permute(1, 2, 0).numpy() * 255).round()
    both = np.concatenate([data.targets[256][t], img.astype(np.uint8)], 1)
    path.parent.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(path), both[:, :, ::-1])


def fit(
    preset: Preset, options: FitOptions, out_dir: str | Path, resume: bool = False, progress=None
) -> TalkingNerf:
    """Fit a field to `preset`'s training frames; logs, resumable state and preview.png go to
    `out_dir`. Returns the field (eval mode)."""
    torch.manual_seed(options.seed)
    out_dir = Path(out_dir)
    nerf = TalkingNerf(ablation_config(options.ablation))
    data = FitData(preset, nerf.config)
    model = FitModel(nerf, len(preset["pose6"]))
    val_frames = validation_frames(data)
    rrs = options.ablation != "no_rrs" and nerf.config.dual

    def get_batch(step, rng, rank, world):
        starts = rng.choice(data.pair_starts, options.pairs, replace=False)
        return data.batch(np.stack([starts, starts + 1], 1).reshape(-1), rng, rrs, PATCH)

    def validate(m: FitModel) -> dict[str, float]:
        write_preview(m.nerf, data, int(val_frames[len(val_frames) // 2]), out_dir / "preview.png")
        return held_out_psnr(m.nerf, data, val_frames)

    config = TrainConfig(
        steps=options.steps,
        batch_size=2 * options.pairs,
        lr=options.lr,
        weight_decay=0.0,
        warmup=100,
        seed=options.seed,
        log_every=25,
        ckpt_every=250,
        out_dir=str(out_dir),
        val_every=options.val_every,
    )
    (out_dir).mkdir(parents=True, exist_ok=True)
    (out_dir / "fit_options.json").write_text(json.dumps(options.__dict__))
    (out_dir / "nerf_config.json").write_text(json.dumps(nerf.config.to_dict()))
    loss = partial(loss_fn, region_weights=options.region_weights())
    trained = train(model, loss, get_batch, config, resume, progress, validate=validate)
    return trained.nerf.eval()
