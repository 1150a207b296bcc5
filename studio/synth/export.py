"""Export SynthTalk clips as plain mp4-with-sound + a CSV of per-frame labels.

This is also the format the training code accepts for any real corpus: a folder of
`<clip>.mp4` files, each with a `<clip>.csv` beside it (columns below; real corpora may leave
ground-truth columns out, and the trainers then use tracked values).
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

from studio.face.records import BLENDSHAPE_NAMES, POSE6_NAMES
from studio.media import audio_from_array, write_video
from studio.synth.corpus import load_clip, load_manifest

CSV_COLUMNS = (
    "frame",
    "time",
    "identity",
    "emotion",
    "intensity",
    "sentence",
    "phoneme",
    "viseme",
    *POSE6_NAMES,
    *BLENDSHAPE_NAMES,
)


def export_clip(corpus: str | Path, clip_id: str, out: str | Path) -> tuple[Path, Path]:
    clip = load_clip(corpus, clip_id)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    fps = float(clip.meta["fps"])
    video_path = write_video(
        out / f"{clip_id}.mp4", clip.frames, fps=fps, audio=audio_from_array(clip.audio, 16000)
    )
    csv_path = out / f"{clip_id}.csv"
    spec = clip.entry
    with csv_path.open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(CSV_COLUMNS)
        for t in range(clip.meta["n_frames"]):
            writer.writerow(
                [
                    t,
                    f"{t / fps:.3f}",
                    spec["identity_id"],
                    spec["emotion"],
                    spec["intensity"],
                    spec["text"],
                    clip.meta["frame_phoneme"][t],
                    clip.meta["frame_viseme"][t],
                    *np.round(clip.labels["pose6"][t], 4).tolist(),
                    *np.round(clip.labels["blendshapes"][t], 4).tolist(),
                ]
            )
    return Path(video_path), csv_path


def export_corpus(
    corpus: str | Path, out: str | Path, limit: int | None = None, progress=None
) -> list[str]:
    clips = [c["clip_id"] for c in load_manifest(corpus)["clips"]][:limit]
    for i, clip_id in enumerate(clips):
        export_clip(corpus, clip_id, out)
        if progress:
            progress(i + 1, len(clips))
    return clips
