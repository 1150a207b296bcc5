"""One paper (or evaluator) per module; `checkpoints.py` reads and writes the shipped weights."""
