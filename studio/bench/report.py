"""The benchmark record: metrics plus where and when they were measured."""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

from studio.provenance import commit, machine

# environment variables by which a suite measures a training run instead of the shipped model
RUN_VARIABLES = ("IRFD_RUN", "SPEAK_RUN", "NERF_RUN")


def command() -> str:
    """The bench command as typed, with any run-selecting variable in front of it."""
    chosen = [f"{k}={os.environ[k]}" for k in RUN_VARIABLES if os.environ.get(k)]
    return " ".join([*chosen, "python -m studio.bench", *sys.argv[1:]])


def record(suite: str, metrics: dict, started: float, seconds: float) -> dict:
    return {
        "suite": suite,
        "metrics": metrics,
        "command": command(),
        "commit": commit(),
        "machine": machine(),
        "started": time.strftime("%Y-%m-%dT%H:%M:%S", time.localtime(started)),
        "seconds": round(seconds, 1),
    }


def markdown(result: dict) -> str:
    lines = [
        f"### {result['suite']}  ({result['machine']}, commit {result['commit']})",
        "",
        "| metric | value |",
        "|---|---|",
    ]
    for name, value in result["metrics"].items():
        if isinstance(value, dict):  # per-item details stay in the JSON record
            continue
        shown = f"{value:.4g}" if isinstance(value, float) else str(value)
        lines.append(f"| {name} | {shown} |")
    return "\n".join(lines)


def save(result: dict, path: str | Path) -> None:
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_text(json.dumps(result, indent=1))
