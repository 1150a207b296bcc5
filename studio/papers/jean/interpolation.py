"""Expression interpolation: move JEAN's expression code from one source to another (and past
them), decode it to blendshapes with the transformer's decoder, render with the SynthTalk rig.

    a = expression_code_of_clip(model, corpus, "id033_s06_happy3")
    b = expression_code_of_label(bank, "sad")
    it = Interpolator(model, a, b, lip=rest_lip_code(bank), identity_id=33)
    image, blendshapes = it.frame(0.5)
    frames = it.strip(np.linspace(-0.5, 1.5, 9)); export_strip(frames, "path.gif")
"""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np

from studio.errors import StudioError
from studio.media import write_gif, write_video
from studio.papers.jean.codes import corpus_bank, face_source_codes
from studio.papers.jean.model import expression_features, landmark_features, load
from studio.paths import BUILD_DEFAULT_CORPUS
from studio.render.camera import Camera
from studio.synth.corpus import load_clip
from studio.synth.identity import sample_identity
from studio.synth.renderer import HeadRenderer

ALPHA_RANGE = (-0.5, 1.5)


@functools.lru_cache(maxsize=8)
def renderer(identity_id: int, size: int = 128, corpus_seed: int = 0, supersample: int = 2):
    """A SynthTalk HeadRenderer for one identity (built once, ≈ 0.4 s). supersample=1 is the
    slider's draft: no anti-aliasing, ≈ 3× faster at 256² (11 vs 32 ms here)."""
    return HeadRenderer(sample_identity(int(identity_id), corpus_seed).look, size, supersample)


def portrait_camera(size: int):
    return Camera(size=size, distance_cm=48.0)


def interpolate(a: np.ndarray, b: np.ndarray, alpha: float) -> np.ndarray:
    """(1 − α) a + α b; α outside [0, 1] extrapolates (exaggerates)."""
    return ((1.0 - alpha) * np.asarray(a, np.float32) + alpha * np.asarray(b, np.float32)).astype(
        np.float32
    )


def rest_lip_code(bank) -> np.ndarray:
    """The mean lip code of the bank's silent-looking frames: the first two frames of every
    corpus clip (the synthetic speakers start with a closed mouth); the bank mean otherwise."""
    frames = np.asarray(bank.labels["frame"])
    sel = (frames <= 1) & (np.asarray(bank.labels["source"]) == "SynthTalk")
    lip = bank.codes["lip"]
    return (lip[sel] if sel.any() else lip).mean(0).astype(np.float32)


def expression_code_of_label(bank, emotion: str, intensity: int | None = None) -> np.ndarray:
    """Mean expression code of the bank's frames with that emotion (intensity 3 by default,
    neutral has only 1)."""
    emo = np.asarray(bank.labels["emotion"]).astype(str)
    inten = np.asarray(bank.labels["intensity"])
    sel = emo == emotion
    if intensity is None and emotion != "neutral":
        intensity = 3
    if intensity is not None and emotion != "neutral":
        sel &= inten == intensity
    if not sel.any():
        raise StudioError(f"No frames labelled '{emotion}' in the code bank")
    return bank.codes["expression"][sel].mean(0).astype(np.float32)


def expression_code_of_clip(model, corpus: str | Path, clip_id: str) -> np.ndarray:
    """Mean expression code over a SynthTalk clip (from its GT blendshapes and landmarks)."""
    clip = load_clip(corpus, clip_id, frames=False)
    feats = expression_features(
        clip.labels["blendshapes"], landmark_features(clip.labels["landmarks"])
    )
    return model.expression_codes(feats)[1].mean(0).astype(np.float32)


def expression_code_of_source(model, source) -> np.ndarray:
    """Mean expression code of a user's tracked face source (`studio.sources.FaceSource`)."""
    return face_source_codes(model, source.track)["expression"].mean(0).astype(np.float32)


class Interpolator:
    """Decode + render along the path from expression code a to b for one identity.

    The lip code is held fixed (a closed mouth by default) so only the expression moves.
    """

    def __init__(
        self,
        model,
        code_a: np.ndarray,
        code_b: np.ndarray,
        lip: np.ndarray | None = None,
        identity_id: int = 32,
        size: int = 128,
    ) -> None:
        self.model = model
        self.a = np.asarray(code_a, np.float32)
        self.b = np.asarray(code_b, np.float32)
        self.lip = np.zeros_like(self.a) if lip is None else np.asarray(lip, np.float32)
        self.size = size
        self.identity_id = int(identity_id)
        self.renderer = renderer(self.identity_id, size)
        self.camera = portrait_camera(size)

    def blendshapes(self, alpha: float) -> np.ndarray:
        """(52,) decoded blendshapes at α."""
        return self.model.decode_blendshapes(self.lip, interpolate(self.a, self.b, alpha))[0]

    def frame(self, alpha: float, draft: bool = False) -> tuple[np.ndarray, np.ndarray]:
        """(size, size, 3) uint8 image and its (52,) blendshapes at α. draft: rendered without
        anti-aliasing (while a slider moves; the full frame follows when it is let go)."""
        bs = self.blendshapes(alpha)
        drawer = renderer(self.identity_id, self.size, supersample=1) if draft else self.renderer
        img = drawer.render(bs, np.zeros(6), camera=self.camera).image
        return img, bs

    def strip(self, alphas) -> np.ndarray:
        """(len(alphas), size, size, 3) frames along the path."""
        return np.stack([self.frame(float(a))[0] for a in alphas])


