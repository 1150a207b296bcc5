"""What SPEAK stage 2 trains on: every clip's frames with its frozen IRFD codes, the audio
windows of each frame, and the mouth box the sync expert reads.

The IRFD encoders are frozen (stage 1), so every frame's codes are computed once. The emotion
and pose codes are smoothed over time — the issue asks for it (no flicker), and it matters
more than that: a frame's own emotion code also holds its mouth, and in self-driven training
(Sec. 3.3) the generator would copy the mouth from it and ignore the audio. Smoothed over
EMOTION_SIGMA frames, the code keeps the held emotion and loses the fast lip motion, so the
lips have to come from the audio — as they must at test time, when the emotion source is
another video.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from studio.evaluators.sync_expert.model import mel_windows
from studio.face.crop import mouth_box
from studio.papers.irfd.codes import encode, smooth_codes
from studio.papers.irfd.model import Irfd
from studio.papers.irfd.speak.clipset import Clip
from studio.speech import frame_windows, log_mel

EMOTION_SIGMA = 6.0  # frames (0.24 s): a viseme lasts ≈ 3–4 frames, an emotion the whole clip
POSE_SIGMA = 1.5  # frames: the head moves slowly; this only takes out encoder jitter
WINDOW = 5  # frames generated per sample: the sync expert's window


@dataclass
class ClipCodes:
    """A clip's driving signals: identity code of its first frame, smoothed emotion and pose
    codes per frame, the per-frame audio windows of the generator (16 × 80) and of the sync
    expert (20 × 80)."""

    identity: np.ndarray  # (identity_dim,)
    emotion: np.ndarray  # (T, emotion_dim)
    pose: np.ndarray  # (T, pose_dim)
    mel: np.ndarray  # (T, 16, 80)
    sync_mel: np.ndarray  # (T, 20, 80)


def audio_windows(audio: np.ndarray, n_frames: int) -> tuple[np.ndarray, np.ndarray]:
    """The generator's and the sync expert's log-mel windows of each video frame."""
    mel = log_mel(np.asarray(audio, np.float32))
    return frame_windows(mel, n_frames), mel_windows(mel, n_frames)


def driving_codes(
    irfd: Irfd, identity_frame: np.ndarray, pose_frames: np.ndarray,
    emotion_frames: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:  # fmt: skip
    """Identity code of one frame; smoothed pose codes of the pose source's frames and
    smoothed emotion codes of the emotion source's (the pose source's when None)."""
    identity = encode(irfd, identity_frame[None]).get("identity")[0]
    poses = encode(irfd, pose_frames)
    emotions = poses if emotion_frames is None else encode(irfd, emotion_frames)
    return (
        identity,
        smooth_codes(emotions.get("emotion"), EMOTION_SIGMA).astype(np.float32),
        smooth_codes(poses.get("pose"), POSE_SIGMA).astype(np.float32),
    )


def identity_frame_codes(
    irfd: Irfd, identity_frame: np.ndarray, n: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """`driving_codes` when the identity frame is the only source (reference "identity_frame",
    Table 4's w/o IRFD): its emotion and pose codes held for all `n` frames."""
    identity, emotion, pose = driving_codes(irfd, identity_frame, identity_frame[None])
    return identity, np.repeat(emotion, n, 0), np.repeat(pose, n, 0)


def clip_codes(irfd: Irfd, clip: Clip, reference: str = "sources") -> ClipCodes:
    """A clip's codes, self-driven: its own frames are the pose and emotion sources — or, with
    reference "identity_frame", its first frame is the only one the talker sees."""
    if reference == "identity_frame":
        identity, emotion, pose = identity_frame_codes(irfd, clip.frames[0], len(clip))
    else:
        identity, emotion, pose = driving_codes(irfd, clip.frames[0], clip.frames)
    mel, sync_mel = audio_windows(clip.audio, len(clip))
    return ClipCodes(identity, emotion, pose, mel, sync_mel)


def mouth_boxes(clip: Clip) -> np.ndarray:
    """(T, 4) x0, y0, w, h of each frame's mouth crop, in crop pixels."""
    return np.stack([mouth_box(lm) for lm in clip.landmarks]).astype(np.float32)


def batches(clips: list[Clip], codes: list[ClipCodes], n: int):
    """get_batch for the training loop: n windows of WINDOW consecutive frames, each from a
    random clip (flattened to n·WINDOW frames, window-major)."""
    boxes = [mouth_boxes(c) for c in clips]

    def get_batch(step, rng, rank, world):
        rows: dict[str, list] = {k: [] for k in
                                 ("first", "frames", "identity", "emotion", "pose", "mel",
                                  "sync_mel", "boxes")}  # fmt: skip
        for k in rng.integers(len(clips), size=n // world):
            clip, code = clips[k], codes[k]
            t0 = int(rng.integers(len(clip) - WINDOW + 1))
            window = slice(t0, t0 + WINDOW)
            rows["first"].append(np.repeat(clip.frames[:1], WINDOW, 0))
            rows["frames"].append(clip.frames[window])
            rows["identity"].append(np.repeat(code.identity[None], WINDOW, 0))
            rows["emotion"].append(code.emotion[window])
            rows["pose"].append(code.pose[window])
            rows["mel"].append(code.mel[window])
            rows["sync_mel"].append(code.sync_mel[t0 + WINDOW // 2][None])
            rows["boxes"].append(boxes[k][window])
        out = {k: torch.as_tensor(np.concatenate(v)) for k, v in rows.items()}
        for k in ("first", "frames"):
            out[k] = out[k].permute(0, 3, 1, 2).float() / 255.0
        return out

    return get_batch
