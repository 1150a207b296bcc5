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
from studio.papers.nerf.preset import Preset
from studio.papers.nerf.render import FittedNerf
from studio.paths import shown
from studio.provenance import commit

OCCUPANCY_RES = 48
OCCUPANCY_FRAMES = 32  # frames whose codes the grid is the union over


def field_from_run(run: str | Path, config: NerfConfig) -> TalkingNerf:
    """The field of a fit run (runs/…/model.safetensors holds the field and the offsets)."""
    state = load_file(str(Path(run) / "model.safetensors"))
    nerf = TalkingNerf(config)
    nerf.load_state_dict({k[5:]: v for k, v in state.items() if k.startswith("nerf.")})
    return nerf.eval()


def occupancy_of(nerf: TalkingNerf, codes: dict[str, np.ndarray]) -> torch.Tensor:
    idx = np.linspace(0, len(codes["audio"]) - 1, OCCUPANCY_FRAMES).round().astype(int)
    return nerf.occupancy((codes["audio"][idx], codes["expression"][idx]), OCCUPANCY_RES)


def fitted_from_run(preset: Preset, run: str | Path) -> FittedNerf:
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
        occupancy=occupancy_of(nerf, codes),
        emotions=[str(e) for e in preset["emotion"]],
    )


def ship(
    preset: Preset,
    run: str | Path,
    metrics: dict | None = None,
    name: str = "nerf",
    directory=None,
    command: str = "",
) -> Path:
    run = Path(run)
    options = json.loads((run / "fit_options.json").read_text())
    config = NerfConfig(**json.loads((run / "nerf_config.json").read_text()))
    nerf = field_from_run(run, config)
    codes = preset_codes(preset)
    occupancy = occupancy_of(nerf, codes)
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
                "frames": OCCUPANCY_FRAMES,
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
