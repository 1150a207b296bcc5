"""The SynthTalk corpus on disk: plan the clips, render them in parallel, read them back.

Layout of a corpus folder:
    manifest.json              parameters, splits, one entry per clip
    identities/<id>.json       each identity's look, voice and motion style
    clips/<clip_id>/frames.npz     frames (T, H, W, 3) and masks (T, H, W), uint8, lossless
    clips/<clip_id>/audio.wav      16 kHz mono
    clips/<clip_id>/labels.npz     per-frame ground truth arrays (see `LABEL_ARRAYS`)
    clips/<clip_id>/labels.json    spec, phonemes and visemes per frame, phoneme events
    clips/<clip_id>/views.npz      extra calibrated views of some frames (held-out identities)
A clip folder appears atomically (written aside, then renamed), so an interrupted build resumes
where it stopped.
"""

from __future__ import annotations

import json
import logging
import multiprocessing as mp
import os
import shutil
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from studio.errors import StudioError
from studio.media import write_wav
from studio.provenance import commit
from studio.synth.clip import EXTRA_VIEWS, Clip, ClipSpec, make_clip
from studio.synth.emotions import EMOTIONS, emotion_conditions
from studio.synth.identity import Identity, sample_identity
from studio.synth.renderer import HeadRenderer
from studio.synth.sentences import HELD_OUT_SENTENCES, TRAIN_SENTENCES

log = logging.getLogger(__name__)

FORMAT_VERSION = 1
LABEL_ARRAYS = ("blendshapes", "pose6", "landmarks", "visible", "intrinsics", "extrinsics")


@dataclass(frozen=True)
class CorpusConfig:
    """How big a corpus is. The presets below are the documented recipes."""

    name: str
    seed: int = 0
    train_identities: int = 32
    held_out_identities: int = 8
    sentences_per_identity: int = 2  # training sentences, each in every emotion and intensity
    held_out_sentence_clips: bool = True  # one held-out sentence per identity, 8 emotions
    conditions: tuple[tuple[str, int], ...] | None = None  # None = all 22
    size: int = 128
    view_every: int = 10  # held-out identities: extra views for every 10th frame (0 = none)

    def all_conditions(self) -> list[tuple[str, int]]:
        return list(self.conditions) if self.conditions else emotion_conditions()

    @property
    def held_out_ids(self) -> list[int]:
        """The held-out identities' ids: they follow the training ones."""
        first = self.train_identities
        return list(range(first, first + self.held_out_identities))


PRESETS: dict[str, CorpusConfig] = {
    "default": CorpusConfig(name="synthtalk-default"),
    "small": CorpusConfig(name="synthtalk-small", train_identities=8, held_out_identities=4),
    "tiny": CorpusConfig(
        name="synthtalk-tiny",
        train_identities=2,
        held_out_identities=1,
        sentences_per_identity=1,
        held_out_sentence_clips=False,
        conditions=(("neutral", 1), ("happy", 3)),
        size=96,
        view_every=20,
    ),
}


def _clip_seed(config: CorpusConfig, *parts: int) -> int:
    return int(np.random.SeedSequence([config.seed, 2, *parts]).generate_state(1)[0])


def plan_clips(config: CorpusConfig) -> list[ClipSpec]:
    """Every clip of the corpus, in a stable order (by identity)."""
    specs: list[ClipSpec] = []
    n_ids = config.train_identities + config.held_out_identities
    top = {e: max(i for ee, i in emotion_conditions() if ee == e) for e in EMOTIONS}
    for ident in range(n_ids):
        id_split = "train" if ident < config.train_identities else "held_out"
        view_every = config.view_every if id_split == "held_out" else 0
        plans = []
        for k in range(config.sentences_per_identity):
            sentence_id = (ident * config.sentences_per_identity + k) % len(TRAIN_SENTENCES)
            for emotion, intensity in config.all_conditions():
                plans.append(
                    ("train", sentence_id, TRAIN_SENTENCES[sentence_id], emotion, intensity)
                )
        if config.held_out_sentence_clips:
            sentence_id = ident % len(HELD_OUT_SENTENCES)
            for emotion in EMOTIONS:
                plans.append(
                    (
                        "held_out",
                        sentence_id,
                        HELD_OUT_SENTENCES[sentence_id],
                        emotion,
                        top[emotion],
                    )
                )
        for s_split, sentence_id, text, emotion, intensity in plans:
            tag = "s" if s_split == "train" else "h"
            clip_id = f"id{ident:03d}_{tag}{sentence_id:02d}_{emotion}{intensity}"
            seed = _clip_seed(
                config,
                ident,
                0 if s_split == "train" else 1,
                sentence_id,
                EMOTIONS.index(emotion),
                intensity,
            )
            specs.append(
                ClipSpec(
                    clip_id=clip_id,
                    identity_id=ident,
                    sentence_id=sentence_id,
                    sentence_split=s_split,
                    text=text,
                    emotion=emotion,
                    intensity=intensity,
                    seed=seed,
                    identity_split=id_split,
                    view_every=view_every,
                )
            )
    return specs


