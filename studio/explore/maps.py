"""The t-SNE map of a bank of codes: the SynthTalk frames' map is fitted once (cached on disk,
or shipped in assets/tsne/ for the shipped bank) and the user's frames are placed into it, so
adding or changing a user clip never moves — or recomputes — the map everyone else's points
sit on."""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from studio.data.code_bank import CodeBank
from studio.eval.novelty import novelty
from studio.eval.tsne import content_key, embed, place
from studio.explore.memo import Memo

_MEMO: Memo[np.ndarray] = Memo(32)  # placements and novelty scores made in this process


def user_novelty(bank: CodeBank, user_codes: np.ndarray, code: str) -> np.ndarray:
    """`studio.eval.novelty` percentiles of the user's codes against the bank's `code` codes,
    scored once per content (the t-SNE tab asks again on every click of a point)."""
    codes = bank.codes[code]
    key = content_key(codes, novelty_of=content_key(user_codes))
    clips = bank.labels["clip_id"]
    return _MEMO.get(key, lambda: novelty(codes, clips, user_codes).percentile)


@dataclass
class BankMap:
    """xy (N, 2) for every point of the bank; the seconds the fit (0 when cached) and the
    placement took."""

    xy: np.ndarray
    fit_seconds: float
    place_seconds: float
    placed: int


def bank_map(bank: CodeBank, code: str, perplexity: float = 30.0, seed: int = 0) -> BankMap:
    """The map of `bank`'s `code` codes: its SynthTalk points by t-SNE, its user points placed."""
    codes = bank.codes[code]
    user = np.asarray(bank.labels["source"]) == "user"
    t0 = time.perf_counter()
    base = embed(codes[~user], perplexity=perplexity, seed=seed)
    t1 = time.perf_counter()
    xy = np.zeros((len(bank), 2), np.float32)
    xy[~user] = base
    if user.any():
        key = content_key(codes[~user], new=content_key(codes[user]), p=perplexity, seed=seed)
        xy[user] = _MEMO.get(key, lambda: place(codes[~user], base, codes[user], perplexity, seed))
    return BankMap(xy, t1 - t0, time.perf_counter() - t1, int(user.sum()))
