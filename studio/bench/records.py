"""The measured records in docs/benchmarks/: the latest `python -m studio.bench <suite> --json`
of each suite, which the Benchmarks tab shows."""

from __future__ import annotations

import json
from pathlib import Path

from studio.paths import RECORDS


def load_record(suite: str, folder: Path = RECORDS) -> dict | None:
    path = folder / f"{suite}.json"
    return json.loads(path.read_text()) if path.exists() else None


RECORD_KEYS = frozenset({"command", "commit", "machine", "metrics", "seconds", "started"})


def is_record(data: object) -> bool:
    """A `python -m studio.bench --json` record (the folder also holds experiments' results,
    written by docs/experiments/ scripts in their own shapes)."""
    return isinstance(data, dict) and RECORD_KEYS <= data.keys()


def _read(path: Path) -> object:
    try:
        return json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return None  # a half-written or damaged file is not a record


def available_suites(folder: Path = RECORDS) -> list[str]:
    """The records the Benchmarks tab can show: bench records only."""
    if not folder.exists():
        return []
    return sorted(p.stem for p in folder.glob("*.json") if is_record(_read(p)))
