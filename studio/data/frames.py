"""Per-frame arrays of many clips, stacked in clip order, with the clip table beside them.

Every model that trains on frames of a corpus (JEAN, the head-motion learner, …) keeps its
arrays this way: `clips` (manifest entries + start, n), `clip_of` (N,) and `frame` (N,). The
helpers here select clips and read a manifest field per frame, whatever arrays ride along.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from tqdm import tqdm


def column(clips: list[dict], clip_of: np.ndarray, key: str) -> np.ndarray:
    """(N,) a manifest field per frame (identity_id, emotion, intensity, sentence_id…)."""
    return np.array([c[key] for c in clips])[clip_of]


def clip_mask(clips: list[dict], clip_of: np.ndarray, fn: Callable[[dict], bool]) -> np.ndarray:
    """(N,) bool: the frames of the clips for which fn(entry) is true."""
    return np.array([bool(fn(c)) for c in clips])[clip_of]


def subset_table(
    clips: list[dict], clip_of: np.ndarray, mask: np.ndarray
) -> tuple[list[dict], np.ndarray]:
    """The clip table and clip index of the frames under `mask` (clips renumbered, starts
    recomputed for the kept frames)."""
    keep_clips = np.unique(clip_of[mask])
    remap = -np.ones(len(clips), np.int64)
    remap[keep_clips] = np.arange(len(keep_clips))
    counts = np.bincount(clip_of[mask], minlength=len(clips))
    kept = [{**clips[old], "start": 0, "n": int(counts[old])} for old in keep_clips]
    starts = np.r_[0, np.cumsum([c["n"] for c in kept])[:-1]]
    for c, s in zip(kept, starts, strict=True):
        c["start"] = int(s)
    return kept, remap[clip_of[mask]]


def stack_clips(
    entries: list[dict], lengths: np.ndarray
) -> tuple[list[dict], np.ndarray, np.ndarray]:
    """(clips with start and n, clip_of, frame) for clips of these lengths, in order."""
    starts = np.r_[0, np.cumsum(lengths)[:-1]]
    clips = [
        {**e, "start": int(s), "n": int(n)}
        for e, s, n in zip(entries, starts, lengths, strict=True)
    ]
    clip_of = np.repeat(np.arange(len(clips)), lengths)
    frame = np.concatenate([np.arange(n) for n in lengths]) if len(lengths) else np.zeros(0, int)
    return clips, clip_of, frame


@dataclass
class ClipFrames:
    """Named per-frame arrays (each (N, …)) of clips stacked in order, with their table."""

    clips: list[dict]
    clip_of: np.ndarray
    frame: np.ndarray
    arrays: dict[str, np.ndarray] = field(default_factory=dict)

    def __getitem__(self, name: str) -> np.ndarray:
        return self.arrays[name]

    def __len__(self) -> int:
        return len(self.clip_of)

    def column(self, key: str) -> np.ndarray:
        return column(self.clips, self.clip_of, key)

    def clip_mask(self, fn: Callable[[dict], bool]) -> np.ndarray:
        return clip_mask(self.clips, self.clip_of, fn)

    def subset(self, mask: np.ndarray) -> ClipFrames:
        clips, clip_of = subset_table(self.clips, self.clip_of, mask)
        arrays = {k: v[mask] for k, v in self.arrays.items()}
        return ClipFrames(clips, clip_of, self.frame[mask], arrays)

    def clip(self, i: int) -> dict[str, np.ndarray]:
        """Clip i's arrays."""
        c = self.clips[i]
        return {k: v[c["start"] : c["start"] + c["n"]] for k, v in self.arrays.items()}


def cached_clip_arrays(
    path: Path,
    entries: list[dict],
    compute: Callable[[str], dict[str, np.ndarray]],
    desc: str,
    progress: bool = True,
) -> ClipFrames:
    """Per-frame arrays of every manifest entry: `compute(clip_id)` per clip the first time,
    stacked and saved to `path` (np.savez; read back without pickles), read from it after."""
    if not path.exists():
        parts = defaultdict(list)
        for e in tqdm(entries, desc=desc, disable=not progress):
            for k, v in compute(e["clip_id"]).items():
                parts[k].append(v)
        lengths = np.array([len(v) for v in next(iter(parts.values()))])
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.stem}.tmp.npz")
        np.savez(tmp, lengths=lengths, **{k: np.concatenate(v) for k, v in parts.items()})
        tmp.replace(path)
    with np.load(path) as z:
        arrays = {k: z[k] for k in z.files}
    clips, clip_of, frame = stack_clips(entries, arrays.pop("lengths"))
    return ClipFrames(clips, clip_of, frame, arrays)


def split_clips(data):
    """The studio's split of a corpus's frames (ClipFrames, or any table with clip_mask and
    subset): train = training identities × training sentences; val = training identities ×
    held-out sentences (when there are any); test = held-out identities, all their clips."""
    ident = data.clip_mask(lambda c: c["identity_split"] == "train")
    sent = data.clip_mask(lambda c: c["sentence_split"] == "train")
    out = {"train": data.subset(ident & sent), "test": data.subset(~ident)}
    if (ident & ~sent).any():
        out["val"] = data.subset(ident & ~sent)
    return out


def every_nth_clip(data, every: int):
    """Every `every`-th clip of a frame table (quick runs)."""
    keep = np.zeros(len(data.clips), bool)
    keep[::every] = True
    return data.subset(keep[data.clip_of])
