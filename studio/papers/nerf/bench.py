"""`python -m studio.bench nerf`: the shipped fit on the preset's held-out frames and audio.

- Training view: held-out frames (later sentences, unseen audio) from the main camera, rendered
  with their own codes and head pose: PSNR (full frame, and the head region: the GT mask dilated
  by 4 px, since flat background inflates full-frame PSNR), SSIM, at 256² and 128².
- Novel views: the GT ring (yaw −40…40, pitch ±15 around held-out frames; the light turns with
  the camera, as in training), per angle.
- Lips: the sync expert's LSE-C on held-out sentences against the GT's; M-LMD of tracked renders.
- Expression: held-out audio driven with each intensity-3 emotion of the clip (its mean code):
  the emotion classifier on the renders.
- Disentanglement: another sentence's audio codes → upper-face PSNR against the unswapped render;
  another emotion's expression code → change of the tracked jawOpen.
- Speed: medians after warm-up, per quality. The fit curve (PSNR vs minutes) is the card's.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import cv2
import numpy as np

from studio.errors import StudioError
from studio.eval.images import psnr_batch, ssim_batch
from studio.eval.landmarks import m_lmd
from studio.eval.sync import sync_scores
from studio.evaluators.emotion_classifier.model import load as load_emotion
from studio.evaluators.sync_expert.model import clip_embeddings
from studio.evaluators.sync_expert.model import load as load_sync
from studio.face.crop import crop_face, mouth_crop
from studio.face.records import BLENDSHAPE_INDEX
from studio.face.tracker import track_frames
from studio.nn.checkpoints import checkpoint_exists, load_card
from studio.nn.loop import read_log
from studio.nn.spec import Bar
from studio.papers.jean.tracked_emotion_judge import NAME as JUDGE
from studio.papers.jean.tracked_emotion_judge import load_judge, read_emotions
from studio.papers.nerf.export import fit_command, fitted_from_run, ship
from studio.papers.nerf.fit import NOSE_BASE
from studio.papers.nerf.preset import Preset, load_preset
from studio.papers.nerf.render import FittedNerf, NerfRenderer, Quality, View, load_fitted
from studio.paths import shown
from studio.speech import FPS, SAMPLE_RATE, log_mel
from studio.synth.emotions import EMOTIONS

BARS = (
    Bar("fit_minutes", "<=", 60.0, "fit time of the shipped field on this machine"),
    Bar("held_out_psnr_256", ">=", 30.0, "training view, held-out frames, 256², full frame"),
    Bar("ring_psnr_yaw20", ">=", 28.0, "novel views at ±20° yaw (mean of the two), 256²"),
    Bar("lse_c_ratio", ">=", 0.7, "LSE-C of renders ÷ GT's on held-out audio"),
    Bar("emotion_accuracy_intensity3", ">=", 0.85, "emotion classifier on driven renders"),
    Bar("upper_face_psnr_audio_swap", ">=", 35.0, "upper face unchanged when the audio swaps"),
    Bar("jaw_open_change_expression_swap", "<=", 0.1, "mouth opening kept when emotion swaps"),
    Bar("ms_128", "<=", 40.0, "one 128² frame (draft quality, median after warm-up)"),
    Bar("ms_256", "<=", 100.0, "one 256² frame (full quality, median after warm-up)"),
)
DEFAULT_PRESET = Path("data/nerf-synth")
JAW_OPEN = BLENDSHAPE_INDEX["jawOpen"]


class Scene:
    """The fitted field, its renderer and the preset it was fitted on, for one bench run."""

    def __init__(self, fitted: FittedNerf, preset: Preset):
        self.fitted, self.preset = fitted, preset
        self.renderer = NerfRenderer(fitted)
        self.audio, self.expression = fitted.audio_codes, fitted.expression_codes

    def landmarks(self, frames: np.ndarray, size: int = 256) -> np.ndarray:
        """GT landmarks of frames in pixels of a `size` image."""
        return self.preset["landmarks"][frames] * (size / self.preset["frames"].shape[1])

    def masks(self, frames: np.ndarray, size: int = 256) -> np.ndarray:
        return _resize(self.preset["masks"][frames], size)

    def gt(self, frames: np.ndarray, size: int = 256) -> np.ndarray:
        return _resize(self.preset["frames"][frames], size)

    def render(self, frames, audio=None, expression=None, quality=Quality.FULL, yaw=0.0, pitch=0.0):
        """Frames t of the clip at their own head pose; codes default to the clip's own."""
        a = self.audio[frames] if audio is None else audio
        e = self.expression[frames] if expression is None else expression
        pose = self.preset["pose6"]
        return np.stack(
            [
                self.renderer.render(View(yaw, pitch, 72.0, pose[t]), a[i], e[i], quality)
                for i, t in enumerate(frames)
            ]
        )


