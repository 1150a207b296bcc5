"""A small bounded in-process memo for what the explorer tabs ask for again and again — user
placements, novelty, cluster scores, drawn maps — keyed by content (`content_key`), so every
session that shows the same bank shares one computation."""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from collections.abc import Callable
from typing import Generic, TypeVar

import numpy as np

T = TypeVar("T")


def labels_digest(*columns) -> str:
    """A short digest of label columns (strings, numbers or None), for `content_key` params:
    hashing the arrays' bytes is ≈ 20× faster than the repr of 2,000 strings."""
    h = hashlib.sha1()
    for column in columns:
        a = np.asarray([] if column is None else column).astype(str)
        h.update(f"{a.shape}|".encode())
        h.update(np.ascontiguousarray(a).tobytes())
    return h.hexdigest()[:20]


class Memo(Generic[T]):
    """make() once per key; the least recently used entry goes when `size` are held. Two
    threads asking for a new key at once may both compute it (the results are equal)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._items: OrderedDict[str, T] = OrderedDict()

    def get(self, key: str, make: Callable[[], T]) -> T:
        if key in self._items:
            self._items.move_to_end(key)
            return self._items[key]
        value = make()
        self._items[key] = value
        while len(self._items) > self.size:
            self._items.popitem(last=False)
        return value
