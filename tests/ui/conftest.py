"""A real studio server and a real headless Chromium for the end-to-end tests."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from studio.bench.ui_latency import CHROMIUM, CHROMIUM_FLAGS, start_studio
from studio.errors import StudioError

ROOT = Path(__file__).resolve().parents[2]
# Every wait is for a condition; these are only the ceilings. They are generous because the
# suite must pass while another job (a training run) loads both cores: a first JEAN load, a
# t-SNE or a talking clip can then take minutes, and a passing run never waits them out.
UI_TIMEOUT_MS = 240_000
START_TIMEOUT_S = 300


@pytest.fixture(scope="session")
def studio_url(tmp_path_factory):
    """Start `python app.py` as a user would and wait until it serves its page (NeRF fits of
    uploaded clips go to a temporary folder, not the repository's runs/)."""
    os.environ["STUDIO_NERF_FITS"] = str(tmp_path_factory.mktemp("nerf_fits"))
    started = time.monotonic()
    try:
        proc, url = start_studio(START_TIMEOUT_S)
    except StudioError as error:
        pytest.fail(str(error))
    print(f"studio cold start to first page: {time.monotonic() - started:.1f} s")
    try:
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


def needs_checkpoint(name: str) -> None:
    """Skip a test of a tab that the app replaces by its training command without `name`."""
    if not (ROOT / "checkpoints" / f"{name}.safetensors").exists():
        pytest.skip(f"no {name} checkpoint: python -m studio.train {name}")


@pytest.fixture(scope="session")
def browser():
    if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        if os.environ.get("STUDIO_REQUIRE_BROWSER"):
            pytest.fail(f"Chromium not found at {CHROMIUM} (install Debian's 'chromium')")
        pytest.skip(f"Chromium not found at {CHROMIUM}: apt-get install chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS, headless=True)
        yield chromium
        chromium.close()


@pytest.fixture()
def page(browser, studio_url):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(UI_TIMEOUT_MS)
    page.goto(studio_url)
    page.wait_for_selector("#identity-image")
    yield page
    context.close()
