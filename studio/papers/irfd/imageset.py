"""IRFD's own image set: many SynthTalk people, each image a random draw of every factor.

IRFD learns what makes a person from many people (the paper: VoxCeleb + MEAD). The default
corpus has 32 training people who share one skull and differ mostly in colour, so this set has
its own world seed, ≥ 1,000 training and ≥ 100 held-out people, and a *wider* look: face-shape
coefficients drawn 1.5× wider, and per-person head proportions (width, height, depth) — geometry,
not only colour. Each image draws emotion × intensity × mouth (a viseme's lip shape + jaw) ×
head pose (yaw ±35°, pitch ±20°, roll ±10°) × light × background, and every factor is saved.

Crops follow the paper (FOMM-style): one fixed box per person, around their frontal, neutral
face, not re-aligned per image — so a head turn moves the face inside the crop and pose stays in
the picture.
"""

from __future__ import annotations

import dataclasses
import json
import multiprocessing
import os
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path

import cv2
import numpy as np

from studio.errors import StudioError
from studio.face.crop import crop_box
from studio.face.records import BLENDSHAPE_INDEX, N_BLENDSHAPES
from studio.speech import VISEMES
from studio.synth.articulation import viseme_targets
from studio.synth.clip import sample_scene
from studio.synth.emotions import EMOTIONS, emotion_blendshapes
from studio.synth.identity import sample_identity
from studio.synth.look import SHAPE_LIMIT, FaceLook
from studio.synth.renderer import Camera, HeadRenderer

FORMAT = 1
MANIFEST = "imageset.json"
FACTORS = ("identity", "emotion", "intensity", "viseme", "jaw", "yaw", "pitch", "roll")
CROP_SCALE = 1.45  # box side / face extent: the face fills the crop, with room to turn


@dataclass(frozen=True)
class ImageSetConfig:
    name: str = "irfd-set"
    seed: int = 11  # a world of its own: none of these people is in the default corpus
    train_identities: int = 1000
    held_out_identities: int = 100
    images_per_identity: int = 24
    size: int = 128
    render_size: int = 256
    wide: bool = True  # wider face shapes and per-person head proportions
    max_yaw: float = 35.0
    max_pitch: float = 20.0
    max_roll: float = 10.0
    # the set's people are ids first_identity, first_identity + 1, …: the training people
    # first, then the held-out ones. A later first id adds new people to the same world.
    first_identity: int = 0


PRESETS = {
    "default": ImageSetConfig(),
    "tiny": ImageSetConfig(
        name="irfd-tiny", train_identities=6, held_out_identities=2, images_per_identity=4
    ),
    # 2,000 more training people for the default set (ids 1100–3099, none held out): the
    # emotion encoder's generalisation gap (docs/IRFD.md, "Emotion: where the last points are")
    "more-people": ImageSetConfig(
        name="irfd-more-people",
        train_identities=2000,
        held_out_identities=0,
        first_identity=1100,
    ),  # fmt: skip
}


@dataclass(frozen=True)
class Person:
    """One person of the set: their look and head proportions."""

    identity_id: int
    look: FaceLook
    proportions: tuple[float, float, float] | None


def person(config: ImageSetConfig, identity_id: int) -> Person:
    """Person `identity_id` of the set (the same in a set of 10 or 1,100 people)."""
    base = sample_identity(identity_id, config.seed).look
    if not config.wide:
        return Person(identity_id, base, None)
    rng = np.random.default_rng([config.seed, 7, identity_id])
    limit = 1.5 * SHAPE_LIMIT
    shape = np.clip(base.shape * 1.5, -limit, limit).astype(np.float32)
    look = dataclasses.replace(base, shape=shape, hair_volume=float(rng.uniform(0.3, 2.0)))
    proportions = tuple(float(x) for x in rng.uniform((0.9, 0.92, 0.92), (1.1, 1.08, 1.08)))
    return Person(identity_id, look, proportions)  # type: ignore[arg-type]


