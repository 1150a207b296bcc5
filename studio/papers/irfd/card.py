"""The IRFD checkpoint's model card: the paper and every deviation from it."""

from __future__ import annotations

PAPER = (
    "SPEAK: Speech-Driven Pose and Emotion-Adjustable Talking Head Generation — IRFD "
    "(Cai, Guo, Li, Su et al.; 001_4550a03d5ce9d4df)"
)
DEVIATIONS = [
    {
        "what": "three residual encoders of five stride-2 stages (32–128 channels) at 128², and "
        "a 4.2 M-parameter generator: mapping MLP + StyleGAN2-style modulated convs from a 4² "
        "constant, instead of three ResNet50s and a StyleGAN2 at 256²",
        "why": "CPU training (2 cores) and the 10 MB checkpoint limit; the structure (one "
        "encoder per factor, a style-modulated decoder) is kept",
    },
    {
        "what": "identity triplet with a true negative (the other person of the pair); the "
        "paper's literal Eq. 1, which compares two same-identity distances, is the "
        "`--literal-triplet` ablation",
        "why": "as printed, Eq. 1 has no negative and cannot push identities apart",
    },
    {
        "what": "trained on IRFD's own SynthTalk image set (1,000 training and 100 held-out "
        "people of world seed 11, 24 images each: every factor drawn at random) instead of "
        "VoxCeleb + MEAD",
        "why": "no real data offline; the set saves every factor, so probes and swaps can be "
        "judged exactly",
    },
    {
        "what": "weights stored in float16 in the safetensors file (float32 in memory)",
        "why": "the 10 MB limit per checkpoint file",
    },
]
