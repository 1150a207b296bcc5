"""`python -m studio.bench ui-latency`: how long a user waits in the browser, measured the way a
user meets it — the studio started as `python app.py`, driven by headless Chromium.

Novel view: the yaw slider moved one degree at a time with the keyboard (the `input` events a
drag sends, answered with 128² draft frames); each wait runs from the key press to the new frame
in the page. Expression interpolation: the α slider moved one step at a time the same way, each
answered with a 256² render of the decoded expression. Needs Debian's chromium and Playwright
(requirements-dev.txt) and the shipped NeRF and JEAN.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

import numpy as np

from studio.errors import StudioError
from studio.nn.checkpoints import checkpoint_exists
from studio.nn.spec import Bar, Suite
from studio.paths import ROOT

CHROMIUM = os.environ.get("STUDIO_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]
BARS = (
    Bar("nerf_slider_to_frame_ms", "<=", 150.0, "yaw key press → new 128² frame shown"),
    Bar("interp_slider_to_frame_ms", "<=", 200.0, "α key press → new 256² expression shown"),
)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_studio(timeout_s: float = 300.0) -> tuple[subprocess.Popen, str]:
    """`python app.py` on a free port, as a user starts it; (process, url) once it serves its
    page. A studio that exits or stays silent past `timeout_s` raises with its log's tail."""
    port = _free_port()
    env = dict(os.environ, GRADIO_SERVER_PORT=str(port), GRADIO_ANALYTICS_ENABLED="False")
    log = tempfile.TemporaryFile("w+")
    proc = subprocess.Popen([sys.executable, "app.py"], cwd=ROOT, env=env, stdout=log,
                            stderr=subprocess.STDOUT)  # fmt: skip
    url, started = f"http://127.0.0.1:{port}/", time.monotonic()
    while True:
        try:
            urllib.request.urlopen(url, timeout=2).read()
            return proc, url
        except OSError:
            if proc.poll() is not None or time.monotonic() - started > timeout_s:
                proc.kill()
                log.seek(0)
                raise StudioError(f"the studio did not start:\n{log.read()[-3000:]}") from None
            time.sleep(0.3)


def nerf_slider(page, moves: int) -> list[float]:
    """Milliseconds from each yaw key press to its frame in the page."""
    page.get_by_role("tab", name="Novel view (NeRF)").click()
    page.wait_for_selector("#nerf-info >> text=yaw +0°")
    slider = page.locator("#nerf-yaw input[type=range]")
    slider.focus()
    waits = []
    for k in range(1, moves + 1):
        before = page.evaluate("() => document.querySelector('#nerf-view img').src")
        start = time.perf_counter()
        page.keyboard.press("ArrowRight")
        page.wait_for_function(
            "([yaw, before]) => { const i = document.querySelector('#nerf-view img');"
            " const n = document.querySelector('#nerf-info');"
            " return i && i.src !== before && n && n.textContent.includes('yaw +' + yaw + '°'); }",
            arg=[k, before],
            polling="raf",
        )
        waits.append((time.perf_counter() - start) * 1000)
    return waits


def interpolation_slider(page, moves: int) -> list[float]:
    """Milliseconds from each α key press (one 0.05 step up from 0.5, so every frame is new:
    a repeated α would be the same cached file) to its new frame in the page."""
    page.get_by_role("tab", name="Expression interpolation").click()
    page.wait_for_selector("#interp-image img")
    slider = page.locator("#interp-alpha input[type=range]")
    slider.focus()
    waits = []
    for _ in range(min(moves, 20)):  # 0.5 → 1.5, the slider's end
        before = page.evaluate("() => document.querySelector('#interp-image img').src")
        start = time.perf_counter()
        page.keyboard.press("ArrowRight")
        page.wait_for_function(
            "(before) => { const i = document.querySelector('#interp-image img');"
            " return i && i.src !== before && i.complete && i.naturalWidth === 256; }",
            arg=before,
            polling="raf",
        )
        waits.append((time.perf_counter() - start) * 1000)
    return waits


def _median_after_warmup(waits: list[float], name: str) -> dict:
    w = np.array(waits[2:])
    return {
        f"{name}_slider_to_frame_ms": float(np.median(w)),
        f"{name}_slider_to_frame_ms_p90": float(np.percentile(w, 90)),
        f"{name}_slider_moves": int(len(w)),
    }


def run(quick: bool = False, corpus=None) -> dict:
    for name in ("nerf", "jean"):
        if not checkpoint_exists(name):
            raise StudioError(f"No {name} checkpoint: python -m studio.train {name}")
    try:
        from playwright.sync_api import sync_playwright  # a dev dependency: imported on use
    except ImportError:
        raise StudioError(
            "ui-latency needs Playwright: pip install -r requirements-dev.txt"
        ) from None
    proc, url = start_studio()
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(
                executable_path=CHROMIUM, args=CHROMIUM_FLAGS, headless=True
            )
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.set_default_timeout(120_000)
            page.goto(url)
            nerf = nerf_slider(page, 5 if quick else 20)
            interp = interpolation_slider(page, 5 if quick else 20)
            browser.close()
    finally:
        proc.terminate()
        proc.wait(timeout=20)
    return {**_median_after_warmup(nerf, "nerf"), **_median_after_warmup(interp, "interp")}


SUITE = Suite(
    "ui-latency",
    run,
    "browser waits: the Novel-view and interpolation sliders to their frames",
    BARS,
)
