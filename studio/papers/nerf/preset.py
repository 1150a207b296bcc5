"""The Talking-NeRF preset of SynthTalk: one person speaking for a minute with real head turns,
seen by one fixed camera, plus a ring of ground-truth cameras on held-out frames.

Why a preset of its own: the default corpus's people barely turn their heads (yaw sd ≈ 5°), and a
head-frame radiance field fitted on such a clip explains it as a billboard that falls apart at
±20° (`../shared/notes/nerf-feasibility-facts.md`). Here a slow sweep on top of SynthTalk's own
speech-driven motion takes the head to ±30° yaw and ±12° pitch.

What the papers assume, we make exact: the light is fixed to the camera and the neck turns with
the head (`HeadRenderer(rigid_neck=True)`), so in the head's frame the figure is one rigid body
lit the same way from every viewpoint; the camera is then the inverse head pose. The ring views
rotate the light with the orbit camera for the same reason: each ring image is what the main
camera would see if the head were turned by the ring's angle. Training reads only the main
camera; the ring is for evaluation.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from studio.errors import StudioError
from studio.face.geometry import euler_to_rotation
from studio.speech import FPS, SAMPLE_RATE
from studio.synth.identity import sample_identity
from studio.synth.performance import perform
from studio.synth.renderer import Camera, HeadRenderer, Light
from studio.synth.sentences import HELD_OUT_SENTENCES, TRAIN_SENTENCES

FORMAT = 1
ARRAYS = "arrays.npz"
MANIFEST = "preset.json"


@dataclass(frozen=True)
class PresetConfig:
    """One person, `train_seconds` of training speech then `held_out_seconds` of held-out
    sentences (held-out frames and audio), in the listed emotions in turn."""

    name: str = "nerf-synth"
    identity_id: int = 32  # the default corpus's first held-out person (corpus seed 0)
    corpus_seed: int = 0
    train_seconds: float = 60.0
    held_out_seconds: float = 12.0
    size: int = 256
    emotions: tuple[tuple[str, int], ...] = (
        ("neutral", 1),
        ("happy", 3),
        ("sad", 3),
        ("angry", 3),
        ("surprised", 3),
        ("disgusted", 3),
    )
    yaw_sweep_deg: float = 30.0  # amplitude of the slow turn added to the natural motion
    yaw_period_s: float = 9.0
    pitch_sweep_deg: float = 12.0
    pitch_period_s: float = 13.0
    background: tuple[int, int, int] = (92, 110, 128)
    ring_every: int = 10  # held-out frames with ring views: every n-th
    ring_yaws: tuple[int, ...] = (-40, -30, -20, -10, 0, 10, 20, 30, 40)
    ring_pitches: tuple[int, ...] = (-15, 15)  # at yaw 0
    seed: int = 0


PRESETS = {
    "default": PresetConfig(),
    "tiny": PresetConfig(
        name="nerf-tiny", train_seconds=4.0, held_out_seconds=2.5, size=64, ring_every=20
    ),
}
LIGHT = Light(direction=np.array([0.25, 0.35, 1.0]), ambient=0.45, diffuse=0.6)


def ring_views(config: PresetConfig) -> list[tuple[float, float]]:
    return [(float(y), 0.0) for y in config.ring_yaws] + [
        (0.0, float(p)) for p in config.ring_pitches
    ]


def orbit_light(yaw: float, pitch: float) -> Light:
    """The main light turned with an orbit camera, so it stays fixed in the camera's frame."""
    orbit = euler_to_rotation(yaw, pitch, 0.0).astype(np.float64)
    return Light(
        direction=orbit.T @ LIGHT.unit_direction(),
        ambient=LIGHT.ambient,
        diffuse=LIGHT.diffuse,
        colour=LIGHT.colour,
    )


def _sweep(n: int, config: PresetConfig, rng: np.random.Generator) -> np.ndarray:
    t = np.arange(n) / FPS
    yaw = config.yaw_sweep_deg * np.sin(2 * np.pi * t / config.yaw_period_s + rng.uniform(0, 6.3))
    pitch = config.pitch_sweep_deg * np.sin(
        2 * np.pi * t / config.pitch_period_s + rng.uniform(0, 6.3)
    )
    out = np.zeros((n, 6), np.float32)
    out[:, 0], out[:, 1] = yaw, pitch
    out[:, 3] = 0.03 * yaw  # the face shifts as the head turns about the neck
    return out


