"""A JEAN model trained for a few steps on the tiny SynthTalk corpus, once per test session."""

from __future__ import annotations

import functools
import tempfile
from pathlib import Path

STEPS = {"lmae": 30, "audio": 6, "expr": 8}


@functools.lru_cache(maxsize=1)
def tiny_jean():
    """(model, report, data, corpus path)."""
    from studio.papers.jean.data import load_data
    from studio.papers.jean.train import train_jean
    from tests.data.tiny import tiny_corpus

    corpus = tiny_corpus()
    out = Path(tempfile.mkdtemp(prefix="jean_tiny_"))
    data = load_data(corpus, progress=False, cache_dir=out / "cache")
    model, report = train_jean(corpus, out / "run", STEPS, data=data, progress=False)
    return model, report, data, corpus, out
