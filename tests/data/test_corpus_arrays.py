"""The crop cache must never serve a previous build's crops for a rebuilt corpus."""

from __future__ import annotations

import json
import shutil

from studio.data.corpus_arrays import arrays_key as cache_key
from tests.data.tiny import tiny_corpus


def test_a_rebuilt_corpus_in_the_same_folder_gets_a_new_cache_key(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copy(tiny_corpus() / "manifest.json", corpus / "manifest.json")
    before = cache_key(corpus, 64)
    assert cache_key(corpus, 64) == before  # stable while nothing changes
    manifest = json.loads((corpus / "manifest.json").read_text())
    manifest["build"] = {**(manifest.get("build") or {}), "seconds": 1.0, "commit": "other"}
    (corpus / "manifest.json").write_text(json.dumps(manifest))
    assert cache_key(corpus, 64) != before
    assert cache_key(corpus, 96) != cache_key(corpus, 64)
