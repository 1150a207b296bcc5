"""The shared training loop, nanoGPT-style: one function you can read in one sitting.

    config = TrainConfig(steps=1000, batch_size=64, lr=1e-3, out_dir="runs/sync_expert")
    train(model, loss_fn, get_batch, config)

`get_batch(step, generator, rank, world)` returns this rank's share of the batch of `step`;
`loss_fn(model, batch)` returns a dict of scalar tensors with a "loss" entry. Batches and the
torch RNG are seeded from (seed, step, rank), so a run resumed from a checkpoint takes exactly
the steps an uninterrupted run would have taken.

Logging: `<out_dir>/log.jsonl`, one JSON object per logged step (step, losses, lr, seconds).
Checkpoints: `<out_dir>/model.safetensors` + `<out_dir>/optim.pt` (tensors and numbers only,
read back with `torch.load(weights_only=True)`) + `<out_dir>/state.json` (the step).
DDP: start with `torchrun --nproc_per_node N ...`; the loop joins the process group (gloo on
CPU, nccl on CUDA), wraps the model, gives each rank its own share of the batch, and only rank
0 logs and saves.
"""

from __future__ import annotations

import json
import logging
import math
import os
import random
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch
from safetensors.torch import load_file, save_file

log = logging.getLogger(__name__)


@dataclass
class TrainConfig:
    steps: int = 1000
    batch_size: int = 64  # global batch; each DDP rank gets batch_size // world
    lr: float = 1e-3
    weight_decay: float = 1e-4
    warmup: int = 50  # linear warm-up steps, then cosine decay to lr * min_lr_ratio
    min_lr_ratio: float = 0.05
    grad_clip: float = 1.0  # 0 = off
    seed: int = 0
    log_every: int = 20
    ckpt_every: int = 500  # 0 = only at the end
    device: str = "auto"  # auto = CUDA if available else CPU
    out_dir: str = "runs/train"


def set_seed(seed: int) -> None:
    """Seed Python, numpy and torch (all devices)."""
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


def resolve_device(name: str) -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(name)


def lr_at(step: int, config: TrainConfig) -> float:
    """Linear warm-up, then cosine decay (nanoGPT's schedule)."""
    if step < config.warmup:
        return config.lr * (step + 1) / config.warmup
    progress = (step - config.warmup) / max(1, config.steps - config.warmup)
    coeff = 0.5 * (1.0 + math.cos(math.pi * min(1.0, progress)))
    return config.lr * (config.min_lr_ratio + (1 - config.min_lr_ratio) * coeff)


def step_seed(seed: int, step: int, rank: int = 0) -> int:
    return int(np.random.SeedSequence([seed, step, rank]).generate_state(1)[0])


