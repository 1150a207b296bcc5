"""SynthTalk: a procedural talking-head world whose true factors are known.

Identities (look, voice, motion style) perform sentences with emotions (`performance`), a
renderer draws their heads (`renderer`), and the corpus writer stores frames, audio and
per-frame ground truth (`corpus`). `python -m studio.synth make|export|sheet|check|calibrate`.
"""
