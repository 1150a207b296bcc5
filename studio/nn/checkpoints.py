"""Shipped weights: `checkpoints/<name>.safetensors` + `checkpoints/<name>.json` (model card).

Loading never unpickles: weights are safetensors, the card is JSON, and the card's sha256 must
match the weights file. Files over 10 MB are refused so the Space needs no Git LFS.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import platform
import shlex
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file

from studio.errors import StudioError
from studio.paths import CHECKPOINTS

CHECKPOINT_DIR = CHECKPOINTS
MAX_BYTES = 10_000_000  # 10 MB: the brief's limit per file (the Space's, without Git LFS)
CARD_FIELDS = ("name", "paper", "version", "config", "data", "training", "metrics", "deviations")

# the command that trains each shipped model, for the error a missing checkpoint raises
TRAIN_COMMANDS = {
    "sync_expert": "python -m studio.train sync_expert",
    "emotion_classifier": "python -m studio.train emotion_classifier",
    "identity_embedder": "python -m studio.train identity_embedder",
}


def _dir(directory: str | Path | None) -> Path:
    return Path(directory) if directory is not None else CHECKPOINT_DIR


def sha256_file(path: str | Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def save_checkpoint(
    name: str,
    state_dict: dict[str, torch.Tensor],
    card: dict,
    directory: str | Path | None = None,
) -> Path:
    """Write <name>.safetensors and <name>.json; returns the weights path.

    The card must have the CONVENTIONS fields; `sha256` is filled in here. Raises StudioError
    (and writes nothing) when the weights would exceed 10 MB.
    """
    missing = [f for f in CARD_FIELDS if f not in card]
    if missing:
        raise StudioError(f"model card for '{name}' lacks {', '.join(missing)}")
    folder = _dir(directory)
    folder.mkdir(parents=True, exist_ok=True)
    tensors = {k: v.detach().cpu().contiguous() for k, v in state_dict.items()}
    tmp = folder / f".{name}.safetensors.tmp"
    save_file(tensors, str(tmp))
    size = tmp.stat().st_size
    if size > MAX_BYTES:
        tmp.unlink()
        raise StudioError(
            f"checkpoint '{name}' is {size / 1e6:.1f} MB; the limit is 10 MB — "
            "make the model smaller"
        )
    path = folder / f"{name}.safetensors"
    os.replace(tmp, path)
    os.chmod(path, 0o644)  # safetensors writes 0600; the Space and other users must read it
    card = {**card, "name": name, "size_bytes": size, "sha256": sha256_file(path)}
    (folder / f"{name}.json").write_text(json.dumps(card, indent=1))
    return path


def half_precision(state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Floating-point tensors in float16 for the file (loading casts them back to the model's
    float32), to keep a checkpoint under the 10 MB limit; integer tensors as they are."""
    return {k: v.half() if v.is_floating_point() else v for k, v in state.items()}


def trained_by(argv: list[str]) -> dict[str, str]:
    """A card's record of how it was trained: the machine and the `python -m studio.train`
    command that made it."""
    return {
        "machine": f"{os.cpu_count()}-core CPU, {platform.system()}",
        "command": "python -m studio.train " + " ".join(shlex.quote(a) for a in argv),
    }


def measured(metrics: dict, command: str) -> dict[str, dict]:
    """A card's metrics, each with the command that measures it."""
    return {k: {"value": round(float(v), 4), "command": command} for k, v in metrics.items()}


def checkpoint_exists(name: str, directory: str | Path | None = None) -> bool:
    folder = _dir(directory)
    return (folder / f"{name}.safetensors").exists() and (folder / f"{name}.json").exists()


def load_card(name: str, directory: str | Path | None = None) -> dict:
    path = _dir(directory) / f"{name}.json"
    if not path.exists():
        raise _missing(name, path)
    return json.loads(path.read_text())


def _missing(name: str, path: Path) -> StudioError:
    command = TRAIN_COMMANDS.get(name, f"python -m studio.train {name}")
    return StudioError(f"No checkpoint '{name}' at {path}. Train it with: {command}")


def load_checkpoint(
    name: str, directory: str | Path | None = None, device: str = "cpu"
) -> tuple[dict[str, torch.Tensor], dict]:
    """(state_dict, card) after checking the weights' sha256 against the card."""
    folder = _dir(directory)
    weights = folder / f"{name}.safetensors"
    if not weights.exists():
        raise _missing(name, weights)
    card = load_card(name, folder)
    digest = sha256_file(weights)
    if digest != card.get("sha256"):
        raise StudioError(
            f"checkpoint '{name}' does not match its model card (sha256 {digest[:12]}… vs "
            f"{str(card.get('sha256'))[:12]}…) — retrain it with: "
            + TRAIN_COMMANDS.get(name, f"python -m studio.train {name}")
        )
    return load_file(str(weights), device=device), card


@functools.lru_cache(maxsize=8)
def load_model(
    name: str, from_config, directory: str | None = None
) -> tuple[torch.nn.Module, dict]:
    """(model in eval mode, card) of checkpoint `name`, built by `from_config(card["config"])`;
    read once per process (later calls share it)."""
    state, card = load_checkpoint(name, directory)
    model = from_config(card["config"])
    model.load_state_dict(state)
    return model.eval(), card
