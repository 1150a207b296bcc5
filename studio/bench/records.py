"""The measured records in docs/benchmarks/: the latest `python -m studio.bench <suite> --json`
of each suite, which the Benchmarks tab shows."""

from __future__ import annotations

import json
from pathlib import Path

from studio.paths import RECORDS


def load_record(suite: str, folder: Path = RECORDS) -> dict | None:
    path = folder / f"{suite}.json"
    return json.loads(path.read_text()) if path.exists() else None


def available_suites(folder: Path = RECORDS) -> list[str]:
    return sorted(p.stem for p in folder.glob("*.json")) if folder.exists() else []
