"""The shared training loop, nanoGPT-style: one function you can read in one sitting.

    config = TrainConfig(steps=1000, batch_size=64, lr=1e-3, out_dir="runs/sync_expert")
    train(model, loss_fn, get_batch, config)

`get_batch(step, generator, rank, world)` returns this rank's share of the batch of `step`;
`loss_fn(model, batch)` returns a dict of scalar tensors with a "loss" entry. Batches and the
torch RNG are seeded from (seed, step, rank), so a run resumed from a checkpoint takes exactly
the steps an uninterrupted run would have taken.

Several optimisers (a GAN's G and D): `train(gan, None, get_batch, config, phases=[Phase("D",
gan.D, d_loss, lr=4e-4), Phase("G", gan.G, g_loss)])`. Each step takes one batch, then runs the
phases in order, each with its own AdamW, LR schedule and grad clipping over its own sub-module
of `model`, the other phases' parameters frozen meanwhile. A phase's `loss_fn(nets, batch)` gets
{phase name: sub-module} (under DDP the running phase's one is wrapped); its losses and lr are
logged as "<phase>/<key>". Parameters in no phase are not trained.
EMA (`ema_decay` > 0): an EMA copy of the parameters (buffers copied), updated after every step;
train() then returns the model with the EMA weights loaded (the raw ones stay in
model.safetensors).
Validation: `validate(model) -> {name: float}` runs on rank 0 every `val_every` steps and after
the last, in eval mode under torch.no_grad, on the unwrapped model (its EMA copy when on); the
values go into that step's log row as "val/<name>", and to `progress`. It does not touch training.

Logging: `<out_dir>/log.jsonl`, one JSON object per logged step (step, losses, lr, seconds).
Checkpoints: `<out_dir>/model.safetensors` (+ `ema.safetensors` with EMA) + `<out_dir>/optim.pt`
(the optimizer's state dict; with phases {phase name: state dict}; tensors and numbers only,
read back with `torch.load(weights_only=True)`) + `<out_dir>/state.json` (the step).
DDP: start with `torchrun --nproc_per_node N ...`; the loop joins the process group (gloo on
CPU, nccl on CUDA), wraps the model (with phases: each phase's module), gives each rank its own
share of the batch, and only rank 0 logs, saves and validates.
"""

from __future__ import annotations

import copy
import gc
import json
import logging
import math
import os
import random
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import numpy as np
import torch
from safetensors.torch import load_file, save_file

log = logging.getLogger(__name__)


class StopTraining(Exception):
    """Raised by a `progress` callback to end training at this step: the loop saves its
    training state first, so that `resume=True` continues from here, then re-raises."""


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
    ema_decay: float = 0.0  # 0 = off; else ema = decay * ema + (1 - decay) * weights each step
    val_every: int = 0  # with a `validate` hook: every N steps and after the last; 0 = last only


LossFn = Callable[[torch.nn.Module, object], dict[str, torch.Tensor]]
PhaseLossFn = Callable[[dict[str, torch.nn.Module], object], dict[str, torch.Tensor]]


@dataclass
class Phase:
    """One optimiser of a multi-optimiser run; the None fields default to the TrainConfig's."""

    name: str  # prefixes its log keys ("D/loss") and keys its optimizer state in optim.pt
    module: torch.nn.Module  # the sub-module of `model` whose parameters this phase trains
    loss_fn: PhaseLossFn  # loss_fn({phase name: module}, batch) -> {"loss": ..., ...}
    lr: float | None = None
    weight_decay: float | None = None
    warmup: int | None = None
    grad_clip: float | None = None
    betas: tuple[float, float] = (0.9, 0.999)  # AdamW's default; GANs often use (0.5, 0.999)

    def config(self, base: TrainConfig) -> TrainConfig:
        """`base` with this phase's overrides: the lr schedule and clipping it runs under."""
        keys = ("lr", "weight_decay", "warmup", "grad_clip")
        return replace(base, **{k: getattr(self, k) for k in keys if getattr(self, k) is not None})


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


