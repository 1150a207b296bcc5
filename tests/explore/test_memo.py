"""The explorer's memo: computed once per content, bounded, and never stale for new content."""

from __future__ import annotations

import numpy as np

from studio.explore.memo import Memo, labels_digest
from studio.explore.scores import scores


def test_memo_computes_once_per_key_and_forgets_the_least_recent():
    memo: Memo[int] = Memo(2)
    calls: list[str] = []

    def make(key: str):
        return lambda: calls.append(key) or len(calls)

    assert memo.get("a", make("a")) == 1 and memo.get("a", make("a")) == 1
    memo.get("b", make("b"))
    memo.get("a", make("a"))  # a is now the most recent
    memo.get("c", make("c"))  # b goes
    memo.get("a", make("a"))
    memo.get("b", make("b"))
    assert calls == ["a", "b", "c", "b"]


def test_labels_digest_tells_columns_apart():
    a = np.array(["happy", "sad", "angry"])
    assert labels_digest(a) == labels_digest(list(a))
    assert labels_digest(a) != labels_digest(a[::-1])
    assert labels_digest(a, None) != labels_digest(a, [1, 2, 3])
    assert labels_digest(["ab", "c"]) != labels_digest(["a", "bc"])


def test_scores_are_memoised_by_content_not_by_object():
    rng = np.random.default_rng(0)
    codes = rng.normal(size=(300, 8)).astype(np.float32)
    labels = rng.integers(0, 4, 300)
    groups = np.repeat(np.arange(30), 10)
    first = scores(codes, labels, groups=groups)
    assert scores(codes.copy(), labels.copy(), groups=groups.copy()) == first
    moved = labels.copy()
    moved[:40] = (moved[:40] + 1) % 4
    assert scores(codes, moved, groups=groups) != first
    first["knn_accuracy"] = -1.0  # a caller's change does not reach the memo
    assert scores(codes, labels, groups=groups)["knn_accuracy"] >= 0
