"""`python -m studio.bench ui-load`: many people on one studio at once, as a Space serves them.

The studio is started as `python app.py` on 127.0.0.1; N simultaneous sessions (N = 1, 4, 8,
16; bounded: each runs one script, then the next N starts) each act as a person would, through
Gradio's own client (one session and one `gr.State` per client):
load the examples → speak a sentence of its own → 10 moves of the interpolation slider → one
t-SNE map → upload and track a photo. Every response is checked: each image and audio file
downloads whole and decodes, the spoken status names the session's own sentence, the map has
points. Per N: p50 / p95 seconds per action, errors (exceptions), empty or broken outputs, and
the studio's resident memory after the round.
"""

from __future__ import annotations

import time
import traceback
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import cv2
import numpy as np
import soundfile as sf

from studio.bench.ui_latency import start_studio
from studio.errors import StudioError
from studio.nn.checkpoints import checkpoint_exists
from studio.nn.spec import Bar, Suite
from studio.paths import ASSETS

SESSIONS = (1, 4, 8, 16)
SLIDER_MOVES = 10
BARS = (
    Bar("sessions16_errors", "<=", 0, "16 simultaneous sessions: no request fails"),
    Bar("sessions16_broken_outputs", "<=", 0, "… and no output arrives empty or cut off"),
    Bar("sessions8_slider_p95_s", "<=", 0.5, "8 sessions: interpolation slider p95 (s)"),
)


class Broken(Exception):
    """An output that arrived empty, cut off or not the session's own."""


def _image(path) -> None:
    if not path or cv2.imread(str(path)) is None:
        raise Broken(f"image did not decode: {path!r}")


def _audio(path) -> float:
    try:
        samples, rate = sf.read(str(path))
    except Exception as error:  # soundfile raises several types on a cut-off file
        raise Broken(f"audio did not decode: {path!r} ({error})") from None
    if len(samples) == 0:
        raise Broken(f"empty audio: {path!r}")
    return len(samples) / rate


def _plot(value) -> None:
    plot = value.get("plot") if isinstance(value, dict) else None
    if not plot or "scattergl" not in str(plot):
        raise Broken("the t-SNE map came back without points")


def session(url: str, k: int) -> dict:
    """One person's visit; per action the seconds each request took, and what went wrong."""
    from gradio_client import Client, handle_file

    out: dict = {"times": {}, "errors": [], "broken": []}

    def timed(action: str, call, check) -> None:
        start = time.perf_counter()
        try:
            result = call()
            out["times"].setdefault(action, []).append(time.perf_counter() - start)
            check(result)
        except Broken as error:
            out["broken"].append(f"{action}: {error}")
        except Exception:  # any failure of the request itself is a measured error
            out["errors"].append(f"{action}: {traceback.format_exc(limit=1).strip()[-300:]}")

    # ssl_verify=False: the studio is plain http on 127.0.0.1, and with verification on,
    # gradio_client loads the CA bundle for each request's two httpx clients — 118 ms of the
    # bench's own CPU per slider move (measured), more than the studio spent answering it
    client = Client(url, verbose=False, ssl_verify=False)
    timed(
        "load_examples", lambda: client.predict(api_name="/load_examples"), lambda r: _image(r[2])
    )  # fmt: skip  (status, show, overlay, …)
    sentence = f"Session {k} says hello."

    def spoken(r) -> None:
        if sentence[:20] not in str(r[0]):
            raise Broken(f"the status shows another session's audio: {str(r[0])[:80]}")
        _audio(r[2])

    timed("speak", lambda: client.predict(sentence, "en-us", api_name="/speak"), spoken)
    for i in range(SLIDER_MOVES):
        alpha = round(0.1 * i, 2)
        timed(
            "slider",
            lambda a=alpha: client.predict("emotion label", "neutral", "", "emotion label",
                                           "happy", "", 32, a, api_name="/interp_slider"),
            lambda r: _image(r[0]),
        )  # fmt: skip
    timed(
        "tsne",
        lambda: client.predict("JEAN", "expression", "emotion", 30, 2000, False,
                               api_name="/tsne_map"),
        lambda r: _plot(r[0]),
    )  # fmt: skip
    timed(
        "track",
        lambda: client.predict(handle_file(str(ASSETS / "portrait.jpg")),
                               api_name="/upload_identity_image"),
        lambda r: _image(r[2]),
    )  # fmt: skip
    client.close()
    return out


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def round_of(url: str, n: int) -> dict:
    with ThreadPoolExecutor(n) as pool:
        results = list(pool.map(lambda k: session(url, k), range(n)))
    times: dict[str, list[float]] = {}
    for r in results:
        for action, t in r["times"].items():
            times.setdefault(action, []).extend(t)
    row: dict = {
        f"sessions{n}_errors": sum(len(r["errors"]) for r in results),
        f"sessions{n}_broken_outputs": sum(len(r["broken"]) for r in results),
    }
    for action, t in sorted(times.items()):
        row[f"sessions{n}_{action}_p50_s"] = float(np.percentile(t, 50))
        row[f"sessions{n}_{action}_p95_s"] = float(np.percentile(t, 95))
    problems = [p for r in results for p in r["errors"] + r["broken"]]
    if problems:
        row[f"sessions{n}_first_problems"] = problems[:3]
    return row


def run(quick: bool = False, corpus=None) -> dict:
    if not checkpoint_exists("jean"):
        raise StudioError("No jean checkpoint: python -m studio.train jean")
    proc, url = start_studio()
    metrics: dict = {}
    try:
        metrics["rss_mb_start"] = _rss_mb(proc.pid)
        for n in SESSIONS[:2] if quick else SESSIONS:
            metrics.update(round_of(url, n))
            metrics[f"sessions{n}_rss_mb"] = _rss_mb(proc.pid)
    finally:
        proc.terminate()
        proc.wait(timeout=20)
    return metrics


SUITE = Suite(
    "ui-load",
    run,
    "1, 4, 8 and 16 simultaneous sessions on one studio: latency per action, errors, memory",
    BARS,
)
