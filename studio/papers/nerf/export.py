"""Ship a fit: the field's weights, the fitted clip's codes / poses / audio and the occupancy
grid in one safetensors file + a model card (`checkpoints/nerf.*`), under 10 MB."""

from __future__ import annotations

import json
import platform
from pathlib import Path

import numpy as np
import torch
from safetensors.torch import load_file

from studio.nn.checkpoints import save_checkpoint
from studio.nn.loop import read_log
from studio.papers.nerf.card import DEVIATIONS, PAPER
from studio.papers.nerf.conditioning import AUDIO_SMOOTH, EXPRESSION_SMOOTH, preset_codes
from studio.papers.nerf.field import NerfConfig, TalkingNerf
from studio.papers.nerf.fit import FitOptions
from studio.papers.nerf.preset import Preset
from studio.papers.nerf.rays import BOX_MAX, BOX_MIN, camera_in_head, pixel_directions, rays
from studio.papers.nerf.render import FittedNerf
from studio.paths import shown
from studio.provenance import commit
from studio.render.camera import Camera

OCCUPANCY_RES = 48
OCCUPANCY_FRAMES = 48  # training views whose visible surfaces the grid keeps
ORBIT_YAWS = (-45, -30, -15, 0, 15, 30, 45)  # and an orbit around the still head, as the tab
ORBIT_PITCHES = (-25, 0, 25)  # sliders reach
MIN_WEIGHT = 1e-2  # a cell whose samples never add 1% to a pixel is empty space


def field_from_run(run: str | Path, config: NerfConfig) -> TalkingNerf:
    """The field of a fit run (runs/…/model.safetensors holds the field and the offsets)."""
    state = load_file(str(Path(run) / "model.safetensors"))
    nerf = TalkingNerf(config)
    nerf.load_state_dict({k[5:]: v for k, v in state.items() if k.startswith("nerf.")})
    return nerf.eval()