Optimizers = torch.optim.Optimizer | dict[str, torch.optim.Optimizer]


def save_training_state(
    out_dir: Path,
    model: torch.nn.Module,
    optim: Optimizers,
    step: int,
    ema: torch.nn.Module | None = None,
) -> None:
    """Write the checkpoint; state.json goes last, so it only names complete checkpoints."""
    out_dir.mkdir(parents=True, exist_ok=True)
    weights = {"model": model} if ema is None else {"model": model, "ema": ema}
    for name, module in weights.items():
        save_file(_state_dict(module), str(out_dir / f"{name}.safetensors.tmp"))
        os.replace(out_dir / f"{name}.safetensors.tmp", out_dir / f"{name}.safetensors")
    if isinstance(optim, dict):
        state = {name: o.state_dict() for name, o in optim.items()}
    else:
        state = optim.state_dict()
    torch.save(state, out_dir / "optim.pt.tmp")
    os.replace(out_dir / "optim.pt.tmp", out_dir / "optim.pt")
    (out_dir / "state.json").write_text(json.dumps({"step": step}))


def load_training_state(
    out_dir: Path,
    model: torch.nn.Module,
    optim: Optimizers,
    device,
    ema: torch.nn.Module | None = None,
) -> int:
    """Restore model + optimizer(s) (+ EMA: from ema.safetensors, else a copy of the restored
    model) from out_dir; returns the step to continue from (0 if none). A single optimizer's
    file and a {name: state} file with one entry load into each other."""
    if not (out_dir / "state.json").exists():
        return 0
    model.load_state_dict(load_file(str(out_dir / "model.safetensors"), device=str(device)))
    state = torch.load(out_dir / "optim.pt", map_location=device, weights_only=True)
    single = isinstance(state.get("param_groups"), list)  # one optimizer's own state dict
    if isinstance(optim, dict):
        if single:
            if len(optim) != 1:
                raise ValueError(f"{out_dir / 'optim.pt'} holds one optimizer, not {len(optim)}")
            state = {next(iter(optim)): state}
        for name, o in optim.items():
            if name not in state:
                raise ValueError(f"{out_dir / 'optim.pt'} has no optimizer {name!r}")
            o.load_state_dict(state[name])
    else:
        if not single and len(state) == 1:
            state = next(iter(state.values()))
        optim.load_state_dict(state)
    if ema is not None:
        path = out_dir / "ema.safetensors"
        ema.load_state_dict(
            load_file(str(path), device=str(device)) if path.exists() else model.state_dict()
        )
    return int(json.loads((out_dir / "state.json").read_text())["step"])


def _to(batch, device):
    if isinstance(batch, torch.Tensor):
        return batch.to(device, non_blocking=True)
    if isinstance(batch, dict):
        return {k: _to(v, device) for k, v in batch.items()}
    if isinstance(batch, (list, tuple)):
        return type(batch)(_to(v, device) for v in batch)
    return batch


def _adamw(module: torch.nn.Module, config: TrainConfig, betas=(0.9, 0.999)):
    """AdamW over the trainable parameters; no weight decay on biases and norm scales."""
    decay = [p for p in module.parameters() if p.requires_grad and p.dim() >= 2]
    no_decay = [p for p in module.parameters() if p.requires_grad and p.dim() < 2]
    return torch.optim.AdamW(
        [
            {"params": decay, "weight_decay": config.weight_decay},
            {"params": no_decay, "weight_decay": 0.0},
        ],
        lr=config.lr,
        betas=betas,
    )


@dataclass
class _Stepper:
    """One optimiser at run time: the single-optimiser run is one with name ""."""

    name: str
    module: torch.nn.Module
    loss_fn: Callable
    config: TrainConfig
    optim: torch.optim.Optimizer
    params: list[torch.nn.Parameter] = field(default_factory=list)
    nets: object = None  # what loss_fn gets: the (wrapped) model, or {phase name: module}

    def key(self, name: str) -> str:
        return f"{self.name}/{name}" if self.name else name


