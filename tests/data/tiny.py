"""A tiny SynthTalk corpus and its cached arrays, built once per test session (≈ 6 s)."""

from __future__ import annotations

import functools
import tempfile
from pathlib import Path


@functools.lru_cache(maxsize=1)
def tiny_corpus() -> Path:
    from studio.synth.corpus import PRESETS, build_corpus

    out = Path(tempfile.mkdtemp(prefix="st_tiny_test_"))
    build_corpus(PRESETS["tiny"], out / "corpus", workers=1)
    return out / "corpus"


@functools.lru_cache(maxsize=2)
def tiny_arrays(face_size: int = 64):
    """(train clips, held-out clips), face crops at `face_size`, with the crop cache kept in a
    temporary folder."""
    import studio.data.corpus_arrays as sd

    corpus = tiny_corpus()
    sd.CACHE_DIR = corpus.parent / "cache"
    return (
        sd.load_corpus_arrays(corpus, face_size, split="train", progress=False),
        sd.load_corpus_arrays(corpus, face_size, split="held_out", progress=False),
    )