def save_clip(clip: Clip, folder: Path) -> dict:
    """Write one clip atomically; return its manifest entry."""
    spec, perf = clip.spec, clip.performance
    tmp = folder.with_name(folder.name + ".partial")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    np.savez_compressed(tmp / "frames.npz", frames=clip.frames, masks=clip.masks)
    write_wav(tmp / "audio.wav", perf.audio)
    np.savez_compressed(
        tmp / "labels.npz",
        blendshapes=perf.blendshapes.astype(np.float32),
        pose6=perf.pose6.astype(np.float32),
        landmarks=clip.landmarks,
        visible=clip.visible,
        intrinsics=clip.camera.intrinsics().astype(np.float32),
        extrinsics=clip.camera.extrinsics().astype(np.float32),
    )
    labels = {
        "spec": asdict(spec),
        "fps": perf.fps,
        "n_frames": len(clip.frames),
        "frame_phoneme": list(perf.frame_phoneme),
        "frame_viseme": list(perf.frame_viseme),
        "phonemes": [
            {
                "symbol": p.symbol,
                "start": p.start,
                "end": p.end,
                "stress": getattr(p, "stress", None),
            }
            for p in perf.phonemes
        ],
        "camera": {k: v for k, v in asdict(clip.camera).items()},
        "light": {
            "direction": np.asarray(clip.light.direction).tolist(),
            "ambient": clip.light.ambient,
            "diffuse": clip.light.diffuse,
        },
        "background": clip.background.tolist(),
    }
    (tmp / "labels.json").write_text(json.dumps(labels))
    if len(clip.view_frames):
        np.savez_compressed(
            tmp / "views.npz",
            frames=clip.view_frames,
            params=clip.view_params,
            images=clip.view_images,
            masks=clip.view_masks,
            landmarks=clip.view_landmarks,
        )
    shutil.rmtree(folder, ignore_errors=True)
    os.replace(tmp, folder)
    return manifest_entry(spec, len(clip.frames), bool(len(clip.view_frames)))


def manifest_entry(spec: ClipSpec, n_frames: int, has_views: bool) -> dict:
    return {**asdict(spec), "n_frames": n_frames, "has_views": has_views}


# ----------------------------------------------------------------------------- workers
_worker_cache: dict[int, tuple[Identity, object]] = {}
_worker_config: CorpusConfig | None = None


def _init_worker(config: CorpusConfig) -> None:
    global _worker_config
    _worker_config = config
    os.environ.setdefault("OMP_NUM_THREADS", "1")


def _render_one(args: tuple[ClipSpec, str]) -> dict:
    spec, out = args
    config = _worker_config
    assert config is not None
    if spec.identity_id not in _worker_cache:
        if len(_worker_cache) >= 4:
            _worker_cache.pop(next(iter(_worker_cache)))
        identity = sample_identity(spec.identity_id, config.seed)
        _worker_cache[spec.identity_id] = (identity, HeadRenderer(identity.look, size=config.size))
    identity, renderer = _worker_cache[spec.identity_id]
    clip = make_clip(spec, identity, renderer, config.size)
    return save_clip(clip, Path(out) / "clips" / spec.clip_id)


