"""Where the repository keeps things: one place for every path the studio reads or writes.

`STUDIO_CORPUS` (an environment variable) replaces the default SynthTalk corpus everywhere a
corpus is not given explicitly: the train and bench CLIs, the explorer and the UI.
`STUDIO_NERF_FITS` moves the folder of NeRF fits of users' own clips (tests use a temporary one).
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ASSETS = ROOT / "assets"
CHECKPOINTS = ROOT / "checkpoints"
RECORDS = ROOT / "docs" / "benchmarks"  # the latest measured record of each bench suite
CACHE = ROOT / "cache"  # feature caches, keyed by content (safe to delete)
RUNS = ROOT / "runs"  # training runs: logs and resumable state
NERF_FITS = Path(os.environ.get("STUDIO_NERF_FITS") or RUNS / "nerf-clips")  # users' own clips
DEFAULT_CORPUS_NAME = "synthtalk-default"
BUILD_DEFAULT_CORPUS = (
    f"python -m studio.synth make --out data/{DEFAULT_CORPUS_NAME} --preset default"
)


def default_corpus() -> Path:
    """The corpus the CLIs and tabs use when none is given: `$STUDIO_CORPUS`, else
    `data/synthtalk-default` in the repository."""
    return Path(os.environ.get("STUDIO_CORPUS") or ROOT / "data" / DEFAULT_CORPUS_NAME)


def shown(path: str | Path) -> str:
    """A path as a person reads it in a record: relative to the repository when inside it."""
    p = Path(os.path.abspath(path))  # not resolve(): a symlinked data/ still reads data/...
    try:
        return str(p.relative_to(ROOT))
    except ValueError:
        return str(p)


def cache_key(**params) -> str:
    """A short content key for a cache folder: the sha1 of the parameters as sorted JSON.
    Every cache in the studio names its folder with this, so equal inputs share one entry."""
    return hashlib.sha1(json.dumps(params, sort_keys=True).encode()).hexdigest()[:16]
