"""Where a number came from: the commit of the code that measured it and the machine it ran on.

Bench records, model cards and corpus manifests all carry these two.
"""

from __future__ import annotations

import os
import platform
import subprocess
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
