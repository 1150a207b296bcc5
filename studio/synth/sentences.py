"""What SynthTalk's people say: short, phonetically rich sentences (Harvard lists, IEEE 1969).

Harvard sentences were written to cover English sounds in everyday words; each takes 2–3 s to
say, so a clip is short and every viseme appears many times across a corpus. Training clips use
`TRAIN_SENTENCES`; `HELD_OUT_SENTENCES` are never trained on, so lip-sync and audio-encoder
numbers measure generalisation to unseen words.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from studio.speech import synthesize

TRAIN_SENTENCES: tuple[str, ...] = (
    "The birch canoe slid on the smooth planks.",
    "Glue the sheet to the dark blue background.",
    "It's easy to tell the depth of a well.",
    "These days a chicken leg is a rare dish.",
    "Rice is often served in round bowls.",
    "The juice of lemons makes fine punch.",
    "The box was thrown beside the parked truck.",
    "The hogs were fed chopped corn and garbage.",
    "Four hours of steady work faced us.",
    "Large size in stockings is hard to sell.",
    "The boy was there when the sun rose.",
    "A rod is used to catch pink salmon.",
    "The source of the huge river is the clear spring.",
    "Kick the ball straight and follow through.",
    "Help the woman get back to her feet.",
    "A pot of tea helps to pass the evening.",
    "The soft cushion broke the man's fall.",
    "The salt breeze came across from the sea.",
    "The girl at the booth sold fifty bonds.",
    "We enjoyed the usual pleasure of a thick oily stew.",
)

HELD_OUT_SENTENCES: tuple[str, ...] = (
    "A small creek cut across the field.",
    "Cars and busses stalled in snow drifts.",
    "The set of china hit the floor with a crash.",
    "This is a grand season for hikes on the road.",
    "The young girl gave no clear response.",
)


def phoneme_coverage(sentences: Iterable[str], voice: str = "en-us") -> dict[str, int]:
    """How often each eSpeak phoneme (pauses excluded) occurs when `voice` says the sentences.

    Measured by synthesis rather than a lexicon, so it shows what the corpus actually contains
    (eSpeak's own letter-to-sound rules and reductions included). Sorted by symbol.
    """

    counts: Counter[str] = Counter()
    for text in sentences:
        counts.update(p.symbol for p in synthesize(text, voice=voice).phonemes if not p.is_pause)
    return dict(sorted(counts.items()))
