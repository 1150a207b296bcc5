"""Talk with the NeRF: the Talk pipeline's speech and head motion (Rhythmic Head Motion) drawn
by the fitted Talking NeRF instead of the SynthTalk rig.

The NeRF renders the one person it was fitted to, so the request's identity gives way to that
person (their voice says typed text; their own reference sentence sets the motion style). The
expression is the request's JEAN expression code when given (the field is conditioned on JEAN
codes, so an Interpolation-tab code drives it as it is), else the fitted clip's mean code of the
requested emotion. The rig's mouth and blendshapes are still computed from the same audio, for
the Talk tab's debug view and curves.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace

import numpy as np

from studio.face.records import N_BLENDSHAPES
from studio.papers.nerf.drive import drive
from studio.papers.nerf.render import NerfRenderer, Quality, View
from studio.papers.rhythmic.data import MOUTH_CHANNELS
from studio.papers.rhythmic.model import load as load_rhythmic
from studio.papers.rhythmic.talk import (
    TalkRequest,
    TalkResult,
    check,
    expression_track,
    motion_track,
    speech_windows,
)
from studio.speech import FPS
from studio.synth.identity import sample_identity
from studio.synth.motion import blinks
from studio.synth.performance import combine_face

RENDERER = "nerf"


def talk_nerf(
    request: TalkRequest,
    renderer: NerfRenderer,
    progress: Callable[[float, str], None] | None = None,
) -> TalkResult:
    """Make the clip with the NeRF; `progress(fraction, what)` as the stages go."""
    tell = progress or (lambda f, what: None)
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    fitted = renderer.fitted
    preset = fitted.card["data"]["preset_config"]
    request = replace(request, identity=int(preset["identity_id"]), renderer="synthtalk")
    check(request)
    person = sample_identity(request.identity, int(preset["corpus_seed"]))
    tell(0.0, "speech")
    audio, mel = speech_windows(request, person)
    n = len(mel)
    timings["speech"] = time.perf_counter() - t0
    tell(0.1, "head motion and codes")
    t = time.perf_counter()
    model = load_rhythmic()
    pose6 = motion_track(request, person, mel, model)
    mouth = model.predict_mouth(mel) if model.config.audio_input == "mel" else np.zeros((n, 14))
    mouth52 = np.zeros((n, N_BLENDSHAPES), np.float32)
    mouth52[:, MOUTH_CHANNELS] = mouth
    face = combine_face(expression_track(request, n), mouth52, blinks(n, np.random.default_rng(0)))
    codes = drive(fitted, audio, request.emotion, request.expression_code, n)
    timings["animation"] = time.perf_counter() - t
    t = time.perf_counter()
    quality = Quality.FULL if request.size >= 256 else Quality.SHARP_128
    frames = np.empty((n, quality.value[1], quality.value[1], 3), np.uint8)
    for i in range(n):
        view = View(pose6=pose6[i])
        frames[i] = renderer.render(view, codes.audio_codes[i], codes.expression_codes[i], quality)
        tell(0.15 + 0.8 * (i + 1) / n, f"rendering frame {i + 1} of {n}")
    timings["render"] = time.perf_counter() - t
    timings["total"] = time.perf_counter() - t0
    tell(1.0, "done")
    return TalkResult(frames, audio, FPS, face, pose6, mouth, person.identity_id, timings)