def _resize(images: np.ndarray, size: int) -> np.ndarray:
    if images.shape[1] == size:
        return images
    return np.stack([cv2.resize(x, (size, size), interpolation=cv2.INTER_AREA) for x in images])


def image_scores(pred: np.ndarray, gt: np.ndarray, masks: np.ndarray) -> dict[str, float]:
    """PSNR (full frame and head region), SSIM of renders against GT (uint8 batches)."""
    size = pred.shape[1]
    gt, masks = _resize(gt, size), _resize(masks, size)
    kernel = np.ones((9, 9), np.uint8)
    region = np.stack([cv2.dilate((m > 127).astype(np.uint8), kernel) > 0 for m in masks])
    return {
        "psnr": float(psnr_batch(pred, gt).mean()),
        "psnr_head": float(psnr_batch(pred, gt, region).mean()),
        "ssim": float(ssim_batch(pred, gt).mean()),
    }


def training_view(scene: Scene, frames: np.ndarray) -> tuple[dict, np.ndarray]:
    gt, masks = scene.preset["frames"][frames], scene.preset["masks"][frames]
    full = scene.render(frames)
    out = {f"held_out_{k}_256": v for k, v in image_scores(full, gt, masks).items()}
    small = scene.render(frames, quality=Quality.SHARP_128)
    out.update({f"held_out_{k}_128": v for k, v in image_scores(small, gt, masks).items()})
    return out, full


def ring_scores(scene: Scene, every: int = 1) -> dict[str, float]:
    p = scene.preset
    frames, params = p["ring_frames"], p["ring_params"]
    out: dict[str, float] = {}
    for yaw, pitch in np.unique(params, axis=0):
        pick = np.flatnonzero((params[:, 0] == yaw) & (params[:, 1] == pitch))[::every]
        pred = scene.render(frames[pick], yaw=float(yaw), pitch=float(pitch))
        s = image_scores(pred, p["ring_images"][pick], p["ring_masks"][pick])
        out.update({f"ring.yaw{int(yaw):+d}_pitch{int(pitch):+d}.{k}": v for k, v in s.items()})
    for deg in (20, 40):
        for k in ("psnr", "psnr_head", "ssim"):
            both = [out[f"ring.yaw{sign}{deg}_pitch+0.{k}"] for sign in "+-"]
            out[f"ring_{k}_yaw{deg}"] = float(np.mean(both))
    return out


def sentences(preset: Preset, frames: np.ndarray) -> list[np.ndarray]:
    """`frames` grouped by the sentence they belong to."""
    s = preset["sentence"][frames]
    return [frames[s == k] for k in np.unique(s)]