def draw_factors(rng: np.random.Generator, config: ImageSetConfig) -> dict:
    """One image's factors (everything but the identity)."""
    emotion = EMOTIONS[int(rng.integers(len(EMOTIONS)))]
    return {
        "emotion": emotion,
        "intensity": 1 if emotion == "neutral" else int(rng.integers(1, 4)),
        "viseme": VISEMES[int(rng.integers(len(VISEMES)))],
        "jaw": float(rng.uniform(0.0, 0.6)),
        "yaw": float(rng.uniform(-config.max_yaw, config.max_yaw)),
        "pitch": float(rng.uniform(-config.max_pitch, config.max_pitch)),
        "roll": float(rng.uniform(-config.max_roll, config.max_roll)),
    }


def face_values(factors: dict) -> np.ndarray:
    """(52,) rig values: the emotion's expression, the viseme's lips and the jaw, in [0, 1]."""
    values = emotion_blendshapes(factors["emotion"], factors["intensity"]).copy()
    for name, value in viseme_targets(factors["viseme"]).items():
        values[BLENDSHAPE_INDEX[name]] = max(values[BLENDSHAPE_INDEX[name]], value)
    values[BLENDSHAPE_INDEX["jawOpen"]] = factors["jaw"]
    return np.clip(values, 0.0, 1.0).astype(np.float32)


def crop_affine(box: np.ndarray, size: int) -> np.ndarray:
    x0, y0, x1, _ = box
    s = size / (x1 - x0)
    return np.array([[s, 0, -x0 * s], [0, s, -y0 * s]], np.float32)


class PersonRig:
    """One person of the set at their fixed crop (FOMM-style: one box per person, from the
    frontal neutral face): rig values and pose → the crop and its landmarks."""

    def __init__(self, config: ImageSetConfig, identity_id: int):
        p = person(config, identity_id)
        self.size = config.size
        self.head = HeadRenderer(p.look, config.render_size, proportions=p.proportions)
        self.camera = Camera(size=config.render_size)
        rest = self.head.render(np.zeros(N_BLENDSHAPES, np.float32), np.zeros(6), self.camera)
        self.affine = crop_affine(crop_box(rest.landmarks, CROP_SCALE), config.size)

    def draw(self, values: np.ndarray, pose6: np.ndarray, light=None, background=None):
        """(S, S, 3) uint8 crop and (478, 2) landmarks in its pixels."""
        drawn = self.head.render(values, pose6, self.camera, light, background)
        crop = cv2.warpAffine(
            drawn.image, self.affine, (self.size, self.size),
            flags=cv2.INTER_AREA, borderMode=cv2.BORDER_REPLICATE,
        )  # fmt: skip
        return crop, drawn.landmarks[:, :2] @ self.affine[:, :2].T + self.affine[:, 2]


def set_pose6(yaw: float, pitch: float, roll: float) -> np.ndarray:
    """The set's head pose (degrees) as the renderer's pose6: the head shifts a little with yaw."""
    return np.array([yaw, pitch, roll, 0.03 * yaw, 0.0, 0.0])


def render_person(config: ImageSetConfig, identity_id: int) -> dict[str, np.ndarray]:
    """Every image of one person: (n, size, size, 3) uint8 and their factors."""
    rig = PersonRig(config, identity_id)
    rng = np.random.default_rng([config.seed, 3, identity_id])
    n = config.images_per_identity
    images = np.empty((n, config.size, config.size, 3), np.uint8)
    rows: dict[str, list] = {k: [] for k in (*FACTORS, "light", "background")}
    for i in range(n):
        f = draw_factors(rng, config)
        _, light, background = sample_scene(rng, config.render_size)
        pose6 = set_pose6(f["yaw"], f["pitch"], f["roll"])
        images[i] = rig.draw(face_values(f), pose6, light, background)[0]
        for k in FACTORS[1:]:
            rows[k].append(f[k])
        rows["identity"].append(identity_id)
        rows["light"].append(light.unit_direction())
        rows["background"].append(background)
    out = {"images": images}
    out.update({k: np.asarray(v) for k, v in rows.items()})
    out["emotion"] = np.array([EMOTIONS.index(e) for e in rows["emotion"]], np.int64)
    out["viseme"] = np.array([VISEMES.index(v) for v in rows["viseme"]], np.int64)
    return out


