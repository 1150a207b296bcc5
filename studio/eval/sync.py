"""LSE-D and LSE-C: lip-sync error from a sync expert's per-frame embeddings (DESIGN §7).

The numbers follow syncnet_python (Chung & Zisserman 2016, joonson/syncnet_python,
`SyncNetInstance.calc_pdist` / `evaluate`), which Wav2Lip's evaluation scripts call:

    feat2p = pad(audio, vshift zero rows before and after)
    dists[t][j] = || video[t] − feat2p[t + j] + 1e-6 ||,  j = 0 … 2·vshift
    mdist[j]    = mean over t of dists[t][j]          (every video frame, padding included)
    LSE-D = min_j mdist,   LSE-C = median_j mdist − min_j mdist,   offset = vshift − argmin_j

feat2p[t + j] is audio frame t + j − vshift, so column j compares video t with audio
t + (j − vshift). The offset is therefore −(lag of the best-matching audio frame):

    offset = +k  ⇔  video frame t matches audio frame t − k  ⇔  the sound comes k frames
    *before* the lips: the audio leads the video by k frames (−k: the audio lags).

The embeddings come from whatever sync expert the caller has (ours is trained in
`studio/train/`); this module only does the arithmetic. `padding="valid"` is offered as a
documented variant that averages each offset only over frames where both embeddings exist.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from studio.errors import StudioError

PAIRWISE_EPS = 1e-6  # torch.nn.functional.pairwise_distance adds eps to the difference


@dataclass
class SyncResult:
    """lse_d: the smallest mean distance (lower = better sync); lse_c: median − min of the
    distance curve (higher = more confident); offset: frames, + = audio leads the video;
    dists (2·vshift + 1,): mean distance at audio shift j − vshift for j = 0 … 2·vshift."""

    lse_d: float
    lse_c: float
    offset: int
    dists: np.ndarray


def frame_distances(video_emb: np.ndarray, audio_emb: np.ndarray, vshift: int = 15) -> np.ndarray:
    """(T, 2·vshift + 1) syncnet_python's `calc_pdist`: row t, column j is the distance between
    video t and audio t + j − vshift, with zero vectors standing in outside the audio."""
    v = np.asarray(video_emb, dtype=np.float64)
    a = np.asarray(audio_emb, dtype=np.float64)
    if v.ndim != 2 or a.ndim != 2 or v.shape[1] != a.shape[1]:
        raise StudioError(f"embeddings must be (T, D) with the same D, got {v.shape}, {a.shape}")
    if len(v) == 0 or len(a) == 0:
        raise StudioError("no frames to score")
    if vshift < 0:
        raise StudioError(f"vshift must be >= 0, got {vshift}")
    width = 2 * vshift + 1
    padded = np.zeros((len(v) + width - 1, a.shape[1]))
    n_audio = min(len(a), len(padded) - vshift)
    padded[vshift : vshift + n_audio] = a[:n_audio]
    windows = np.lib.stride_tricks.sliding_window_view(padded, width, axis=0)  # (T, D, width)
    return np.linalg.norm(v[:, :, None] - windows + PAIRWISE_EPS, axis=1)


def sync_scores(
    video_emb: np.ndarray,
    audio_emb: np.ndarray,
    vshift: int = 15,
    padding: str = "zeros",
) -> SyncResult:
    """LSE-D, LSE-C and the AV offset of per-frame video and audio embeddings (T, D).

    padding="zeros" (default) is syncnet_python exactly: audio beyond the clip is a zero
    vector and every offset is averaged over all T video frames. padding="valid" averages each
    offset only over the frames t whose audio t + shift exists (at least one must).
    Frame t of both arrays must describe the same instant; syncnet_python's audio has as many
    frames as the video. The default vshift = 15 matches Wav2Lip's evaluation scripts
    (syncnet_python's demo uses 15 as well).
    """
    if padding not in ("zeros", "valid"):
        raise StudioError(f"padding must be 'zeros' or 'valid', got {padding!r}")
    d = frame_distances(video_emb, audio_emb, vshift)
    if padding == "zeros":
        mdist = d.mean(axis=0)
    else:
        t = np.arange(len(d))[:, None]
        audio_index = t + np.arange(2 * vshift + 1)[None, :] - vshift
        valid = (audio_index >= 0) & (audio_index < len(audio_emb))
        count = valid.sum(axis=0)
        with np.errstate(invalid="ignore"):
            mdist = np.where(count > 0, (d * valid).sum(axis=0) / np.maximum(count, 1), np.inf)
    best = int(np.argmin(mdist))  # first minimum, as torch.min
    finite = mdist[np.isfinite(mdist)]
    return SyncResult(
        lse_d=float(mdist[best]),
        lse_c=float(np.median(finite) - mdist[best]),
        offset=vshift - best,
        dists=mdist,
    )
