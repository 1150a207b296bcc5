"""`python -m studio.bench jean-audio-negatives`: the audio encoder trained with the paper's
negatives (the same person's other clips) or with negatives from the anchor's own clip, scored
by both retrieval protocols. See `studio.bench.jean_audio`."""

from studio.bench.jean_audio import run_negatives as run

__all__ = ["run"]
