"""`python -m studio.bench speak`: SPEAK self-driven on held-out people saying held-out
sentences (the paper's protocol, Sec. 4): identity from a clip's first frame, pose and emotion
from the clip's own frames, the clip's audio → every frame, scored against the true frames.

Table 1's columns: SSIM, PSNR, F-LMD, M-LMD (MediaPipe landmarks of both videos at 256²,
x-y distance over the inter-ocular distance: pose errors count, as SPEAK's F-LMD proxy
intends; not the paper's pixels) and sync (our sync expert's LSE-C on mouths cut at the true
landmarks; LSE numbers are ours, not SyncNet's). Rows beside SPEAK, to read it by:
- ground truth (LSE-C of the real frames: the bar is 0.7× this);
- G_d with the smoothed codes and no audio — SPEAK at step 0, what the audio has to add;
- G_d with each frame's own codes — an oracle that sees the true mouth through the emotion code.
Speed: frames per second of the talker (audio encoder + editing + G_g) in batches of 32, and
of the whole drive (encoding the sources too), medians after warm-up.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from studio.errors import StudioError
from studio.eval.images import psnr_batch, ssim_batch
from studio.eval.landmarks import f_lmd, m_lmd, mouth_opening_r
from studio.evaluators.sync_expert.model import load as load_sync
from studio.evaluators.sync_expert.model import lse
from studio.face.records import FaceTrack
from studio.face.tracker import track_frames
from studio.nn.spec import Bar
from studio.papers.irfd.codes import encode, load_irfd
from studio.papers.irfd.codes import generate as irfd_generate
from studio.papers.irfd.speak.clipset import Clip, load_clipset
from studio.papers.irfd.speak.data import clip_codes
from studio.papers.irfd.speak.drive import SpeakModel, drive, generate, load_speak, load_speak_run

BARS = (
    Bar("lse_c_ratio", ">=", 0.7, "SPEAK's LSE-C over the ground truth's, held-out audio"),
    Bar("talker_fps", ">=", 25.0, "frames per second at 128² on this machine"),
)
DEFAULT_SET = Path("data/speak-clips")
JUDGE_SIZE = 256


def _upscale(frames: np.ndarray) -> np.ndarray:
    return np.stack(
        [cv2.resize(f, (JUDGE_SIZE, JUDGE_SIZE), interpolation=cv2.INTER_CUBIC) for f in frames]
    )


def score(frames: np.ndarray, clip: Clip, truth_track, sync) -> dict[str, float]:
    """Table 1's columns of one generated clip against its true frames."""
    track = track_frames(list(_upscale(frames)), 25.0)
    both_found = dict(found_pred=track.found, found_gt=truth_track.found)
    both = dict(both_found, normalise="interocular")
    sync_score = lse(frames, clip.audio, sync, landmarks=clip.landmarks)  # the true mouth boxes
    return {
        "psnr": float(psnr_batch(frames, clip.frames).mean()),
        "ssim": float(ssim_batch(frames, clip.frames).mean()),
        "lse_c": sync_score.lse_c,
        "lse_d": sync_score.lse_d,
        "m_lmd": m_lmd(track.landmarks, truth_track.landmarks, **both).value,
        "f_lmd": f_lmd(track.landmarks, truth_track.landmarks, **both).value,
        "face_found": float(track.found.mean()),
        "mouth_open_r": mouth_opening_r(track.landmarks, truth_track.landmarks, **both_found),
    }


def _rows(model: SpeakModel, clip: Clip) -> dict[str, np.ndarray]:
    """The generated videos of one clip: SPEAK and the two G_d rows."""
    codes = clip_codes(model.irfd, clip)
    own = encode(model.irfd, clip.frames)
    ident = np.repeat(codes.identity[None], len(clip), 0)
    return {
        "speak": drive(model, clip.frames[0], clip.audio, clip.frames),
        "gd_smoothed": irfd_generate(model.irfd, ident, codes.emotion, codes.pose),
        "gd_own_codes": irfd_generate(model.irfd, own.identity, own.emotion, own.pose),
    }


def speed(model: SpeakModel, clip: Clip, repeats: int = 3) -> dict[str, float]:
    codes = clip_codes(model.irfd, clip)
    n = len(clip)
    times, whole = [], []
    for _ in range(repeats + 1):
        t0 = time.perf_counter()
        generate(model.talker, codes.identity, codes.emotion, codes.pose, codes.mel)
        t1 = time.perf_counter()
        drive(model, clip.frames[0], clip.audio, clip.frames)
        t2 = time.perf_counter()
        times.append(t1 - t0)
        whole.append(t2 - t1)
    return {
        "talker_fps": n / float(np.median(times[1:])),
        "drive_fps": n / float(np.median(whole[1:])),
        "speed_frames": n,
        "threads": int(os.environ.get("OMP_NUM_THREADS", 0)) or os.cpu_count() or 1,
    }


