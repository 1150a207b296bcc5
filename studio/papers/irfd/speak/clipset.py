"""SPEAK stage 2's talking clips: people of IRFD's image set saying SynthTalk sentences.

SPEAK trains self-driven (Sec. 3.3): a clip's first frame gives the identity code, every frame's
pose and emotion codes and the clip's audio drive the generator, which must redraw the frame.
So it needs clips — frames with their audio — of the people IRFD's encoders learned from: each
clip here is one person of the image set (the same wide look, the same fixed FOMM-style crop
around their frontal neutral face) saying one sentence with one emotion and intensity, with
SynthTalk's performance (speech, lips, blinks, head motion) and one light and background.

Training people are the image set's training people; held-out people are its held-out ones,
saying held-out sentences. Every frame keeps its 478 landmarks in crop pixels, so the mouth
crop the sync expert reads can be cut from a generated frame without tracking it.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from studio.errors import StudioError
from studio.papers.irfd.imageset import (
    ImageSetConfig,
    PersonRig,
    render_in_processes,
)
from studio.speech import FPS, SAMPLE_RATE
from studio.synth.clip import sample_scene
from studio.synth.emotions import EMOTIONS
from studio.synth.identity import sample_identity
from studio.synth.performance import perform
from studio.synth.sentences import HELD_OUT_SENTENCES, TRAIN_SENTENCES

FORMAT = 1
MANIFEST = "clipset.json"


@dataclass(frozen=True)
class ClipSetConfig:
    name: str = "speak-clips"
    people: ImageSetConfig = field(default_factory=ImageSetConfig)  # whose faces these are
    train_people: int = 300  # the image set's first training people, one clip each
    held_out_people: int = 20  # its first held-out people, one held-out sentence each
    max_frames: int = 100  # 4 s at 25 fps: a sentence is cut there
    seed: int = 5

    def people_ids(self) -> tuple[list[int], list[int]]:
        first_held_out = self.people.train_identities
        train = list(range(min(self.train_people, self.people.train_identities)))
        held = list(range(first_held_out, first_held_out + self.held_out_people))
        return train, held


PRESETS = {
    "default": ClipSetConfig(),
    "tiny": ClipSetConfig(name="speak-tiny", train_people=3, held_out_people=1, max_frames=24),
}


def render_clip(config: ClipSetConfig, identity_id: int, held_out: bool) -> dict[str, np.ndarray]:
    """One person's clip: (T, S, S, 3) uint8 frames, 16 kHz audio, landmarks in crop pixels,
    pose6, blendshapes and the labels."""
    look = config.people
    rng = np.random.default_rng([config.seed, identity_id])
    sentences = HELD_OUT_SENTENCES if held_out else TRAIN_SENTENCES
    text = sentences[int(rng.integers(len(sentences)))]
    emotion = EMOTIONS[int(rng.integers(len(EMOTIONS)))]
    intensity = 1 if emotion == "neutral" else int(rng.integers(1, 4))
    base = sample_identity(identity_id, look.seed)
    show = perform(text, emotion, intensity, base.voice, base.motion, rng)
    n = min(len(show.blendshapes), config.max_frames)
    rig = PersonRig(look, identity_id)
    _, light, background = sample_scene(rng, look.render_size)
    frames = np.empty((n, look.size, look.size, 3), np.uint8)
    landmarks = np.empty((n, 478, 2), np.float32)
    for t in range(n):
        frames[t], landmarks[t] = rig.draw(show.blendshapes[t], show.pose6[t], light, background)
    samples = n * SAMPLE_RATE // FPS  # the frames' span exactly (the last frame's tail padded)
    audio = np.zeros(samples, np.float32)
    audio[: min(samples, len(show.audio))] = show.audio[:samples]
    return {
        "frames": frames,
        "audio": audio,
        "landmarks": landmarks,
        "pose6": show.pose6[:n].astype(np.float32),
        "blendshapes": show.blendshapes[:n].astype(np.float32),
        "identity": np.int64(identity_id),
        "emotion": np.int64(EMOTIONS.index(emotion)),
        "intensity": np.int64(intensity),
        "held_out": np.bool_(held_out),
        "text": np.array(text),
    }


def _render_one(args: tuple[ClipSetConfig, int, bool, str]) -> str:
    config, identity_id, held_out, path = args
    np.savez(path, **render_clip(config, identity_id, held_out))
    return path


def build_clipset(config: ClipSetConfig, out: str | Path, workers: int = 0, progress=None) -> Path:
    """Render every clip into `out`, one file each (a stopped build resumes)."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    train, held = config.people_ids()
    jobs = [(i, False) for i in train] + [(i, True) for i in held]
    todo = [
        (config, i, h, str(out / f"clip_{i:05d}.npz"))
        for i, h in jobs
        if not (out / f"clip_{i:05d}.npz").exists()
    ]
    render_in_processes(_render_one, todo, workers, progress)
    manifest = {
        "format": FORMAT,
        "config": asdict(config),
        "train_ids": train,
        "held_out_ids": held,
        "emotions": list(EMOTIONS),
    }
    (out / MANIFEST).write_text(json.dumps(manifest, indent=1))
    return out


@dataclass
class Clip:
    """One clip of the set, as arrays (see `render_clip`)."""

    frames: np.ndarray
    audio: np.ndarray
    landmarks: np.ndarray
    pose6: np.ndarray
    blendshapes: np.ndarray
    identity: int
    emotion: int
    intensity: int
    held_out: bool
    text: str

    def __len__(self) -> int:
        return len(self.frames)


def load_clipset(folder: str | Path, held_out: bool | None = None) -> list[Clip]:
    """The clips of a built set (only training or only held-out ones when `held_out` is set)."""
    folder = Path(folder)
    if not (folder / MANIFEST).exists():
        raise StudioError(
            f"No SPEAK clip set at {folder} — build it with "
            f"`python -m studio.irfd make-clips --out {folder}`"
        )
    manifest = json.loads((folder / MANIFEST).read_text())
    wanted = {
        None: manifest["train_ids"] + manifest["held_out_ids"],
        False: manifest["train_ids"],
        True: manifest["held_out_ids"],
    }[held_out]
    clips = []
    for i in wanted:
        with np.load(folder / f"clip_{i:05d}.npz", allow_pickle=False) as z:
            row = {k: z[k] for k in z.files}
        for k in ("identity", "emotion", "intensity"):
            row[k] = int(row[k])
        row["held_out"], row["text"] = bool(row["held_out"]), str(row["text"])
        clips.append(Clip(**row))
    return clips