def build_corpus(
    config: CorpusConfig,
    out: str | Path,
    workers: int = 2,
    progress: Callable[[int, int], None] | None = None,
) -> dict:
    """Render every clip not yet on disk, then write the manifest. Returns the manifest."""
    out = Path(out)
    (out / "clips").mkdir(parents=True, exist_ok=True)
    (out / "identities").mkdir(exist_ok=True)
    specs = plan_clips(config)
    n_ids = config.train_identities + config.held_out_identities
    for ident in range(n_ids):
        path = out / "identities" / f"{ident:03d}.json"
        if not path.exists():
            path.write_text(json.dumps(sample_identity(ident, config.seed).to_dict(), indent=1))
    entries: dict[str, dict] = {}
    todo = []
    for spec in specs:
        folder = out / "clips" / spec.clip_id
        if (folder / "labels.json").exists():
            labels = json.loads((folder / "labels.json").read_text())
            entries[spec.clip_id] = manifest_entry(
                spec, labels["n_frames"], (folder / "views.npz").exists()
            )
        else:
            todo.append(spec)
    started = time.monotonic()
    done = len(entries)
    if todo:
        log.info("rendering %d clips (%d already on disk)", len(todo), done)
        if workers <= 1:
            _init_worker(config)
            results: Iterator[dict] = map(_render_one, [(s, str(out)) for s in todo])
            pool = None
        else:
            pool = mp.get_context("spawn").Pool(
                workers, initializer=_init_worker, initargs=(config,)
            )
            results = pool.imap_unordered(_render_one, [(s, str(out)) for s in todo], chunksize=2)
        try:
            for entry in results:
                entries[entry["clip_id"]] = entry
                done += 1
                if progress:
                    progress(done, len(specs))
        finally:
            if pool is not None:
                pool.close()
                pool.join()
    seconds = time.monotonic() - started

    manifest = {
        "format_version": FORMAT_VERSION,
        "config": asdict(config),
        "fps": 25.0,
        "extra_views": [list(v) for v in EXTRA_VIEWS],
        "splits": {
            "train_identities": list(range(config.train_identities)),
            "held_out_identities": list(range(config.train_identities, n_ids)),
            "train_sentences": list(TRAIN_SENTENCES),
            "held_out_sentences": list(HELD_OUT_SENTENCES),
        },
        "clips": [entries[s.clip_id] for s in specs],
        "build": {
            "rendered_clips": len(todo),
            "seconds": round(seconds, 1),
            "frames": int(sum(entries[s.clip_id]["n_frames"] for s in todo)),
            "workers": workers,
            "commit": commit(),  # the rig and recipes that drew it
        },
    }
    (out / "manifest.json").write_text(json.dumps(manifest, indent=1))
    return manifest


# ----------------------------------------------------------------------------- reading
@dataclass
class ClipData:
    """A clip read back from disk; arrays as written by `save_clip`."""

    entry: dict
    frames: np.ndarray
    masks: np.ndarray
    audio: np.ndarray
    labels: dict  # arrays of labels.npz
    meta: dict  # labels.json


def load_manifest(corpus: str | Path) -> dict:
    path = Path(corpus) / "manifest.json"
    if not path.exists():
        raise StudioError(
            f"No SynthTalk manifest in '{corpus}'. Build one with: "
            "python -m studio.synth make --out <dir> --preset tiny"
        )
    return json.loads(path.read_text())


def unknown_clip_message(corpus: str | Path, clip_id: str) -> str:
    """Say that a clip id is unknown, and which ids look like it (ids read idNNN_sSS_emotionI:
    identity, sentence, emotion and intensity)."""
    import difflib

    try:
        ids = [c["clip_id"] for c in load_manifest(corpus)["clips"]]
    except (StudioError, OSError, ValueError, KeyError):
        ids = []
    close = difflib.get_close_matches(clip_id, ids, n=3, cutoff=0.6)
    hint = f" Did you mean {', '.join(close)}?" if close else ""
    return (
        f"Clip '{clip_id}' is not in the corpus at '{corpus}'.{hint} Clip ids read "
        "idNNN_sSS_<emotion><intensity>, e.g. id033_s06_happy3."
    )


def load_clip(corpus: str | Path, clip_id: str, frames: bool = True) -> ClipData:
    import soundfile as sf

    folder = Path(corpus) / "clips" / clip_id
    if not (folder / "labels.json").exists():
        raise StudioError(unknown_clip_message(corpus, clip_id))
    meta = json.loads((folder / "labels.json").read_text())
    with np.load(folder / "labels.npz") as z:
        labels = {k: z[k] for k in z.files}
    if frames:
        with np.load(folder / "frames.npz") as z:
            images, masks = z["frames"], z["masks"]
    else:
        images = masks = np.zeros((0,), np.uint8)
    audio, _ = sf.read(folder / "audio.wav", dtype="float32")
    entry = {**meta["spec"], "n_frames": meta["n_frames"]}
    return ClipData(entry=entry, frames=images, masks=masks, audio=audio, labels=labels, meta=meta)


def load_views(corpus: str | Path, clip_id: str) -> dict[str, np.ndarray] | None:
    path = Path(corpus) / "clips" / clip_id / "views.npz"
    if not path.exists():
        return None
    with np.load(path) as z:
        return {k: z[k] for k in z.files}
