"""Training: one shared loop (`loop.py`), cached SynthTalk arrays (`synth_data.py`) and one
recipe per model. `python -m studio.train <model>` runs a recipe and ships its checkpoint."""