def _render_chunk(args: tuple[ImageSetConfig, list[int], str]) -> str:
    config, ids, path = args
    parts = [render_person(config, i) for i in ids]
    np.savez(path, **{k: np.concatenate([p[k] for p in parts]) for k in parts[0]})
    return path


def render_in_processes(job: Callable, todo: list, workers: int = 0, progress=None) -> None:
    """job(item) for every item, in `workers` processes (0: up to 2; 1: this one);
    `progress(done, total)` after each."""
    workers = workers or min(2, os.cpu_count() or 1)
    if workers == 1:
        finished = map(job, todo)
    else:  # spawned, not forked: a fork of a process that has run torch can abort
        pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"))
        finished = pool.map(job, todo)
    for done, _ in enumerate(finished, 1):
        if progress:
            progress(done, len(todo))
    if workers > 1:
        pool.shutdown()


def build_imageset(
    config: ImageSetConfig, out: str | Path, workers: int = 0, progress=None
) -> Path:
    """Render the set into `out` in chunks of 20 people (a stopped build resumes)."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    first = config.first_identity
    ids = list(range(first, first + config.train_identities + config.held_out_identities))
    chunks = [ids[i : i + 20] for i in range(0, len(ids), 20)]
    todo = [
        (config, c, str(out / f"chunk_{k:04d}.npz"))
        for k, c in enumerate(chunks)
        if not (out / f"chunk_{k:04d}.npz").exists()
    ]
    render_in_processes(_render_chunk, todo, workers, progress)
    manifest = {
        "format": FORMAT,
        "config": asdict(config),
        "chunks": len(chunks),
        "images": len(ids) * config.images_per_identity,
        "held_out_ids": ids[config.train_identities :],
        "factors": list(FACTORS),
        "emotions": list(EMOTIONS),
        "visemes": list(VISEMES),
    }
    (out / MANIFEST).write_text(json.dumps(manifest, indent=1))
    return out


def imageset_chunks(folder: str | Path) -> Iterator[dict[str, np.ndarray]]:
    """A built set's chunks (20 people each), one at a time, each with `held_out`."""
    folder = Path(folder)
    if not (folder / MANIFEST).exists():
        raise StudioError(
            f"No IRFD image set at {folder} — build it with "
            f"`python -m studio.irfd make --out {folder}`"
        )
    manifest = json.loads((folder / MANIFEST).read_text())
    for k in range(manifest["chunks"]):
        with np.load(folder / f"chunk_{k:04d}.npz", allow_pickle=False) as z:
            chunk = {key: z[key] for key in z.files}
        chunk["held_out"] = np.isin(chunk["identity"], manifest["held_out_ids"])
        yield chunk


def load_imageset(folder: str | Path) -> dict[str, np.ndarray]:
    """Every image and factor of a built set, plus `held_out` (bool per image)."""
    parts = list(imageset_chunks(folder))
    return {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}


def add_training_people(data: dict[str, np.ndarray], more: dict[str, np.ndarray]
                        ) -> dict[str, np.ndarray]:  # fmt: skip
    """A loaded set with another set's people added as training people (`more-people`); the
    held-out people stay the first set's, so its benches read the same people."""
    shared = np.intersect1d(np.unique(data["identity"]), np.unique(more["identity"]))
    if len(shared):
        raise StudioError(
            f"The added set repeats {len(shared)} of the set's people (ids from {shared[0]}): "
            "build it with a later first identity (`make --preset more-people`)"
        )
    more = {**more, "held_out": np.zeros(len(more["identity"]), bool)}
    return {k: np.concatenate([data[k], more[k]]) for k in data}