def strip_image(frames: np.ndarray, alphas=None) -> np.ndarray:
    """Frames side by side, one image; with `alphas`, each frame's α written under it."""
    if alphas is None:
        return np.concatenate(list(frames), axis=1)
    import cv2

    if len(alphas) != len(frames):
        raise ValueError(f"{len(frames)} frames but {len(alphas)} alphas")
    width = frames.shape[2]
    scale = max(0.35, width / 320)
    band = int(round(28 * scale))
    labelled = []
    for frame, a in zip(frames, alphas, strict=True):
        caption = np.full((band, width, 3), 255, np.uint8)
        text = f"alpha = {float(a):+.2f}"  # the tab's α (Hershey fonts have no Greek)
        font = cv2.FONT_HERSHEY_SIMPLEX
        (tw, th), _ = cv2.getTextSize(text, font, scale, 1)
        org = ((width - tw) // 2, (band + th) // 2)
        cv2.putText(caption, text, org, font, scale, (40, 40, 40), 1, cv2.LINE_AA)
        labelled.append(np.concatenate([frame, caption], axis=0))
    return np.concatenate(labelled, axis=1)


def path_frames(
    interp: Interpolator, n: int = 25, lo: float = ALPHA_RANGE[0], hi: float = ALPHA_RANGE[1]
) -> np.ndarray:
    """A there-and-back path lo → hi → lo with n frames each way (for GIF / mp4)."""
    alphas = np.linspace(lo, hi, n)
    forth = interp.strip(alphas)
    return np.concatenate([forth, forth[::-1]])


def export_strip(frames: np.ndarray, path: str | Path, fps: float = 12.5) -> Path:
    """Write frames as .gif or .mp4 (by the suffix)."""
    path = Path(path)
    if path.suffix.lower() == ".gif":
        return write_gif(path, frames, fps=fps)
    if path.suffix.lower() == ".mp4":
        return write_video(path, frames, fps=fps)
    raise StudioError(f"Export as .gif or .mp4, not '{path.suffix}'")


# ----------------------------------------------------------------------------- choosing sources
SOURCE_KINDS = ("emotion label", "SynthTalk clip", "my emotion source")


@functools.lru_cache(maxsize=64)
def _clip_code_cached(corpus: str, clip_id: str) -> bytes:
    return expression_code_of_clip(load(), corpus, clip_id).tobytes()


def code_from_choice(kind: str, label: str, clip_id: str, sources=None, corpus=None) -> np.ndarray:
    """The expression code a tab's source picker names (uses the shipped JEAN checkpoint):
    an emotion label (mean code of the held-out bank), a SynthTalk clip id (mean over the clip)
    or the session's emotion-source video."""
    # without a corpus named, the default one only when it has what the tabs need (else the
    # shipped bank: `corpus_bank`)
    if kind == "emotion label":
        return expression_code_of_label(corpus_bank(corpus), label)
    if kind == "SynthTalk clip":
        clip_id = (clip_id or "").strip()
        if not clip_id:
            raise StudioError("Type a SynthTalk clip id, e.g. id033_s06_happy3, and press Enter")
        bank = corpus_bank(corpus)
        if not bank.corpus:  # the shipped bank's frames of it
            sel = np.asarray(bank.labels["clip_id"]).astype(str) == clip_id
            if not sel.any():
                import difflib

                known = sorted(set(np.asarray(bank.labels["clip_id"]).astype(str)))
                close = difflib.get_close_matches(clip_id, known, n=3, cutoff=0.6)
                hint = f" Did you mean {', '.join(close)}?" if close else ""
                raise StudioError(
                    f"Clip '{clip_id}' is not in the shipped code bank (held-out identities "
                    f"{_id_range(bank)} only).{hint} For every clip, build the corpus: "
                    + BUILD_DEFAULT_CORPUS
                )
            return bank.codes["expression"][sel].mean(0).astype(np.float32)
        return np.frombuffer(_clip_code_cached(bank.corpus, clip_id), np.float32)
    if kind == "my emotion source":
        if sources is None or sources.emotion is None:
            raise StudioError("No emotion source loaded — upload one in the Sources tab")
        return expression_code_of_source(load(), sources.emotion)
    raise StudioError(f"Unknown source kind '{kind}'")


def interpolator_for(
    kind_a,
    label_a,
    clip_a,
    kind_b,
    label_b,
    clip_b,
    identity_id: int,
    sources=None,
    size: int = 128,
    corpus=None,
) -> Interpolator:
    """An Interpolator between two picked sources, with a closed-mouth lip code."""
    a = code_from_choice(kind_a, label_a, clip_a, sources, corpus)
    b = code_from_choice(kind_b, label_b, clip_b, sources, corpus)
    lip = rest_lip_code(corpus_bank(corpus))
    return Interpolator(load(), a, b, lip=lip, identity_id=int(identity_id), size=size)


def _id_range(bank) -> str:
    """The bank's identities as 'first–last' (zero-padded like clip ids)."""
    ids = sorted({int(i) for i in np.asarray(bank.labels["identity"]).astype(str) if i.isdigit()})
    return f"{ids[0]:03d}–{ids[-1]:03d}" if ids else "none"
