"""Talk with SPEAK: identity + audio (or text) + pose + emotion → a 128² talking clip with sound
(`python -m studio talk --renderer speak`, or from Python).

SPEAK draws the people IRFD learned, so the identity is a held-out person of IRFD's image set
(1000–1099; their voice says typed text). Its three inputs are images, made here with the rig:
- the identity frame: the person, frontal and neutral, at the set's fixed crop;
- the pose source: the same person re-posed by the rig along the Talk pipeline's head motion
  (predicted from the audio by Rhythmic Head Motion, copied from a pose source's tracked pose,
  or still) with a neutral face — SPEAK's pose encoder reads the pose from it;
- the emotion source: the person wearing the requested emotion (SynthTalk's recipe or a JEAN
  expression code decoded to the rig), frontal, mouth closed.
The mouth comes from the audio alone (SPEAK's editing module).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace

import numpy as np

from studio.errors import StudioError
from studio.face.records import N_BLENDSHAPES
from studio.papers.irfd.imageset import PersonRig
from studio.papers.irfd.sources import HELD_OUT_IDS, SET
from studio.papers.irfd.speak.drive import SpeakModel, drive
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
from studio.synth.clip import sample_scene
from studio.synth.identity import sample_identity

RENDERER = "speak"


def speak_person(identity: int | None) -> int:
    """The request's person for SPEAK: a held-out IRFD person (the first when None)."""
    if identity is None:
        return HELD_OUT_IDS[0]
    if int(identity) not in HELD_OUT_IDS:
        raise StudioError(
            f"SPEAK draws IRFD's held-out people: choose an identity in "
            f"{HELD_OUT_IDS[0]}…{HELD_OUT_IDS[-1]}, not {identity}"
        )
    return int(identity)


def talk_speak(
    request: TalkRequest,
    model: SpeakModel,
    progress: Callable[[float, str], None] | None = None,
) -> TalkResult:
    """Make the clip with SPEAK; `progress(fraction, what)` as the stages go."""
    tell = progress or (lambda f, what: None)
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    check(replace(request, renderer="synthtalk"))
    person_id = speak_person(request.identity)
    person = sample_identity(person_id, SET.seed)
    tell(0.0, "speech")
    audio, mel = speech_windows(request, person)
    n = len(mel)
    timings["speech"] = time.perf_counter() - t0
    tell(0.1, "head motion and the sources")
    t = time.perf_counter()
    pose6 = motion_track(request, person, mel, load_rhythmic())
    rig = PersonRig(SET, person_id)
    scene = np.random.default_rng([SET.seed, 9, person_id])
    _, light, background = sample_scene(scene, SET.render_size)
    rest = np.zeros(N_BLENDSHAPES, np.float32)
    identity_frame, _ = rig.draw(rest, np.zeros(6), light, background)
    expression = expression_track(request, 1)[0]
    emotion_frame, _ = rig.draw(expression, np.zeros(6), light, background)
    pose_frames = np.stack([rig.draw(rest, p, light, background)[0] for p in pose6])
    timings["sources"] = time.perf_counter() - t
    t = time.perf_counter()

    def frame_done(done: int, total: int) -> None:
        tell(0.3 + 0.65 * done / total, f"drawing frame {done} of {total}")

    frames = drive(model, identity_frame, audio.samples, pose_frames, emotion_frame[None],
                   frame_done)  # fmt: skip
    timings["render"] = time.perf_counter() - t
    timings["total"] = time.perf_counter() - t0
    tell(1.0, "done")
    face = np.repeat(expression[None], n, 0)
    return TalkResult(frames, audio, FPS, face, pose6, np.zeros((n, 14), np.float32), person_id,
                      timings)  # fmt: skip