@dataclass
class Truth:
    """What every generated version of one held-out clip is scored against."""

    clip: Clip
    track: FaceTrack
    lse_c: float
    lse_d: float


def truths(clips: list[Clip], sync) -> list[Truth]:
    out = []
    for clip in clips:
        s = lse(clip.frames, clip.audio, sync, landmarks=clip.landmarks)
        out.append(Truth(clip, track_frames(list(_upscale(clip.frames)), 25.0), s.lse_c, s.lse_d))
    return out


def _means(rows: list[dict], prefix: str = "") -> dict[str, float]:
    return {f"{prefix}{k}": float(np.nanmean([r[k] for r in rows])) for k in rows[0]}


def run(quick: bool = False) -> dict:
    clipset = Path(os.environ.get("SPEAK_CLIPS", DEFAULT_SET))
    run_dir = os.environ.get("SPEAK_RUN")
    model = load_speak_run(run_dir, load_irfd()) if run_dir else load_speak()
    clips = load_clipset(clipset, held_out=True)[: 4 if quick else None]
    sync = load_sync()
    per_row: dict[str, list[dict]] = {}
    truth_rows = truths(clips, sync)
    for truth in truth_rows:
        for name, frames in _rows(model, truth.clip).items():
            per_row.setdefault(name, []).append(score(frames, truth.clip, truth.track, sync))
    metrics: dict = {"held_out_clips": len(clips), "held_out_frames": sum(map(len, clips))}
    metrics.update(_means([{"lse_c": t.lse_c, "lse_d": t.lse_d} for t in truth_rows],
                          "ground_truth_"))  # fmt: skip
    for name, rows in per_row.items():
        metrics.update(_means(rows, "" if name == "speak" else f"{name}_"))
    metrics["lse_c_ratio"] = metrics["lse_c"] / metrics["ground_truth_lse_c"]
    metrics.update(speed(model, clips[0]))
    return metrics


# ------------------------------------------------------------- Table 4: SPEAK's ablations
ABLATIONS = Path("runs/speak-ablations")
# the shipped talker hears through JEAN's audio encoder; these runs, through ours (log-mel
# conv): compare each ablation with the logmel_audio row, and that row with the shipped one
ABLATION_VARIANTS = (
    ("logmel_audio", "SPEAK with our log-mel audio encoder", ""),
    ("no_irfd", "w/o IRFD (identity frame's codes only), log-mel audio", "--no-irfd"),
    ("no_gan", "w/o L_GAN, log-mel audio", "--no-gan"),
    ("no_perceptual", "w/o L_perc, log-mel audio", "--no-perceptual"),
    ("no_sync", "w/o L_sync, log-mel audio", "--no-sync"),
)
ABLATION_COMMAND = (
    "python -m studio.train speak --steps 600 --lr 0.0001 --no-ship "
    "--out runs/speak-ablations/NAME FLAGS (NAME, FLAGS: "
    + "; ".join(f"{n}, {f or 'none'}" for n, _, f in ABLATION_VARIANTS)
    + ")"
)
ABLATION_ROWS = (
    ("this studio: SPEAK as shipped (JEAN's audio encoder)", "ablation.full."),
) + tuple((f"this studio: {label}", f"ablation.{name}.") for name, label, _ in ABLATION_VARIANTS)


def ablation_scores(models: dict[str, SpeakModel], clips: list[Clip], sync) -> dict:
    """Each talker's self-driven scores on `clips` (as `ablation.<name>.<metric>`, with its
    LSE-C over the truth's)."""
    truth_rows = truths(clips, sync)
    truth_lse_c = float(np.nanmean([t.lse_c for t in truth_rows]))
    out: dict = {"held_out_clips": len(clips), "ground_truth_lse_c": truth_lse_c}
    for name, model in models.items():
        rows = [score(drive(model, t.clip.frames[0], t.clip.audio, t.clip.frames), t.clip,
                      t.track, sync) for t in truth_rows]  # fmt: skip
        means = _means(rows, f"ablation.{name}.")
        means[f"ablation.{name}.lse_c_ratio"] = means[f"ablation.{name}.lse_c"] / truth_lse_c
        out.update(means)
    return out


def run_ablations(quick: bool = False) -> dict:
    """`python -m studio.bench speak-ablations`: the shipped SPEAK and every run in
    runs/speak-ablations/ (made by `ABLATION_COMMAND`), on the same held-out clips."""
    irfd = load_irfd()
    models = {"full": load_speak()}
    for name, _, _ in ABLATION_VARIANTS:
        if (ABLATIONS / name / "speak_config.json").exists():
            models[name] = load_speak_run(ABLATIONS / name, irfd)
    if len(models) == 1:
        raise StudioError(f"No ablation runs in {ABLATIONS}: " + ABLATION_COMMAND)
    clipset = Path(os.environ.get("SPEAK_CLIPS", DEFAULT_SET))
    clips = load_clipset(clipset, held_out=True)[: 4 if quick else None]
    return ablation_scores(models, clips, load_sync())