def _steppers(
    model: torch.nn.Module, loss_fn: LossFn | None, phases: list[Phase] | None, config
) -> list[_Stepper]:
    if phases is None:
        if loss_fn is None:
            raise ValueError("train() needs a loss_fn, or phases")
        return [_Stepper("", model, loss_fn, config, _adamw(model, config))]
    if loss_fn is not None:
        raise ValueError("with phases, pass loss_fn=None: each phase has its own loss_fn")
    names = [p.name for p in phases]
    if not phases or "" in names or len(set(names)) != len(names):
        raise ValueError(f"phases need distinct non-empty names, got {names}")
    in_model, seen = {id(p) for p in model.parameters()}, set()
    steppers = []
    for phase in phases:
        params = [p for p in phase.module.parameters() if p.requires_grad]
        ids = {id(p) for p in params}
        if not ids <= in_model:
            raise ValueError(f"phase {phase.name!r}: its module is not part of the model")
        if ids & seen:
            raise ValueError(f"phase {phase.name!r} shares parameters with an earlier phase")
        seen |= ids
        cfg = phase.config(config)
        optim = _adamw(phase.module, cfg, phase.betas)
        steppers.append(_Stepper(phase.name, phase.module, phase.loss_fn, cfg, optim, params))
    return steppers


@contextmanager
def _trains_only(running: _Stepper, steppers: list[_Stepper]) -> Iterator[None]:
    """Freeze the other phases' parameters while one runs (a GAN's G step spends nothing on
    D's gradients, and D's step needs no detach of G's output)."""
    if len(steppers) == 1:
        yield
        return
    for s in steppers:
        for p in s.params:
            p.requires_grad_(s is running)
    try:
        yield
    finally:
        for s in steppers:
            for p in s.params:
                p.requires_grad_(True)


@torch.no_grad()
def _ema_update(ema: torch.nn.Module, model: torch.nn.Module, decay: float) -> None:
    for e, p in zip(ema.parameters(), model.parameters(), strict=True):
        e.lerp_(p, 1.0 - decay)  # exact for parameters that did not move
    for e, b in zip(ema.buffers(), model.buffers(), strict=True):
        e.copy_(b)


def _validate(validate: Callable, module: torch.nn.Module) -> dict[str, float]:
    training = module.training
    module.eval()
    with torch.no_grad():
        values = {f"val/{k}": float(v) for k, v in validate(module).items()}
    module.train(training)
    return values


