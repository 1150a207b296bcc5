"""How far a new code lies from a reference bank of codes, in the bank's own terms.

A user's clip is encoded by a model trained on SynthTalk; its codes can land where no training
face ever did, and a t-SNE map still draws them somewhere. The score here says how unusual each
new code is: its mean distance to its k nearest bank codes, as a percentile of the same
distance measured for every bank code against the rest of the bank. Neighbours from a code's
own clip are left out on both sides (consecutive frames are near-copies, and a user code has
no clip in the bank), so a bank code and a user code are measured alike.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.neighbors import NearestNeighbors

from studio.errors import StudioError

WARN_PERCENTILE = 99.0


@dataclass
class Novelty:
    """percentile (M,): each query's distance as a percentile (0–100) of the bank's own;
    bank_distances (N,): the reference distribution; k: neighbours averaged."""

    percentile: np.ndarray
    distance: np.ndarray
    bank_distances: np.ndarray
    k: int

    @property
    def past_warning(self) -> np.ndarray:
        return self.percentile > WARN_PERCENTILE

    def summary(self, what: str = "Your clip") -> str:
        return summarise(self.percentile, self.k, what)


def summarise(percentile: np.ndarray, k: int = 5, what: str = "Your clip") -> str:
    """One plain sentence (two past the 99th percentile) for the UI and the CLI."""
    n, past = len(percentile), int((percentile > WARN_PERCENTILE).sum())
    text = (
        f"{what}: the median frame lies at the {float(np.median(percentile)):.0f}th percentile "
        f"of the bank's own {k}-nearest-neighbour distances; {past} of {n} frame(s) past the "
        f"{WARN_PERCENTILE:.0f}th."
    )
    if past:
        text += (
            " **Those frames are unlike any SynthTalk face the model was trained on: read "
            "where they land with care.**"
        )
    return text


def _neighbour_distance(
    fitted: NearestNeighbors, queries: np.ndarray, k: int, same_clip: np.ndarray | None = None
) -> np.ndarray:
    """Mean distance of each query to its k nearest fitted points; with `same_clip` (the
    bank's clip of each fitted row, the queries being those rows), points of a query's own clip
    are skipped."""
    extra = 0 if same_clip is None else int(np.unique(same_clip, return_counts=True)[1].max())
    dist, idx = fitted.kneighbors(queries, n_neighbors=min(k + extra, fitted.n_samples_fit_))
    if same_clip is not None:
        dist = np.sort(np.where(same_clip[idx] == same_clip[:, None], np.inf, dist), axis=1)
    nearest = dist[:, :k]
    if not np.isfinite(nearest).all():
        raise StudioError("The bank has too few codes outside each clip to score novelty")
    return nearest.mean(1)


def novelty(bank: np.ndarray, bank_clips: np.ndarray, queries: np.ndarray, k: int = 5) -> Novelty:
    """Score `queries` (M, D) against `bank` (N, D) whose rows belong to clips `bank_clips`
    (N,). Rows with non-finite values are refused (e.g. audio codes of a soundless clip)."""
    bank, queries = np.asarray(bank, np.float32), np.asarray(queries, np.float32)
    if not (np.isfinite(bank).all() and np.isfinite(queries).all()):
        raise StudioError("Codes with NaN have no distance: this source lacks that code")
    clips = np.asarray(bank_clips).astype(str)
    if len(bank) <= k or len(np.unique(clips)) < 2:
        raise StudioError("The bank needs more than k codes from at least two clips")
    fitted = NearestNeighbors().fit(bank)
    own = _neighbour_distance(fitted, bank, k, same_clip=clips)
    theirs = _neighbour_distance(fitted, queries, k)
    ranked = np.sort(own)
    percentile = 100.0 * np.searchsorted(ranked, theirs, side="right") / len(ranked)
    return Novelty(percentile, theirs, own, k)
