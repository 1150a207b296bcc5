"""The SPEAK checkpoint's model card: every deviation of stage 2 from the paper, and why."""

from __future__ import annotations

DEVIATIONS = [
    {
        "what": "audio encoder: a three-layer temporal conv over each frame's 16 × 80 log-mel "
        "window (0.16 s), trained with the talker, instead of a pretrained wav2vec 2.0",
        "why": "no pretrained speech model can be downloaded here; the issue names this stand-in",
    },
    {
        "what": "editing module: 3 fully connected blocks of 256 with noise (std 0.05) and AdaIN "
        "from the reference's emotion + pose codes; its output edits the emotion code "
        "(f'_S = f_E + Δ) and enters G_g where G_d took the emotion code",
        "why": "the paper gives no sizes and says the emotion code holds part of the mouth; "
        "editing that code keeps G_g the shape of G_d",
    },
    {
        "what": "G_g starts from the shipped IRFD's G_d weights (the editing module's last layer "
        "at zero, so step 0 draws IRFD's reconstruction); IRFD's encoders are frozen",
        "why": "a CPU cannot train a generator from scratch in a session; the paper discards "
        "G_d and does not say whether the encoders are frozen",
    },
    {
        "what": "the reference's emotion codes are smoothed over time (Gaussian, σ = 6 frames) "
        "and its pose codes lightly (σ = 1.5), in training and at inference",
        "why": "in self-driven training a frame's own emotion code carries its mouth and the "
        "generator would copy it instead of listening; smoothing keeps the held emotion, drops "
        "lip-rate motion, and stops flicker (the issue asks for smooth codes)",
    },
    {
        "what": "losses: non-saturating conditional GAN at 128² and 64², the sync expert's "
        "distance² between generated mouths and the audio (Eq. 11, matched pairs), a perceptual "
        "L1 on the frozen IRFD encoders' stage features instead of ImageNet VGG, and pixel L1 "
        "(the paper has none); weight 1 each",
        "why": "no ImageNet VGG offline; L1 pins colours that a few hundred GAN steps do not",
    },
    {
        "what": "trained on SPEAK's own clip set: 300 training people of IRFD's image set, one "
        "sentence each (≤ 4 s, 25 fps, 128² fixed crops), instead of VoxCeleb + MEAD at 256²",
        "why": "no real data offline; the people are those IRFD learned, so its codes apply",
    },
]


JEAN_AUDIO = {
    "what": "audio encoder: the shipped JEAN audio encoder (log-mel conv stack + head, "
    "pretrained on SynthTalk to match lip codes), its conv stack frozen and its head fine-tuned",
    "why": "the issue asks to measure both audio encoders; a pretrained encoder, frozen at "
    "its front as FaceFormer keeps wav2vec 2.0's feature extractor, is the nearer stand-in",
}
IDENTITY_FRAME_ONLY = {
    "what": "w/o IRFD (Table 4's ablation): the editing module and G_g get the identity "
    "frame's emotion and pose codes for every frame, never a pose or emotion source",
    "why": "the paper does not say what replaces IRFD; a talker that sees one image code it "
    "cannot split keeps G_g's start and training budget, so only the disentangled sources differ",
}


def deviations(config: dict) -> list[dict]:
    """DEVIATIONS as they apply to a run's SpeakConfig."""
    out = list(DEVIATIONS)
    if config.get("audio_encoder", "logmel") == "jean":
        out[0] = JEAN_AUDIO
    if config.get("reference", "sources") == "identity_frame":
        out.append(IDENTITY_FRAME_ONLY)
    return out
