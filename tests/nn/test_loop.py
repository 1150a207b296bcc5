"""The shared loop: learning, logging, exact resume, DDP under torchrun."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

from studio.nn.loop import TrainConfig, loss_curve, lr_at, read_log, train

ROOT = Path(__file__).resolve().parents[2]
W_TRUE = torch.tensor([[1.5, -2.0, 0.5, 3.0]])


def make_model():
    torch.manual_seed(0)
    return torch.nn.Sequential(
        torch.nn.Linear(4, 16), torch.nn.Dropout(0.1), torch.nn.Linear(16, 1)
    )


def get_batch(step, rng, rank, world):
    x = torch.as_tensor(rng.normal(size=(32 // world, 4)), dtype=torch.float32)
    return {"x": x, "y": x @ W_TRUE.T}


def loss_fn(model, batch):
    return {"loss": torch.nn.functional.mse_loss(model(batch["x"]), batch["y"])}


def config(tmp_path, **kw):
    base = dict(
        steps=60,
        batch_size=32,
        lr=2e-2,
        warmup=5,
        log_every=5,
        ckpt_every=30,
        out_dir=str(tmp_path / "run"),
        device="cpu",
    )
    return TrainConfig(**{**base, **kw})


def test_loss_falls_and_log_is_written(tmp_path):
    train(make_model(), loss_fn, get_batch, config(tmp_path))
    rows = read_log(tmp_path / "run" / "log.jsonl")
    assert rows[0]["step"] == 1 and rows[-1]["step"] == 60
    assert {"loss", "lr", "seconds"} <= set(rows[-1])
    assert rows[-1]["loss"] < 0.2 * rows[0]["loss"]
    fig = loss_curve(tmp_path / "run" / "log.jsonl")
    assert fig.data[0].name == "loss" and len(fig.data[0].x) == len(rows)
    assert (tmp_path / "run" / "model.safetensors").exists()
    assert json.loads((tmp_path / "run" / "state.json").read_text())["step"] == 60


def test_lr_schedule_warms_up_then_decays():
    c = TrainConfig(steps=100, lr=1.0, warmup=10, min_lr_ratio=0.1)
    assert lr_at(0, c) == pytest.approx(0.1) and lr_at(9, c) == pytest.approx(1.0)
    assert lr_at(55, c) < lr_at(20, c) and lr_at(99, c) >= 0.1


class Interrupt(Exception):
    pass


def test_resume_matches_an_uninterrupted_run(tmp_path):
    whole = train(make_model(), loss_fn, get_batch, config(tmp_path / "a"))

    def stop_after_30(step, row):
        if step == 30:
            raise Interrupt

    cfg = config(tmp_path / "b")
    with pytest.raises(Interrupt):  # dies right after the step-30 log line
        train(make_model(), loss_fn, get_batch, cfg, progress=stop_after_30)
    assert json.loads((Path(cfg.out_dir) / "state.json").read_text())["step"] == 30
    resumed = train(make_model(), loss_fn, get_batch, cfg, resume=True)
    steps = [r["step"] for r in read_log(Path(cfg.out_dir) / "log.jsonl")]
    assert steps[steps.index(30) + 1] == 35  # the count continues, not restarts
    for (k, a), b in zip(whole.state_dict().items(), resumed.state_dict().values(), strict=True):
        assert torch.equal(a, b), k


DDP_SCRIPT = textwrap.dedent(
    """
    import sys, torch
    sys.path.insert(0, {root!r}); sys.path.insert(0, {here!r})
    import torch.distributed as dist
    from test_loop import make_model, loss_fn, get_batch
    from studio.nn.loop import TrainConfig, train
    model = train(make_model(), loss_fn, get_batch, TrainConfig(
        steps=20, batch_size=32, lr=2e-2, warmup=2, log_every=5, ckpt_every=0,
        out_dir={out!r}, device="cpu"))
    flat = torch.cat([p.detach().flatten() for p in model.parameters()])
    gathered = [torch.zeros_like(flat) for _ in range(dist.get_world_size())]
    dist.all_gather(gathered, flat)
    assert torch.equal(gathered[0], gathered[1]), "ranks diverged"
    print("rank", dist.get_rank(), "world", dist.get_world_size(), "ok", flush=True)
    dist.barrier()  # neither rank tears gloo down while the other still talks (seen: SIGABRT)
    dist.destroy_process_group()
    """
)


def test_ddp_with_torchrun_two_cpu_processes(tmp_path):
    script = tmp_path / "ddp_train.py"
    out = tmp_path / "ddp_run"
    script.write_text(
        DDP_SCRIPT.format(root=str(ROOT), here=str(Path(__file__).parent), out=str(out))
    )
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "torch.distributed.run",
            "--nproc_per_node",
            "2",
            "--master_port",
            str(29500 + os.getpid() % 1000),
            str(script),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert proc.stdout.count("ok") == 2
    rows = read_log(out / "log.jsonl")
    assert [r["step"] for r in rows] == [1, 5, 10, 15, 20]  # rank 0 alone writes the log
    assert rows[-1]["loss"] < rows[0]["loss"]
    assert json.loads((out / "config.json").read_text())["world"] == 2
    assert set(load_file(str(out / "model.safetensors"))) == set(make_model().state_dict())
