"""Novelty: a code's distance to a bank, in the bank's own percentiles."""

import numpy as np
import pytest

from studio.errors import StudioError
from studio.eval.novelty import WARN_PERCENTILE, novelty


def _bank(rng, clips=40, frames=20, dim=8):
    """Clips whose frames are near-copies of one clip centre (as consecutive video frames are)."""
    centres = rng.normal(size=(clips, dim))
    codes = np.repeat(centres, frames, 0) + 0.01 * rng.normal(size=(clips * frames, dim))
    return codes, np.repeat([f"c{i}" for i in range(clips)], frames), centres


def test_a_new_clip_from_the_bank_world_is_ordinary_and_a_far_one_is_flagged():
    rng = np.random.default_rng(0)
    codes, clips, _ = _bank(rng)
    ordinary = rng.normal(size=(30, 8))  # new clips of the same world
    far = rng.normal(size=(5, 8)) + 12.0
    n = novelty(codes, clips, np.concatenate([ordinary, far]))
    assert 15 < np.median(n.percentile[:30]) < 85
    assert (n.percentile[30:] == 100).all() and n.past_warning[30:].all()
    assert n.past_warning[:30].mean() < 0.2
    past = int(n.past_warning.sum())
    assert f"{past} of 35 frame(s) past the 99th" in n.summary() and "with care" in n.summary()


def test_frames_of_a_codes_own_clip_are_not_its_neighbours():
    """Else each bank code's neighbours are its clip's near-copies, the bank's distances are
    ~0, and every new code reads as novel."""
    rng = np.random.default_rng(1)
    codes, clips, _ = _bank(rng)
    n = novelty(codes, clips, codes[:1])
    assert np.median(n.bank_distances) > 0.5  # clip centres are ~4 apart, frames 0.01
    assert n.percentile[0] < WARN_PERCENTILE


def test_codes_with_nan_are_refused():
    rng = np.random.default_rng(2)
    codes, clips, _ = _bank(rng)
    with pytest.raises(StudioError, match="lacks that code"):
        novelty(codes, clips, np.full((3, 8), np.nan))
