"""Exploring learned codes: t-SNE maps, code banks of a corpus and of user clips, and
expression interpolation rendered with the SynthTalk rig. No UI code: the Interpolation and
t-SNE tabs, the CLI and Python users all call these."""