@torch.no_grad()
def cell_weights(
    nerf: TalkingNerf, preset: Preset, codes: dict[str, np.ndarray], quick: bool = False
) -> torch.Tensor:
    """(R³,) the largest compositing weight any sample in each cell of the head box got, over
    training views and an orbit around the head (as far as the tab's sliders reach); `quick`:
    4 training views and 3 orbit views (tests)."""
    res = OCCUPANCY_RES
    best = torch.zeros(res**3)
    lo, hi = torch.as_tensor(BOX_MIN), torch.as_tensor(BOX_MAX)
    size = preset["frames"].shape[1]
    dirs = pixel_directions(preset["intrinsics"], size, nerf.config.feature_res)
    train = preset.train_index
    n = 4 if quick else OCCUPANCY_FRAMES
    picked = train[np.linspace(0, len(train) - 1, n).round().astype(int)]
    views = [(preset["pose6"][t], preset["extrinsics"], t) for t in picked]
    middle = int(train[len(train) // 2])
    for yaw in (-30, 0, 30) if quick else ORBIT_YAWS:
        for pitch in (0,) if quick else ORBIT_PITCHES:
            camera = Camera(size=size, yaw_deg=yaw, pitch_deg=pitch)
            views.append((np.zeros(6), camera.extrinsics(), middle))
    for pose6, extrinsics, t in views:
        o, d = rays(camera_in_head(pose6, extrinsics), dirs)
        a = torch.as_tensor(codes["audio"][t]).expand(len(o), -1)
        e = torch.as_tensor(codes["expression"][t]).expand(len(o), -1)
        w = nerf.render_rays(o, d, a, e)["weights"].reshape(-1)
        pts, _, _ = nerf.sample_points(o, d, jitter=False)
        cell = ((pts.reshape(-1, 3) - lo) / (hi - lo) * res).long().clamp(0, res - 1)
        best.scatter_reduce_(0, (cell[:, 0] * res + cell[:, 1]) * res + cell[:, 2], w, "amax")
    return best


def occupancy_of(
    nerf: TalkingNerf, preset: Preset, codes: dict[str, np.ndarray], quick: bool = False
) -> torch.Tensor:
    """(R, R, R) bool: the cells where rendering weight lands (above MIN_WEIGHT). Density the
    camera never sees (inside the head, faint fog) is left out, so the renderer skips it."""
    best = cell_weights(nerf, preset, codes, quick)
    res = OCCUPANCY_RES
    return (best > MIN_WEIGHT).view(res, res, res)


def fitted_from_run(preset: Preset, run: str | Path, quick: bool = False) -> FittedNerf:
    """A fit run read as the renderer reads a shipped checkpoint (for ablations, unshipped)."""
    run = Path(run)
    config = NerfConfig(**json.loads((run / "nerf_config.json").read_text()))
    nerf = field_from_run(run, config)
    codes = preset_codes(preset)
    steps = read_log(run / "log.jsonl")[-1]["step"]
    return FittedNerf(
        nerf=nerf,
        card={"config": config.to_dict(), "training": {"steps": steps}, "data": {}},
        audio_codes=codes["audio"],
        expression_codes=codes["expression"],
        pose6=preset["pose6"],
        audio=preset["audio"],
        occupancy=occupancy_of(nerf, preset, codes, quick),
        emotions=[str(e) for e in preset["emotion"]],
    )


FLAGS = ("steps", "seed", "ablation", "lower_face_weight", "face_weight")  # `fit`'s options


def fit_command(clip: str | Path, run: str | Path) -> str:
    """The `fit` command that made `run`, with the options that differ from today's defaults
    (read from its fit_options.json), for the card."""
    options = json.loads((Path(run) / "fit_options.json").read_text())
    flags = [
        f"--{key.replace('_', '-')} {value:g}" if isinstance(value, float) else f"--{key} {value}"
        for key, value in options.items()
        if key in FLAGS and value != getattr(FitOptions, key)
    ]
    return " ".join([f"python -m studio.nerf fit {clip} --out {run}", *flags])


def ship(
    preset: Preset,
    run: str | Path,
    metrics: dict | None = None,
    name: str = "nerf",
    directory=None,
    command: str = "",
    quick: bool = False,
) -> Path:
    run = Path(run)
    options = json.loads((run / "fit_options.json").read_text())
    config = NerfConfig(**json.loads((run / "nerf_config.json").read_text()))
    nerf = field_from_run(run, config)
    codes = preset_codes(preset)
    occupancy = occupancy_of(nerf, preset, codes, quick)
    audio = np.clip(np.round(preset["audio"] * 32767), -32768, 32767).astype(np.int16)
    state = {
        **nerf.state_dict(),
        "clip_audio_codes": torch.as_tensor(codes["audio"]),
        "clip_expression_codes": torch.as_tensor(codes["expression"]),
        "clip_pose6": torch.as_tensor(preset["pose6"]),
        "clip_audio": torch.as_tensor(audio),
        "occupancy": occupancy.to(torch.uint8),
    }
    log = read_log(run / "log.jsonl")
    card = {
        "name": name,
        "paper": PAPER,
        "version": 1,
        "config": config.to_dict(),
        "data": {
            "preset": shown(preset.folder),
            "preset_config": preset.manifest["config"],
            "frames": preset.manifest["frames"],
            "train_frames": preset.manifest["train_frames"],
            "held_out_frames": preset.manifest["held_out_frames"],
            "frame_emotions": [str(e) for e in preset["emotion"]],
            "held_out": [bool(h) for h in preset["held_out"]],
            "smoothing_frames": {"audio": AUDIO_SMOOTH, "expression": EXPRESSION_SMOOTH},
            "occupancy": {
                "res": OCCUPANCY_RES,
                "views": OCCUPANCY_FRAMES + len(ORBIT_YAWS) * len(ORBIT_PITCHES),
                "occupied": float(occupancy.float().mean()),
            },
        },  # fmt: skip
        "training": {
            "options": options,
            "steps": log[-1]["step"] if log else 0,
            "minutes": round(log[-1]["seconds"] / 60, 1) if log else 0.0,
            "machine": platform.processor() or platform.machine(),
            "threads": torch.get_num_threads(),
            "commit": commit(),
            "command": command or f"python -m studio.nerf fit {shown(preset.folder)}",
            "curve": [
                {
                    "step": r["step"],
                    "minutes": round(r["seconds"] / 60, 2),
                    "psnr256": round(r["val/psnr256"], 2),
                }
                for r in log
                if "val/psnr256" in r
            ],  # fmt: skip
        },
        "metrics": metrics or {},
        "deviations": DEVIATIONS,
    }
    return save_checkpoint(name, state, card, directory)
