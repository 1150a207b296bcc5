"""The benchmark record: metrics plus where and when they were measured."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from studio.provenance import commit, machine


def record(suite: str, metrics: dict, started: float, seconds: float) -> dict:
    return {
        "suite": suite,
        "metrics": metrics,
        "command": "python -m studio.bench " + " ".join(sys.argv[1:]),
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
