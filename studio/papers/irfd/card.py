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
        "what": "the terms read off the swapped fakes (identity triplet, pose and emotion "
        "re-encoding) weigh 0.1, reached linearly over the first 200 steps; the paper weighs "
        "every term 1",
        "why": "measured on this set at lr 3e-4: with weight 1 (or ramping to 1) the swap terms' "
        "gradient drowns self-reconstruction — G_d stayed at the mean image (held-out PSNR "
        "12.9 dB at step 100) while the pose and emotion re-encoding terms fell to 0.1–0.2; "
        "with weight 0 the same 40 steps lower the self term from 0.085 to 0.058 "
        "(docs/IRFD.md, 'Attempts')",
    },
    {
        "what": "re-encoding of the fakes with the encoders' parameters frozen "
        "(`--frozen-reencoding`): the encoders learn from real images only",
        "why": "with the encoders learning from the fakes, the re-encoding terms were met by "
        "codes that no longer depend on the image (the first small IRFD's lesson, and this "
        "set's faithful attempt: pose/emotion terms 0.06–0.1 at step 100, reconstruction at "
        "the mean image)",
    },
    {
        "what": "each encoder ends in a linear head on its whole 4² grid (not global pooling) "
        "and a layer norm (codes standardised per sample)",
        "why": "emotion and pose are placed features; the layer norm fixes the codes' scale, so "
        "the re-encoding MSEs cannot be lowered by shrinking codes",
    },
    {
        "what": "800 steps of 16 pairs (12,800 pairs: ≈ 1 epoch of the set) at Adam lr 3e-4 "
        "(the paper: 1e-4 for far longer)",
        "why": "one CPU session; 3e-4 reconstructed faster than 1e-3 in a 60-step probe "
        "(18.1 vs 16.7 dB held-out)",
    },
    {
        "what": "weights stored in float16 in the safetensors file (float32 in memory)",
        "why": "the 10 MB limit per checkpoint file",
    },
]

SPLIT_ENCODERS = {
    "what": "split encoders (`--split-encoders`, after an `--encoders-only` warm-up run): E_i "
    "learns from a batch-hard triplet of real images (another image of the same person against "
    "the closest other person in the batch, margin 0.5) and E_e from the cross-entropy only; "
    "their codes reach G_d and the swap terms detached, so reconstruction and the swaps train "
    "G_d and E_p only. The paper trains all three encoders jointly from every loss and its "
    "triplet (Eq. 1) reads the swapped fakes (kept: it now trains G_d)",
    "why": "measured on this set (docs/IRFD.md, 'Split encoders'): trained jointly, "
    "reconstruction's gradient pulled head pose into the identity code and the emotion head "
    "never left chance in one CPU session; the identity labels the real triplet needs exist in "
    "the paper's data (MEAD, VoxCeleb)",
}
POSE_LABELS = {
    "what": "weak pose supervision (`--pose-labels`): a linear head on the pose code regresses "
    "yaw, pitch and roll (MSE, degrees / 30); the paper learns pose without labels",
    "why": "without labels the pose code did not reach the probes' bar on this budget "
    "(docs/IRFD.md); SynthTalk gives every image's pose for free",
}


def deviations(options: dict) -> list[dict]:
    """The card's deviations for a run's options."""
    out = list(DEVIATIONS)
    if options.get("split_encoders"):
        out.append(SPLIT_ENCODERS)
    if options.get("pose_labels"):
        out.append(POSE_LABELS)
    return out
