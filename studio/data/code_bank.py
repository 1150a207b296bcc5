"""A bank of codes: any model's per-frame codes with the labels of their frames, the thing the
explorer maps and scores. Each paper's `codes.py` fills banks; `studio.explore` reads them.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from studio.errors import StudioError
from studio.face.records import N_BLENDSHAPES

LABELS = ("emotion", "intensity", "identity", "sentence", "clip_id", "frame", "source")


@dataclass
class CodeBank:
    """codes {name: (N, 64) float32}; labels {name: (N,) array}; corpus (where frames live,
    "" for the shipped bank); blendshapes (N, 52) GT rig values where known (NaN for user
    frames), so a point's face can be re-rendered when the corpus is absent."""

    codes: dict[str, np.ndarray]
    labels: dict[str, np.ndarray]
    corpus: str = ""
    blendshapes: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.labels["frame"])

    def concat(self, other: CodeBank) -> CodeBank:
        blend = None
        if self.blendshapes is not None or other.blendshapes is not None:
            blend = np.concatenate([_blend_or_nan(self), _blend_or_nan(other)])
        return CodeBank(
            {k: np.concatenate([self.codes[k], other.codes[k]]) for k in self.codes},
            {k: np.concatenate([self.labels[k], other.labels[k]]) for k in self.labels},
            self.corpus,
            blend,
        )

    def take(self, rows: np.ndarray) -> CodeBank:
        blend = None if self.blendshapes is None else self.blendshapes[rows]
        return CodeBank(
            {k: v[rows] for k, v in self.codes.items()},
            {k: v[rows] for k, v in self.labels.items()},
            self.corpus,
            blend,
        )

    def point(self, i: int) -> dict:
        """One point's labels as plain Python values."""
        if not 0 <= i < len(self):
            last = len(self) - 1
            raise StudioError(f"No point #{i}; the map has {len(self)} points (#0 … #{last})")
        return {k: v[i].item() if hasattr(v[i], "item") else v[i] for k, v in self.labels.items()}

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.stem}.tmp.npz")
        arrays = {f"code_{k}": v for k, v in self.codes.items()}
        arrays.update({f"label_{k}": v for k, v in self.labels.items()})
        if self.blendshapes is not None:
            arrays["blendshapes"] = self.blendshapes
        np.savez(tmp, corpus=np.array(self.corpus), **arrays)
        tmp.replace(path)

    @classmethod
    def load(cls, path: Path) -> CodeBank:
        with np.load(path, allow_pickle=False) as z:
            codes = {k[5:]: z[k].astype(np.float32) for k in z.files if k.startswith("code_")}
            labels = {k[6:]: z[k] for k in z.files if k.startswith("label_")}
            corpus = str(z["corpus"])
            blend = z["blendshapes"].astype(np.float32) if "blendshapes" in z.files else None
        return cls(codes, labels, corpus, blend)


def _blend_or_nan(bank: CodeBank) -> np.ndarray:
    if bank.blendshapes is not None:
        return bank.blendshapes

    return np.full((len(bank), N_BLENDSHAPES), np.nan, np.float32)


def sample_frames(n_clips_frames: list[int], max_points: int) -> list[np.ndarray]:
    """Per clip, the frame indices kept: every k-th frame so the total stays ≤ max_points."""
    total = sum(n_clips_frames)
    step = max(1, int(np.ceil(total / max_points)))
    return [np.arange(0, n, step) for n in n_clips_frames]