def perform_script(config: PresetConfig, progress=None) -> dict[str, np.ndarray]:
    """The whole performance: sentences in turn until each part's seconds are filled."""
    person = sample_identity(config.identity_id, config.corpus_seed)
    rng = np.random.default_rng([config.seed, config.identity_id])
    parts = {"blendshapes": [], "pose6": [], "audio": [], "sentence": [], "emotion": []}
    parts.update({"intensity": [], "held_out": []})
    k = 0
    for held_out, seconds, sentences in (
        (0, config.train_seconds, TRAIN_SENTENCES),
        (1, config.held_out_seconds, HELD_OUT_SENTENCES),
    ):
        done, i = 0.0, 0
        while done < seconds:
            emotion, intensity = config.emotions[k % len(config.emotions)]
            text = sentences[i % len(sentences)]
            perf = perform(text, emotion, intensity, person.voice, person.motion, rng)
            n = perf.n_frames
            audio = np.zeros(int(round(n * SAMPLE_RATE / FPS)), np.float32)
            audio[: min(len(audio), len(perf.audio))] = perf.audio[: len(audio)]
            parts["blendshapes"].append(perf.blendshapes)
            parts["pose6"].append(perf.pose6)
            parts["audio"].append(audio)
            parts["sentence"].append(np.full(n, k))
            parts["emotion"].append(np.array([emotion] * n))
            parts["intensity"].append(np.full(n, intensity))
            parts["held_out"].append(np.full(n, held_out, bool))
            done += n / FPS
            i += 1
            k += 1
            if progress:
                progress(f"performed {k} sentences")
    out = {key: np.concatenate(value) for key, value in parts.items()}
    out["pose6"] = (out["pose6"] + _sweep(len(out["pose6"]), config, rng)).astype(np.float32)
    return out


def build_preset(config: PresetConfig, out: str | Path, progress=None) -> Path:
    """Render the preset into `out` (arrays.npz + preset.json). Deterministic for a config."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    script = perform_script(config, progress)
    person = sample_identity(config.identity_id, config.corpus_seed)
    renderer = HeadRenderer(person.look, size=config.size, rigid_neck=True)
    camera = Camera(size=config.size)
    background = np.asarray(config.background, np.float32)
    n, s = len(script["pose6"]), config.size
    frames = np.empty((n, s, s, 3), np.uint8)
    masks = np.empty((n, s, s), np.uint8)
    depth = np.empty((n, s, s), np.float16)
    landmarks = np.empty((n, 478, 3), np.float32)
    for t in range(n):
        r = renderer.render(
            script["blendshapes"][t], script["pose6"][t], camera, LIGHT, background, True
        )
        frames[t], masks[t], depth[t], landmarks[t] = r.image, r.mask, r.depth, r.landmarks
        if progress and t % 100 == 0:
            progress(f"rendered {t}/{n} frames")
    ring = _render_ring(config, script, renderer, background)
    np.savez(
        out / ARRAYS,
        frames=frames,
        masks=masks,
        depth=depth,
        landmarks=landmarks,
        intrinsics=camera.intrinsics().astype(np.float32),
        extrinsics=camera.extrinsics().astype(np.float32),
        **{k: v for k, v in script.items()},
        **ring,
    )
    manifest = {
        "format": FORMAT,
        "config": asdict(config),
        "frames": n,
        "seconds": n / FPS,
        "train_frames": int((~script["held_out"]).sum()),
        "held_out_frames": int(script["held_out"].sum()),
        "ring_images": len(ring["ring_frames"]),
        "yaw_range_deg": [float(script["pose6"][:, 0].min()), float(script["pose6"][:, 0].max())],
        "pitch_range_deg": [
            float(script["pose6"][:, 1].min()),
            float(script["pose6"][:, 1].max()),
        ],
        "light": {"direction": LIGHT.unit_direction().tolist(), "fixed_to": "camera"},
        "camera": asdict(camera),
    }
    (out / MANIFEST).write_text(json.dumps(manifest, indent=1))
    return out


def _render_ring(config, script, renderer: HeadRenderer, background) -> dict[str, np.ndarray]:
    held = np.flatnonzero(script["held_out"])
    picked = held[config.ring_every // 2 :: config.ring_every]
    images, masks, depth, extr, frames, params = [], [], [], [], [], []
    for t in picked:
        for yaw, pitch in ring_views(config):
            camera = Camera(size=config.size, yaw_deg=yaw, pitch_deg=pitch)
            r = renderer.render(
                script["blendshapes"][t],
                script["pose6"][t],
                camera,
                orbit_light(yaw, pitch),
                background,
                True,
            )
            images.append(r.image)
            masks.append(r.mask)
            depth.append(r.depth.astype(np.float16))
            extr.append(camera.extrinsics().astype(np.float32))
            frames.append(t)
            params.append((yaw, pitch))
    return {
        "ring_images": np.stack(images),
        "ring_masks": np.stack(masks),
        "ring_depth": np.stack(depth),
        "ring_extrinsics": np.stack(extr),
        "ring_frames": np.array(frames, np.int32),
        "ring_params": np.array(params, np.float32),
    }


@dataclass
class Preset:
    """A built preset, read back. Arrays as saved; `manifest` the preset.json."""

    folder: Path
    manifest: dict
    arrays: dict[str, np.ndarray]

    def __getitem__(self, key: str) -> np.ndarray:
        return self.arrays[key]

    @property
    def train_index(self) -> np.ndarray:
        return np.flatnonzero(~self.arrays["held_out"])

    @property
    def held_out_index(self) -> np.ndarray:
        return np.flatnonzero(self.arrays["held_out"])


def load_preset(folder: str | Path) -> Preset:
    folder = Path(folder)
    if not (folder / MANIFEST).exists():
        raise StudioError(
            f"No NeRF preset at {folder} — build it with "
            f"`python -m studio.nerf make --out {folder}`"
        )
    manifest = json.loads((folder / MANIFEST).read_text())
    with np.load(folder / ARRAYS, allow_pickle=False) as z:
        arrays = {k: z[k] for k in z.files}
    return Preset(folder, manifest, arrays)
