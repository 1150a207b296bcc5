"""The text of the rhythmic checkpoint's model card: the paper and every deviation from it."""

from __future__ import annotations

PAPER = (
    "Talking-head Generation with Rhythmic Head Motion (Chen et al., ECCV 2020; "
    "002_a08469f1c9265d4a)"
)
DEVIATIONS = [
    {
        "what": "audio per frame = the studio's 16 × 80 log-mel window (0.16 s) through an MLP, "
        "instead of two 2-D convolutions on 7 × 640 raw samples (0.28 s)",
        "why": "the studio's speech features are log-mel; the raw-audio flatten (30,528-D) is "
        "the cost driver on a CPU",
    },
    {
        "what": "Φ is trained on its own SynthTalk set: 320 people of another world seed, 6 "
        "performances each (audio + head pose; nothing rendered), not on the 32 training people "
        "of the default corpus",
        "why": "measured: on the corpus's 32 people Φ learns to recognise the training clips "
        "(training MSE falls, held-out error rises) and its motion matches its own person's "
        "style in 26% of held-out clips; on 320 people, 76% (docs/RHYTHMIC.md)",
    },
    {
        "what": "in that set, where a person's head rests (yaw / pitch bias) is spread 3× wider "
        "than in the SynthTalk world (yaw sd 15° instead of 5°, pitch 9° instead of 3°); "
        "amplitude, tempo, nods and drift are the world's",
        "why": "the issue allows widening the world's styles; measured on held-out people "
        "(docs/RHYTHMIC.md, 'Where style was lost'): trained on the world's own spread, Φ pulls "
        "each rest towards the average (slope 0.76) and matches its own person's style in "
        "76% of clips; at 2× 81%, at 3× 86% (three reference draws: 0.86 / 0.82 / 0.83)",
    },
    {
        "what": "the reference is another clip of the same SynthTalk person (40 frames), not "
        "the 64 frames before the prediction in one long video; prediction windows of 40 frames",
        "why": "SynthTalk clips last about 2 s; a motion style belongs to the person",
    },
    {
        "what": "noise augmentation (6–30 dB SNR, 3 dB steps, half the samples) mixed into the "
        "log-mel power, not the waveform",
        "why": "the cached training inputs are log-mel windows",
    },
    {
        "what": "Φ's loss = MSE + 0.2 × non-saturating GAN loss of the mean/std discriminator "
        "(the paper gives no weight); AdamW 1e-3, betas (0.5, 0.999), wd 2e-5 (paper code: "
        "Adam 3e-4), 2,000 steps of 32 windows",
        "why": "measured on held-out people (docs/RHYTHMIC.md): MSE alone shrinks the motion to "
        "29% of the true spread; weight 0.5 restores it (102%) but loses style (63%); 0.2 keeps "
        "92% of the spread and 76% style",
    },
    {
        "what": "the expression learner Ψ predicts the 14 mouth blendshapes speech moves (L1), "
        "from the log-mel windows of ±2 frames around each frame, not 20 landmark-PCA "
        "coefficients from the audio and the speaker's reference landmarks",
        "why": "the SynthTalk rig is written in blendshapes, the same for every head; the "
        "emotion is added from a label or a JEAN expression code, not learned from audio",
    },
    {
        "what": "no 3D-aware generator Θ (unprojection, motion matcher, hybrid embedding, "
        "non-linear composition): Talk renders the SynthTalk rig directly",
        "why": "the photo animator (a textured MediaPipe mesh re-posed and composed) is its own "
        "issue; the rig is the renderer that exists today",
    },
    {
        "what": "weights stored in float16 in the safetensors file (float32 in memory)",
        "why": "the 10 MB limit per checkpoint file (float32: 10,335,284 bytes)",
    },
]