def lip_scores(scene: Scene, frames: np.ndarray, renders: np.ndarray) -> dict[str, float]:
    """LSE-C of the renders and of the GT per held-out sentence (mouth crops at the GT
    landmarks: the render is drawn at the GT pose), and M-LMD of the tracked renders."""
    sync, p = load_sync(), scene.preset
    by_frame = {int(t): i for i, t in enumerate(frames)}
    lse_gt, lse_made = [], []
    for group in sentences(p, frames):
        if len(group) < 20:
            continue
        start, stop = int(group[0] * SAMPLE_RATE / FPS), int((group[-1] + 1) * SAMPLE_RATE / FPS)
        mel = log_mel(p["audio"][start:stop])
        lm = scene.landmarks(group)
        for images, out in (
            (scene.gt(group), lse_gt),
            (renders[[by_frame[int(t)] for t in group]], lse_made),
        ):
            mouths = np.stack([mouth_crop(f, q) for f, q in zip(images, lm, strict=True)])
            v, a = clip_embeddings(sync, mouths, mel)
            out.append(sync_scores(v, a, 15).lse_c)
    track = track_frames(renders, FPS)
    # image landmarks, x and y in units of the interocular distance (scale-free)
    lmd = m_lmd(track.landmarks, scene.landmarks(frames), "interocular", found_pred=track.found)
    return {
        "lse_c": float(np.mean(lse_made)),
        "lse_c_gt": float(np.mean(lse_gt)),
        "lse_c_ratio": float(np.mean(lse_made) / np.mean(lse_gt)),
        "m_lmd_interocular": float(lmd.value),
        "tracked_share": float(track.found.mean()),
    }


def emotion_scores(scene: Scene, frames: np.ndarray) -> dict[str, float]:
    """Held-out audio driven with each intensity-3 emotion's mean code of the clip, read by the
    emotion classifier (the bar's judge) and, when shipped, the tracked judge that has seen turned
    heads (`emotion_judge`). Beside each: the judge's read of this person's GT frames in that
    emotion (its ceiling) and of held-out frames rendered with their own codes (what the field
    draws before the mean code is asked of it)."""
    classifier = load_emotion()
    judge = load_judge() if checkpoint_exists(JUDGE) else None
    p = scene.preset
    size = classifier.config.face_size
    emotions = sorted({str(e) for e, i in zip(p["emotion"], p["intensity"], strict=True) if i == 3})
    held = p.held_out_index
    reads: dict[str, dict[str, float]] = {}  # stage (+ judge) → emotion → share read right

    def read(stage: str, images: np.ndarray, t: np.ndarray, emotion: str) -> None:
        k = EMOTIONS.index(emotion)
        crops = np.stack(
            [crop_face(f, q, size) for f, q in zip(images, scene.landmarks(t), strict=True)]
        )
        got = {"": float((classifier.predict(crops) == k).mean())}
        if judge is not None:
            pred, _ = read_emotions(judge, images)
            got["_tracked_judge"] = float((pred == k).mean())
        for judge_name, value in got.items():
            reads.setdefault(f"{stage}{judge_name}", {})[emotion] = value

    for emotion in emotions:
        code = np.repeat(scene.fitted.emotion_code(emotion)[None], len(frames), 0)
        read("emotion_accuracy", scene.render(frames, expression=code), frames, emotion)
        # the judge's own ceiling: the GT frames of this person in this emotion, as many
        own = np.flatnonzero(p["emotion"] == emotion)
        own = own[np.linspace(0, len(own) - 1, min(len(frames), len(own))).round().astype(int)]
        read("emotion_accuracy_gt", scene.gt(own), own, emotion)
        # held-out frames in this emotion, each rendered with its own codes
        mine = held[p["emotion"][held] == emotion][: len(frames)]
        if len(mine):
            read("emotion_accuracy_own_codes", scene.render(mine), mine, emotion)
    out: dict[str, float] = {}
    for stage, per_emotion in reads.items():
        out.update({f"{stage}.{e}": v for e, v in per_emotion.items()})
        name = stage.replace("emotion_accuracy", "emotion_accuracy_intensity3", 1)
        out[name] = float(np.mean(list(per_emotion.values())))
    return out


