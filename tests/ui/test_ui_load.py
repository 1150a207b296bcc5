"""The load bench's session script against the real studio: one person's visit through
Gradio's client, every output checked (the bench runs 1–16 of these at once)."""

import pytest

from studio.bench.ui_load import session
from tests.ui.conftest import needs_checkpoint

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_one_session_script_runs_clean(studio_url):
    needs_checkpoint("jean")
    out = session(studio_url, 3)
    assert out["errors"] == [] and out["broken"] == []
    assert len(out["times"]["slider"]) == 10
    assert {"load_examples", "speak", "tsne", "track"} <= set(out["times"])
