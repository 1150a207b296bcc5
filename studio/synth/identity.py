"""A SynthTalk identity: how a person looks, sounds and moves, all drawn from one seed."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from studio.synth.look import FaceLook, sample_look
from studio.synth.motion import MotionStyle, sample_motion_style
from studio.synth.voice import VoiceStyle, sample_voice


@dataclass
class Identity:
    """One synthetic person. `identity_id` is stable within a corpus; the seed makes it so."""

    identity_id: int
    look: FaceLook
    voice: VoiceStyle
    motion: MotionStyle

    def to_dict(self) -> dict:
        return {
            "identity_id": self.identity_id,
            "look": self.look.to_dict(),
            "voice": dataclasses.asdict(self.voice),
            "motion": dataclasses.asdict(self.motion),
        }


def identity_rng(corpus_seed: int, identity_id: int) -> np.random.Generator:
    """Each identity has its own stream, so identity 7 is the same in a corpus of 10 or 40."""
    return np.random.default_rng([corpus_seed, 1, identity_id])


def sample_identity(identity_id: int, corpus_seed: int = 0) -> Identity:
    rng = identity_rng(corpus_seed, identity_id)
    return Identity(
        identity_id=identity_id,
        look=sample_look(rng),
        voice=sample_voice(rng),
        motion=sample_motion_style(rng),
    )