def _dist_env() -> tuple[int, int, int]:
    """(rank, local_rank, world) from torchrun's environment; (0, 0, 1) without it."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    return int(os.environ.get("RANK", "0")), int(os.environ.get("LOCAL_RANK", "0")), world


def _state_dict(model: torch.nn.Module) -> dict[str, torch.Tensor]:
    return {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}


def save_training_state(out_dir: Path, model: torch.nn.Module, optim, step: int) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    save_file(_state_dict(model), str(out_dir / "model.safetensors.tmp"))
    os.replace(out_dir / "model.safetensors.tmp", out_dir / "model.safetensors")
    torch.save(optim.state_dict(), out_dir / "optim.pt.tmp")
    os.replace(out_dir / "optim.pt.tmp", out_dir / "optim.pt")
    (out_dir / "state.json").write_text(json.dumps({"step": step}))


def load_training_state(out_dir: Path, model: torch.nn.Module, optim, device) -> int:
    """Restore model + optimizer from out_dir; returns the step to continue from (0 if none)."""
    if not (out_dir / "state.json").exists():
        return 0
    model.load_state_dict(load_file(str(out_dir / "model.safetensors"), device=str(device)))
    optim.load_state_dict(torch.load(out_dir / "optim.pt", map_location=device, weights_only=True))
    return int(json.loads((out_dir / "state.json").read_text())["step"])


def _to(batch, device):
    if isinstance(batch, torch.Tensor):
        return batch.to(device, non_blocking=True)
    if isinstance(batch, dict):
        return {k: _to(v, device) for k, v in batch.items()}
    if isinstance(batch, (list, tuple)):
        return type(batch)(_to(v, device) for v in batch)
    return batch


def train(
    model: torch.nn.Module,
    loss_fn: Callable[[torch.nn.Module, object], dict[str, torch.Tensor]],
    get_batch: Callable[[int, np.random.Generator, int, int], object],
    config: TrainConfig,
    resume: bool = False,
    progress: Callable[[int, dict], None] | None = None,
) -> torch.nn.Module:
    """Train `model` for config.steps steps and return it (unwrapped, on its device).

    resume=True continues from `<out_dir>/state.json` when it exists.
    """
    rank, local_rank, world = _dist_env()
    distributed = world > 1
    device = resolve_device(config.device)
    if distributed:
        import torch.distributed as dist

        backend = "nccl" if device.type == "cuda" else "gloo"
        if not dist.is_initialized():
            dist.init_process_group(backend)
        if device.type == "cuda":
            device = torch.device("cuda", local_rank)
            torch.cuda.set_device(device)
    set_seed(config.seed)
    out_dir = Path(config.out_dir)
    model.to(device)
    decay = [p for p in model.parameters() if p.requires_grad and p.dim() >= 2]
    no_decay = [p for p in model.parameters() if p.requires_grad and p.dim() < 2]
    optim = torch.optim.AdamW(
        [
            {"params": decay, "weight_decay": config.weight_decay},
            {"params": no_decay, "weight_decay": 0.0},
        ],
        lr=config.lr,
    )
    start = load_training_state(out_dir, model, optim, device) if resume else 0
    if not resume and rank == 0 and (out_dir / "log.jsonl").exists():
        (out_dir / "log.jsonl").unlink()  # a fresh run starts a fresh log
    net = model
    if distributed:
        from torch.nn.parallel import DistributedDataParallel

        net = DistributedDataParallel(
            model, device_ids=[local_rank] if device.type == "cuda" else None
        )
    if rank == 0:
        out_dir.mkdir(parents=True, exist_ok=True)
        (out_dir / "config.json").write_text(json.dumps({**asdict(config), "world": world}))
    t0 = time.time()
    if start and (out_dir / "log.jsonl").exists():  # keep `seconds` cumulative over resumes
        rows = read_log(out_dir / "log.jsonl")
        t0 -= rows[-1]["seconds"] if rows else 0.0
    model.train()
    for step in range(start, config.steps):
        lr = lr_at(step, config)
        for group in optim.param_groups:
            group["lr"] = lr
        torch.manual_seed(step_seed(config.seed, step, rank))  # dropout / in-model noise
        rng = np.random.default_rng(step_seed(config.seed, step, rank))
        batch = _to(get_batch(step, rng, rank, world), device)
        losses = loss_fn(net, batch)
        optim.zero_grad(set_to_none=True)
        losses["loss"].backward()
        if config.grad_clip > 0:
            torch.nn.utils.clip_grad_norm_(model.parameters(), config.grad_clip)
        optim.step()
        done = step + 1
        if rank == 0 and (
            done == config.steps or (config.ckpt_every and done % config.ckpt_every == 0)
        ):
            save_training_state(out_dir, model, optim, done)
        if rank == 0 and (done % config.log_every == 0 or done == config.steps or done == 1):
            row = {"step": done, **{k: float(v.detach()) for k, v in losses.items()}}
            row.update(lr=lr, seconds=round(time.time() - t0, 3))
            with open(out_dir / "log.jsonl", "a") as f:
                f.write(json.dumps(row) + "\n")
            if progress is not None:
                progress(done, row)
    if distributed:
        import torch.distributed as dist

        dist.barrier()
    model.eval()
    return model


def read_log(log_path: str | Path) -> list[dict]:
    return [json.loads(line) for line in Path(log_path).read_text().splitlines() if line.strip()]


def loss_curve(log_path: str | Path):
    """A plotly Figure of every loss in a log.jsonl against the step."""
    import plotly.graph_objects as go

    rows = read_log(log_path)
    fig = go.Figure()
    keys = [k for k in (rows[0] if rows else {}) if k not in ("step", "lr", "seconds")]
    for key in keys:
        fig.add_scatter(x=[r["step"] for r in rows], y=[r.get(key) for r in rows], name=key)
    fig.update_layout(xaxis_title="step", yaxis_title="loss", title=str(log_path))
    return fig