def upper_face(landmarks: np.ndarray, masks: np.ndarray) -> np.ndarray:
    """(T, H, W) bool: the head above the nose base, 4 px clear of it."""
    h = masks.shape[1]
    rows = np.arange(h)[None, :, None]
    cut = landmarks[:, NOSE_BASE, 1][:, None, None] - 4
    return (masks > 127) & (rows < cut)


def swap_scores(
    scene: Scene, frames: np.ndarray, renders: np.ndarray, expression: bool = True
) -> dict[str, float]:
    """Audio swapped (codes of frames half a sentence-list away) and expression swapped
    (another intensity-3 emotion's mean code) against the unswapped renders."""
    p = scene.preset
    other = np.roll(frames, len(frames) // 2)
    swapped_audio = scene.render(frames, audio=scene.audio[other])
    masks = scene.masks(frames)
    region = upper_face(scene.landmarks(frames), masks)
    upper = psnr_batch(swapped_audio, renders, region)
    mouth_moved = psnr_batch(swapped_audio, renders, ~region & (masks > 127))
    out = {
        "upper_face_psnr_audio_swap": float(np.mean(upper)),
        "lower_face_psnr_audio_swap": float(np.mean(mouth_moved)),
    }
    if not expression:
        return out
    own = [str(e) for e in p["emotion"][frames]]
    emotions = sorted({str(e) for e, i in zip(p["emotion"], p["intensity"], strict=True) if i == 3})
    swapped_codes = np.stack(
        [scene.fitted.emotion_code(emotions[(emotions.index(e) + 1) % len(emotions)]
                                    if e in emotions else emotions[0]) for e in own]
    )  # fmt: skip
    swapped_expr = scene.render(frames, expression=swapped_codes)
    jaw = [track_frames(x, FPS).blendshapes[:, JAW_OPEN] for x in (renders, swapped_expr)]
    ok = np.isfinite(jaw[0]) & np.isfinite(jaw[1])
    out["jaw_open_tracked_share"] = float(ok.mean())
    out["jaw_open_change_expression_swap"] = (
        float(np.abs(jaw[0] - jaw[1])[ok].mean()) if ok.any() else float("nan")
    )
    out["jaw_open_mean"] = float(jaw[0][ok].mean()) if ok.any() else float("nan")
    return out


def speed(scene: Scene, repeats: int = 15) -> dict[str, float]:
    out = {}
    view = View(15.0, 5.0, 72.0, scene.preset["pose6"][0])
    for name, quality in (("ms_128", Quality.DRAFT), ("ms_128_sharp", Quality.SHARP_128),
                          ("ms_256", Quality.FULL)):  # fmt: skip
        times = []
        for i in range(repeats + 3):
            t0 = time.perf_counter()
            scene.renderer.render(view, scene.audio[i], scene.expression[i], quality)
            times.append(time.perf_counter() - t0)
        out[name] = float(np.median(times[3:]) * 1000)
    return out


# our numbers in the papers' tables (their metric → ours; LMD: ours in interocular distances)
PAPER_COLUMNS = (
    ("PSNR", "held_out_psnr_256"), ("SSIM", "held_out_ssim_256"), ("SYNC", "lse_c"),
    ("LMD", "m_lmd_interocular"),
)  # fmt: skip
ABLATION_COLUMNS = (("PSNR", "held_out_psnr_256"), ("LMD", "m_lmd_interocular"))
ABLATION_ROWS = tuple(
    (f"this studio: {label}", f"ablation.{name}.")
    for name, label in (("full", "full"), ("no_dual", "no dual field"),
                        ("no_rrs", "no region-wise sampling"), ("no_upsampler", "no upsampler"))
)  # fmt: skip
ABLATIONS = Path("runs/nerf-ablations")  # <name>/ fit runs: python -m studio.nerf fit --ablation
ABLATION_COMMAND = (
    "python -m studio.nerf fit data/nerf-synth --steps 1000 --lower-face-weight 0 --face-weight 0 "
    "--ablation NAME "
    "--out runs/nerf-ablations/NAME (NAME: full, no_dual, no_rrs, no_upsampler)"
)


def ablation_scores(preset: Preset, folder: Path = ABLATIONS) -> dict[str, float]:
    """The papers' ablations at one equal, short budget: each run in `folder` (the full model
    as `full`, trained with the same steps) on the first half of the held-out frames — whole
    sentences, so that the sync expert can score them (every 4th frame left it nothing)."""
    out: dict = {}
    for run in sorted(p for p in Path(folder).glob("*") if (p / "nerf_config.json").exists()):
        scene = Scene(fitted_from_run(preset, run), preset)
        held = preset.held_out_index
        frames = held[: len(held) // 2]
        scores, renders = training_view(scene, frames)
        ring = ring_scores(scene, every=2)
        lips = lip_scores(scene, frames, renders)
        swap = swap_scores(scene, frames[:60], renders[:60], expression=False)
        row = {
            "steps": scene.fitted.card["training"]["steps"],
            "held_out_psnr_256": scores["held_out_psnr_256"],
            "held_out_psnr_head_256": scores["held_out_psnr_head_256"],
            "ring_psnr_yaw20": ring["ring_psnr_yaw20"],
            "ring_psnr_head_yaw20": ring["ring_psnr_head_yaw20"],
            "lse_c_ratio": lips["lse_c_ratio"],
            "m_lmd_interocular": lips["m_lmd_interocular"],
            "upper_face_psnr_audio_swap": swap["upper_face_psnr_audio_swap"],
        }
        out.update({f"ablation.{run.name}.{k}": v for k, v in row.items()})
    return out


def fitted_for_bench(preset: Preset) -> FittedNerf:
    """The shipped fit; with NERF_RUN=<run dir> in the environment, that run, shipped first into
    <run dir>/checkpoint as shipping makes it (occupancy grid, card, fit curve), so a fit is
    measured before it replaces the shipped one."""
    run = os.environ.get("NERF_RUN")
    if not run:
        return load_fitted()
    folder = Path(run) / "checkpoint"
    steps = read_log(Path(run) / "log.jsonl")[-1]["step"]
    if (
        not checkpoint_exists("nerf", folder)
        or load_card("nerf", folder)["training"]["steps"] != steps
    ):
        ship(preset, run, directory=folder, command=fit_command(shown(preset.folder), run))
    return load_fitted(directory=folder)


def run(quick: bool = False, corpus: Path | None = None, preset: Path | None = None) -> dict:
    loaded = load_preset(preset or DEFAULT_PRESET)
    fitted = fitted_for_bench(loaded)
    scene = Scene(fitted, loaded)
    held = scene.preset.held_out_index
    frames = held[:: 4 if quick else 1]
    card = fitted.card
    m: dict = {
        "fit_minutes": float(card["training"]["minutes"]),
        "fit_steps": int(card["training"]["steps"]),
        "fit_curve": card["training"]["curve"],
        "held_out_frames": int(len(frames)),
    }
    scores, renders = training_view(scene, frames)
    m.update(scores)
    m.update(ring_scores(scene, every=3 if quick else 1))
    m.update(lip_scores(scene, frames, renders))
    m.update(emotion_scores(scene, frames[:: 2 if quick else 1][:100]))
    m.update(
        swap_scores(scene, frames[:: 2 if quick else 1][:120], renders[:: 2 if quick else 1][:120])
    )
    m.update(speed(scene, 5 if quick else 15))
    return m


def run_ablations(quick: bool = False, corpus: Path | None = None) -> dict:
    """`python -m studio.bench nerf-ablations`: the runs in runs/nerf-ablations/, made by
    `ABLATION_COMMAND` for NAME in full, no_dual, no_rrs, no_upsampler (the recorded runs used
    the papers' plain MSE, hence the weights at 0)."""
    m = ablation_scores(load_preset(DEFAULT_PRESET))
    if not m:
        raise StudioError(f"No ablation runs in {ABLATIONS}: " + ABLATION_COMMAND)
    return m