def train(
    model: torch.nn.Module,
    loss_fn: LossFn | None,
    get_batch: Callable[[int, np.random.Generator, int, int], object],
    config: TrainConfig,
    resume: bool = False,
    progress: Callable[[int, dict], None] | None = None,
    *,
    phases: list[Phase] | None = None,
    validate: Callable[[torch.nn.Module], dict[str, float]] | None = None,
) -> torch.nn.Module:
    """Train `model` for config.steps steps and return it (unwrapped, on its device, in eval
    mode; holding the EMA weights when config.ema_decay > 0).

    resume=True continues from `<out_dir>/state.json` when it exists. With `phases`, loss_fn
    is None. `progress(step, row)` gets every log row.
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
    steppers = _steppers(model, loss_fn, phases, config)
    optim = steppers[0].optim if phases is None else {s.name: s.optim for s in steppers}
    ema = None
    if config.ema_decay > 0:
        ema = copy.deepcopy(model).requires_grad_(False).eval()
    start = load_training_state(out_dir, model, optim, device, ema) if resume else 0
    if not resume and rank == 0 and (out_dir / "log.jsonl").exists():
        (out_dir / "log.jsonl").unlink()  # a fresh run starts a fresh log
    nets = {s.name: s.module for s in steppers}
    if distributed:
        from torch.nn.parallel import DistributedDataParallel

        for s in steppers:
            nets[s.name] = DistributedDataParallel(
                s.module, device_ids=[local_rank] if device.type == "cuda" else None
            )
    for s in steppers:  # a phase calls the others unwrapped: only its own gradients sync
        s.nets = (
            nets[s.name]
            if phases is None
            else {**{o.name: o.module for o in steppers}, s.name: nets[s.name]}
        )
    if rank == 0:
        out_dir.mkdir(parents=True, exist_ok=True)
        record = {**asdict(config), "world": world}
        if phases is not None:
            record["phases"] = [
                {
                    k: getattr(p, k)
                    for k in ("name", "lr", "weight_decay", "warmup", "grad_clip", "betas")
                }
                for p in phases
            ]
        (out_dir / "config.json").write_text(json.dumps(record))
    t0 = time.time()
    if start and (out_dir / "log.jsonl").exists():  # keep `seconds` cumulative over resumes
        rows = [r for r in read_log(out_dir / "log.jsonl") if r["step"] <= start]
        if rank == 0:  # rows logged after the saved state are about to be redone
            (out_dir / "log.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
        t0 -= rows[-1]["seconds"] if rows else 0.0
    model.train()
    for step in range(start, config.steps):
        lrs = {s.key("lr"): lr_at(step, s.config) for s in steppers}
        for s in steppers:
            for group in s.optim.param_groups:
                group["lr"] = lrs[s.key("lr")]
        torch.manual_seed(step_seed(config.seed, step, rank))  # dropout / in-model noise
        rng = np.random.default_rng(step_seed(config.seed, step, rank))
        batch = _to(get_batch(step, rng, rank, world), device)
        losses = {}
        for s in steppers:
            with _trains_only(s, steppers):
                out = s.loss_fn(s.nets, batch)
                s.optim.zero_grad(set_to_none=True)
                out["loss"].backward()
                if s.config.grad_clip > 0:
                    torch.nn.utils.clip_grad_norm_(s.module.parameters(), s.config.grad_clip)
                s.optim.step()
            losses.update({s.key(k): v for k, v in out.items()})
        if ema is not None:
            _ema_update(ema, model, config.ema_decay)
        done = step + 1
        if rank == 0 and (
            done == config.steps or (config.ckpt_every and done % config.ckpt_every == 0)
        ):
            save_training_state(out_dir, model, optim, done, ema)
        validating = (
            rank == 0
            and validate is not None
            and (done == config.steps or (config.val_every and done % config.val_every == 0))
        )
        val = _validate(validate, model if ema is None else ema) if validating else {}
        if rank == 0 and (
            validating or done % config.log_every == 0 or done == config.steps or done == 1
        ):
            row = {"step": done, **{k: float(v.detach()) for k, v in losses.items()}}
            row.update(**lrs, **val, seconds=round(time.time() - t0, 3))
            with open(out_dir / "log.jsonl", "a") as f:
                f.write(json.dumps(row) + "\n")
            if progress is not None:
                try:
                    progress(done, row)
                except StopTraining:
                    save_training_state(out_dir, model, optim, done, ema)
                    raise
    if distributed:
        import torch.distributed as dist

        # Free the DDP wrappers (their reducers sit in reference cycles) while the process group
        # is alive; left to the interpreter's exit they are torn down after it, which can abort.
        for s in steppers:
            s.nets = None
        nets.clear()
        gc.collect()
        dist.barrier()
    if ema is not None:
        model.load_state_dict(ema.state_dict())
    model.eval()
    return model


def read_log(log_path: str | Path) -> list[dict]:
    return [json.loads(line) for line in Path(log_path).read_text().splitlines() if line.strip()]


def loss_curve(log_path: str | Path):
    """A plotly Figure of every loss (and val/ value) in a log.jsonl against the step."""
    import plotly.graph_objects as go

    rows = read_log(log_path)
    fig = go.Figure()
    keys = list(dict.fromkeys(k for r in rows for k in r))  # val/ keys only in some rows
    for key in keys:
        if key in ("step", "lr", "seconds") or key.endswith("/lr"):
            continue
        got = [r for r in rows if key in r]
        fig.add_scatter(x=[r["step"] for r in got], y=[r[key] for r in got], name=key)
    fig.update_layout(xaxis_title="step", yaxis_title="loss", title=str(log_path))
    return fig
