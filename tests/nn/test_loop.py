"""The shared loop: learning, logging, exact resume, DDP under torchrun; old callers' runs
unchanged; GAN phases, EMA and the validation hook."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from safetensors.torch import load_file

from studio.nn.loop import (
    Phase,
    TrainConfig,
    loss_curve,
    lr_at,
    read_log,
    set_seed,
    step_seed,
    train,
)

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


DATA_MEAN = 4.0  # the toy GAN's data: N(4, 0.5) in 1-D


class ToyGAN(torch.nn.Module):
    def __init__(self):
        super().__init__()
        torch.manual_seed(0)
        self.G = torch.nn.Sequential(
            torch.nn.Linear(2, 16), torch.nn.LeakyReLU(0.2), torch.nn.Linear(16, 1)
        )
        self.D = torch.nn.Sequential(
            torch.nn.Linear(1, 16), torch.nn.LeakyReLU(0.2), torch.nn.Linear(16, 1)
        )


def gan_batch(step, rng, rank, world):
    n = 64 // world
    real = rng.normal(DATA_MEAN, 0.5, size=(n, 1))
    return {
        "real": torch.as_tensor(real, dtype=torch.float32),
        "z": torch.as_tensor(rng.normal(size=(n, 2)), dtype=torch.float32),
    }


# non-saturating GAN losses; softplus(-x) = BCE-with-logits against 1, which is slow on a busy CPU
def d_loss(nets, batch):
    n = len(batch["real"])
    logits = nets["D"](torch.cat([batch["real"], nets["G"](batch["z"])]))  # G is frozen here
    return {"loss": F.softplus(-logits[:n]).mean() + F.softplus(logits[n:]).mean()}


def g_loss(nets, batch):
    return {"loss": F.softplus(-nets["D"](nets["G"](batch["z"]))).mean()}


def gan_phases(gan):
    return [
        Phase("D", gan.D, d_loss, lr=4e-2, betas=(0.5, 0.999)),
        Phase("G", gan.G, g_loss, betas=(0.5, 0.999)),  # lr from the TrainConfig
    ]


def gan_config(out_dir, **kw):
    base = dict(steps=200, batch_size=64, lr=2e-2, warmup=10, log_every=50, ckpt_every=100)
    return TrainConfig(**{**base, "out_dir": str(out_dir), "device": "cpu", **kw})


def g_mean(gan):
    with torch.no_grad():
        return gan.G(torch.randn(2000, 2, generator=torch.Generator().manual_seed(1))).mean().item()


def reference_run(cfg):
    """The loop as it was before phases, EMA and validation, written out: what an old caller's
    run must still compute, bit for bit."""
    model = make_model()
    set_seed(cfg.seed)
    optim = torch.optim.AdamW(
        [
            {
                "params": [p for p in model.parameters() if p.dim() >= 2],
                "weight_decay": cfg.weight_decay,
            },
            {"params": [p for p in model.parameters() if p.dim() < 2], "weight_decay": 0.0},
        ],
        lr=cfg.lr,
    )
    model.train()
    for step in range(cfg.steps):
        for group in optim.param_groups:
            group["lr"] = lr_at(step, cfg)
        torch.manual_seed(step_seed(cfg.seed, step))
        batch = get_batch(step, np.random.default_rng(step_seed(cfg.seed, step)), 0, 1)
        loss = loss_fn(model, batch)["loss"]
        optim.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), cfg.grad_clip)
        optim.step()
    return model, optim


def assert_same_weights(a, b):
    assert set(a) == set(b)
    for k in a:
        assert torch.equal(a[k], b[k]), k


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
    assert_same_weights(whole.state_dict(), resumed.state_dict())


def test_an_old_callers_run_is_unchanged(tmp_path):
    cfg = config(tmp_path)
    model = train(make_model(), loss_fn, get_batch, cfg)
    ref, ref_optim = reference_run(cfg)
    assert_same_weights(ref.state_dict(), model.state_dict())
    flat = torch.cat([p.detach().flatten() for p in model.parameters()]).double()
    # computed with the loop before phases/EMA/validation existed (same numbers as above, but
    # also pinning lr_at and step_seed; loose enough for another CPU's float rounding)
    assert flat.sum().item() == pytest.approx(-1.6860863789916039, rel=1e-4)
    assert flat.abs().sum().item() == pytest.approx(30.25614050589502, rel=1e-5)
    run = tmp_path / "run"
    rows = read_log(run / "log.jsonl")
    assert rows[-1]["loss"] == pytest.approx(0.33202236890792847, rel=1e-4)
    assert all(list(r) == ["step", "loss", "lr", "seconds"] for r in rows)
    assert [r["step"] for r in rows] == [1, *range(5, 61, 5)]
    names = {"config.json", "log.jsonl", "model.safetensors", "optim.pt", "state.json"}
    assert {p.name for p in run.iterdir()} == names
    saved = torch.load(run / "optim.pt", weights_only=True)  # one optimizer's own state dict
    want = ref_optim.state_dict()
    assert saved["param_groups"] == want["param_groups"]
    for i, state in want["state"].items():
        for k, v in state.items():
            assert torch.equal(saved["state"][i][k], v), (i, k)


def test_one_phase_is_the_single_optimiser_run_and_resumes_its_checkpoint(tmp_path):
    cfg = config(tmp_path)
    with pytest.raises(Interrupt):
        train(make_model(), loss_fn, get_batch, cfg, progress=stop_at(30))
    model = make_model()
    phases = [Phase("all", model, lambda nets, batch: loss_fn(nets["all"], batch))]
    train(model, None, get_batch, cfg, resume=True, phases=phases)  # reads the old optim.pt
    assert_same_weights(reference_run(cfg)[0].state_dict(), model.state_dict())
    assert set(torch.load(Path(cfg.out_dir) / "optim.pt", weights_only=True)) == {"all"}
    assert {"all/loss", "all/lr"} <= set(read_log(Path(cfg.out_dir) / "log.jsonl")[-1])


def stop_at(step):
    def progress(done, row):
        if done == step:
            raise Interrupt

    return progress


def test_gan_phases_learn_and_resume_exactly(tmp_path):
    gan = ToyGAN()
    before = g_mean(gan)
    cfg = gan_config(tmp_path / "a", ema_decay=0.9)
    whole = train(gan, None, gan_batch, cfg, phases=gan_phases(gan))
    assert abs(g_mean(whole) - DATA_MEAN) < 0.25 * abs(before - DATA_MEAN)
    rows = read_log(tmp_path / "a" / "log.jsonl")
    assert list(rows[-1]) == ["step", "D/loss", "G/loss", "D/lr", "G/lr", "seconds"]
    assert rows[0]["D/lr"] == pytest.approx(2 * rows[0]["G/lr"])  # D's own lr, same schedule
    assert set(torch.load(tmp_path / "a" / "optim.pt", weights_only=True)) == {"D", "G"}
    recorded = json.loads((tmp_path / "a" / "config.json").read_text())["phases"]
    assert [(p["name"], p["lr"]) for p in recorded] == [("D", 4e-2), ("G", None)]

    cfg = gan_config(tmp_path / "b", ema_decay=0.9)
    gan = ToyGAN()
    with pytest.raises(Interrupt):
        train(gan, None, gan_batch, cfg, progress=stop_at(150), phases=gan_phases(gan))
    assert json.loads((tmp_path / "b" / "state.json").read_text())["step"] == 100
    gan = ToyGAN()
    resumed = train(gan, None, gan_batch, cfg, resume=True, phases=gan_phases(gan))
    assert_same_weights(whole.state_dict(), resumed.state_dict())  # the EMA weights
    for name in ("model", "ema"):
        a, b = (load_file(str(tmp_path / d / f"{name}.safetensors")) for d in "ab")
        assert_same_weights(a, b)
    assert all(p.requires_grad for p in resumed.parameters())


def test_phases_are_checked(tmp_path):
    gan = ToyGAN()
    cfg = gan_config(tmp_path, steps=1)
    with pytest.raises(ValueError, match="loss_fn=None"):
        train(gan, g_loss, gan_batch, cfg, phases=gan_phases(gan))
    with pytest.raises(ValueError, match="shares parameters"):
        train(gan, None, gan_batch, cfg, phases=[Phase("all", gan, g_loss), *gan_phases(gan)])
    with pytest.raises(ValueError, match="not part of the model"):
        train(gan.G, None, gan_batch, cfg, phases=gan_phases(gan))


def test_ema_weights_are_returned_and_match_a_hand_computed_average(tmp_path):
    torch.manual_seed(0)
    model = torch.nn.Linear(4, 1)
    weights = [[p.detach().double().clone() for p in model.parameters()]]

    def record(step, row):  # the raw weights after every step (log_every=1)
        weights.append([p.detach().double().clone() for p in model.parameters()])

    cfg = config(tmp_path, steps=6, log_every=1, ema_decay=0.8)
    out = train(
        model, loss_fn, get_batch, cfg, progress=record, validate=lambda m: {"b": m.bias[0]}
    )
    assert out is model and len(weights) == 7
    ema = weights[0]
    for raw in weights[1:]:
        ema = [e + (1 - 0.8) * (w - e) for e, w in zip(ema, raw, strict=True)]
    for got, want, raw in zip(out.parameters(), ema, weights[-1], strict=True):
        torch.testing.assert_close(got.detach().double(), want, rtol=1e-6, atol=1e-7)
        assert not torch.allclose(got.detach().double(), raw)
    run = tmp_path / "run"
    assert torch.equal(load_file(str(run / "model.safetensors"))["weight"].double(), weights[-1][0])
    assert_same_weights(load_file(str(run / "ema.safetensors")), out.state_dict())
    assert read_log(run / "log.jsonl")[-1]["val/b"] == pytest.approx(out.bias.item())  # EMA's


def test_validate_runs_at_its_steps_in_eval_mode_and_leaves_training_alone(tmp_path):
    x = torch.randn(256, 4, generator=torch.Generator().manual_seed(3))
    calls, seen = [], []

    def validate(model):
        calls.append((model.training, torch.is_grad_enabled()))
        return {"mse": F.mse_loss(model(x), x @ W_TRUE.T)}

    cfg = config(tmp_path, val_every=7)
    model = train(
        make_model(),
        loss_fn,
        get_batch,
        cfg,
        progress=lambda s, r: seen.append(r),
        validate=validate,
    )
    assert calls == [(False, False)] * 9
    rows = read_log(tmp_path / "run" / "log.jsonl")
    assert rows == seen  # progress gets the rows, val values included
    assert [r["step"] for r in rows if "val/mse" in r] == [*range(7, 60, 7), 60]  # + the last
    assert {r["step"] for r in rows} == {1, *range(5, 61, 5), *range(7, 60, 7)}
    val = [r["val/mse"] for r in rows if "val/mse" in r]
    assert val[-1] < 0.2 * val[0]
    curves = {trace.name: trace for trace in loss_curve(tmp_path / "run" / "log.jsonl").data}
    assert set(curves) == {"loss", "val/mse"} and len(curves["val/mse"].x) == 9
    assert_same_weights(reference_run(cfg)[0].state_dict(), model.state_dict())  # dropout on


DDP_SCRIPT = textwrap.dedent(
    """
    import gc, os, sys, torch
    sys.path.insert(0, {root!r}); sys.path.insert(0, {here!r})
    import torch.distributed as dist
    from test_loop import make_model, loss_fn, get_batch, ToyGAN, gan_batch, gan_phases
    from test_loop import gan_config, g_mean
    from studio.nn.loop import TrainConfig, train

    def same_on_all_ranks(model):
        flat = torch.cat([p.detach().flatten() for p in model.parameters()])
        gathered = [torch.zeros_like(flat) for _ in range(dist.get_world_size())]
        dist.all_gather(gathered, flat)
        assert torch.equal(gathered[0], gathered[1]), "ranks diverged"

    model = train(make_model(), loss_fn, get_batch, TrainConfig(
        steps=20, batch_size=32, lr=2e-2, warmup=2, log_every=5, ckpt_every=0,
        out_dir={out!r}, device="cpu"))
    same_on_all_ranks(model)
    gan = ToyGAN()
    gan = train(gan, None, gan_batch, gan_config({gan_out!r}, steps=20, log_every=5,
                ema_decay=0.9, val_every=10), phases=gan_phases(gan),
                validate=lambda m: {{"g_mean": g_mean(m)}})
    same_on_all_ranks(gan)
    print("rank", dist.get_rank(), "world", dist.get_world_size(), "ok", flush=True)
    gc.collect()
    dist.barrier()  # neither rank tears gloo down while the other still talks (seen: SIGABRT)
    dist.destroy_process_group()
    os._exit(0)  # skip interpreter finalisation: gloo threads must not outlive Python (SIGABRT)
    """
)


def test_ddp_with_torchrun_two_cpu_processes(tmp_path):
    script = tmp_path / "ddp_train.py"
    out, gan_out = tmp_path / "ddp_run", tmp_path / "ddp_gan"
    script.write_text(
        DDP_SCRIPT.format(
            root=str(ROOT), here=str(Path(__file__).parent), out=str(out), gan_out=str(gan_out)
        )
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
    crash = [ln for ln in proc.stderr.splitlines() if not ln.startswith(("  ", "Traceback"))]
    assert proc.returncode == 0, proc.stdout[-2000:] + "\n".join(crash)[-4000:]
    assert proc.stdout.count("ok") == 2
    rows = read_log(out / "log.jsonl")
    assert [r["step"] for r in rows] == [1, 5, 10, 15, 20]  # rank 0 alone writes the log
    assert rows[-1]["loss"] < rows[0]["loss"]
    assert json.loads((out / "config.json").read_text())["world"] == 2
    assert set(load_file(str(out / "model.safetensors"))) == set(make_model().state_dict())
    rows = read_log(gan_out / "log.jsonl")  # each phase's module wrapped, D's grads synced too
    assert [r["step"] for r in rows] == [1, 5, 10, 15, 20]
    assert [r["step"] for r in rows if "val/g_mean" in r] == [10, 20]  # validated on rank 0 only
    assert {"D/loss", "G/loss", "D/lr", "G/lr"} <= set(rows[-1])
    assert {"model.safetensors", "ema.safetensors"} <= {p.name for p in gan_out.iterdir()}
