"""The benchmark record: metrics plus where and when they were measured."""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{os.cpu_count()}-core {cpu}, {platform.system()}, Python {platform.python_version()}"


def _git(*args: str) -> str:
    return subprocess.run(
        ["git", *args], capture_output=True, text=True, timeout=5, cwd=Path(__file__).parent
    ).stdout.strip()


def commit() -> str:
    """Short hash of HEAD, with "-dirty" when the code (studio/, app.py) differs from it: the
    numbers then come from code that is not in that commit. Records and checkpoints written
    by the run itself do not count."""
    try:
        head = _git("rev-parse", "--short", "HEAD")
        root = _git("rev-parse", "--show-toplevel")
        changed = (
            _git(
                "-C",
                root,
                "status",
                "--porcelain",
                "--untracked-files=no",
                "--",
                "studio",
                "app.py",
            )
            if root
            else ""
        )
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return (head + "-dirty" if changed else head) or "unknown"


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
