"""`python -m studio.bench jean-audio`: what limits JEAN's audio → lip retrieval (issue "JEAN").

Two parts, both on held-out SynthTalk identities, with the shipped landmark AE's frozen mouth
codes as the retrieval targets (1 positive + 9 same-identity negatives, `retrieval_top1`):

1. **Audio-input variants.** Fresh audio encoders trained with the shipped recipe (InfoNCE,
   1 negative, τ = 0.1, the same augmentation) for `STEPS` steps each, differing in one input
   choice: the context (0.16 s — ours; 0.32 s — AD-NeRF's 16 × 20 ms DeepSpeech window, the
   input of the audio net the paper reuses; 0.64 s), the pitch-like band-shift augmentation
   off, and log-mel minus the speaker's mean (speaker normalisation: needs several clips of
   the person). Each is scored by retrieval and by linear probes for the viseme and the
   emotion.
2. **Label-mean ceilings.** A predictor that knows a frame's exact labels (viseme; + emotion;
   + intensity; + the visemes two frames before and after) and outputs the mean training mouth
   code of those labels, shifted by the person's own mean mouth code. Any per-frame audio
   encoder scored by cosine competes with these: they show what the labels alone allow.

`python -m studio.bench jean-audio-emotion` (`run_emotion`) trains the 0.32 s encoder with a
per-clip condition beside the window (`EMOTION_VARIANTS`): the emotion labels (an oracle), or
a summary of the clip's audio that could reveal the emotion. `python -m studio.bench
jean-audio-negatives` (`run_negatives`) trains the shipped input with negatives from the
anchor's own clip (`NEGATIVE_VARIANTS`). Every variant is also scored with own-clip negatives.
"""

from __future__ import annotations

import logging
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn

from studio.nn.blocks import Standardise
from studio.nn.loop import set_seed
from studio.nn.loop import train as run_training
from studio.papers.jean.batches import audio_batches
from studio.papers.jean.data import load_data, split
from studio.papers.jean.losses import audio_loss_fn
from studio.papers.jean.metrics import (
    SAME_CLIP_GAP,
    label_mean_top1,
    probes,
    retrieval_top1,
    shifted_index,
)
from studio.papers.jean.model import AudioEncoder, JeanConfig, load, mlp
from studio.papers.jean.train import BATCH, stage_config
from studio.paths import RUNS, default_corpus
from studio.synth.emotions import EMOTIONS, INTENSITIES

log = logging.getLogger(__name__)


RUN_DIR = RUNS / "jean_audio"
STEPS = 3000
QUICK_STEPS = 20


# frame offsets whose 16-mel windows sit side by side: frames are 4 mel hops apart, so windows
# of frames t − 2 and t + 2 cover the 32 mel frames around t exactly (0.32 s)
SPAN_OFFSETS = {1: (0,), 2: (-2, 2), 4: (-6, -2, 2, 6)}


@dataclass(frozen=True)
class AudioVariant:
    """One audio-encoder input choice (everything else is the shipped recipe)."""

    name: str
    span: int = 1  # 16-mel windows per frame: 1 = 0.16 s
    band_shift: int = 3  # augmentation: ± mel bands (≈ pitch); 0 = off
    speaker_norm: bool = False  # subtract the speaker's mean log-mel
    condition: str = "none"  # a per-clip vector beside the window: one of CONDITIONS
    same_clip_fraction: float = 0.0  # negatives from the anchor's own clip (≥ 0.2 s away)


VARIANTS = (
    AudioVariant("shipped input (0.16 s)"),
    AudioVariant("0.32 s context (DeepSpeech's)", span=2),
    AudioVariant("0.64 s context", span=4),
    AudioVariant("no band-shift augmentation", band_shift=0),
    AudioVariant("speaker-normalised log-mel", speaker_norm=True),
    AudioVariant("0.32 s + speaker-normalised", span=2, speaker_norm=True),
)


# What a conditioned variant is told about the frame's clip, beside its audio window:
# the emotion and intensity labels (an oracle no audio encoder has: how much knowing them is
# worth), or a summary of the whole clip's audio that could reveal them (mean and std of its
# log-mel per band; minus the speaker's mean in the second form).
CONDITIONS = ("none", "emotion labels", "clip summary", "clip summary - speaker mean")
EMOTION_VARIANTS = (
    AudioVariant("0.32 s, no condition", span=2),
    AudioVariant("0.32 s + emotion labels (oracle)", span=2, condition="emotion labels"),
    AudioVariant("0.32 s + clip audio summary", span=2, condition="clip summary"),
    AudioVariant(
        "0.32 s + clip summary − speaker mean", span=2, condition="clip summary - speaker mean"
    ),
)


# Where the training negatives come from: the paper's (the same person's other clips), or
# with some probability the anchor's own clip >= 0.2 s away (only the mouth differs there)
NEGATIVE_VARIANTS = (
    AudioVariant("0.16 s, the paper's negatives (other clips)"),
    AudioVariant("0.16 s, half the negatives from the own clip", same_clip_fraction=0.5),
    AudioVariant("0.16 s, every negative from the own clip", same_clip_fraction=1.0),
)


def speaker_means(data) -> np.ndarray:
    """(N, 80) each frame's speaker mean log-mel (over every third window of that identity,
    all its clips: speaker normalisation needs several clips of the person)."""
    ident = data.column("identity_id")
    out = np.zeros((len(ident), 80), np.float32)
    for person in np.unique(ident):
        mine = ident == person
        out[mine] = data.mel[mine][::3].astype(np.float32).mean((0, 1))
    return out


def window_fn(data, variant: AudioVariant):
    """idx → (len(idx), 16·span, 80) float32 audio inputs of `variant` for frames idx."""
    neighbours = np.stack([shifted_index(data, k) for k in SPAN_OFFSETS[variant.span]], 1)
    means = speaker_means(data) if variant.speaker_norm else None

    def windows(idx):
        idx = np.asarray(idx)
        x = data.mel[neighbours[idx]].astype(np.float32).reshape(len(idx), -1, 80)
        return x - means[idx][:, None] if means is not None else x

    return windows


def conditions_of(data, variant: AudioVariant) -> np.ndarray | None:
    """(N, k) float32 per-frame condition of `variant` (None for "none"): the same vector for
    every frame of a clip."""
    if variant.condition not in CONDITIONS:
        raise ValueError(f"unknown condition {variant.condition!r}; use one of {CONDITIONS}")
    if variant.condition == "none":
        return None
    n = len(data.clip_of)
    if variant.condition == "emotion labels":
        out = np.zeros((n, len(EMOTIONS) + len(INTENSITIES)), np.float32)
        rows = np.arange(n)
        out[rows, [EMOTIONS.index(e) for e in data.column("emotion")]] = 1
        intensity = data.column("intensity").astype(int)
        out[rows, len(EMOTIONS) + np.searchsorted(INTENSITIES, intensity)] = 1
        return out
    speaker = speaker_means(data) if variant.condition.endswith("speaker mean") else None
    out = np.zeros((n, 160), np.float32)
    for clip in data.clips:
        rows = slice(clip["start"], clip["start"] + clip["n"])
        mel = data.mel[rows].astype(np.float32)
        out[rows, :80] = mel.mean((0, 1)) - (speaker[clip["start"]] if speaker is not None else 0)
        out[rows, 80:] = mel.std((0, 1))
    return out


class ConditionedAudioEncoder(nn.Module):
    """The shipped AudioEncoder's conv stack over the window, with a per-clip condition (k,)
    embedded by a small MLP and concatenated before a new FC head (the wrapped encoder's own
    head is not used)."""

    def __init__(self, span: int, k: int):
        super().__init__()
        config = JeanConfig(audio_span=span)
        self.window = AudioEncoder(config)
        self.cond_norm = Standardise(k)
        self.cond = mlp([k, 64, 64])
        self.fc = mlp([2 * config.audio_width + 64, 128, config.code])

    def forward(self, mel: torch.Tensor, cond: torch.Tensor) -> torch.Tensor:
        x = self.window.conv(self.window.norm(mel).transpose(1, 2)).flatten(1)
        return self.fc(torch.cat([x, self.cond(self.cond_norm(cond))], 1))


def train_variant(
    variant: AudioVariant, train, mouth_tr, steps: int, seed: int = 0, run_dir: Path = RUN_DIR
):
    """A fresh AudioEncoder trained on `train` with the shipped recipe and `variant`'s input."""
    set_seed(seed)
    windows = window_fn(train, variant)
    conditions = conditions_of(train, variant)
    if conditions is None:
        encoder = AudioEncoder(JeanConfig(audio_span=variant.span))
        mel_norm = encoder.norm
    else:
        encoder = ConditionedAudioEncoder(variant.span, conditions.shape[1])
        encoder.cond_norm.fit(conditions[::7])
        mel_norm = encoder.window.norm
    mel_norm.fit(windows(np.arange(0, len(train.viseme), 7)).reshape(-1, 80))
    slug = "".join(ch if ch.isalnum() else "_" for ch in variant.name)
    config = stage_config(steps, BATCH["audio"], 1e-3, seed, run_dir / slug)
    run_training(
        encoder,
        audio_loss_fn(0.1, 1, band_shift=variant.band_shift),
        audio_batches(
            train,
            mouth_tr,
            config.batch_size,
            1,
            windows,
            conditions,
            same_clip_fraction=variant.same_clip_fraction,
        ),
        config,
    )
    return encoder.eval(), windows


def encode(encoder, windows, n: int, conditions=None, chunk: int = 4096) -> np.ndarray:
    """(n, 64) codes of frames 0 … n − 1 (with their `conditions` for a conditioned encoder)."""
    with torch.no_grad():
        parts = []
        for i in range(0, n, chunk):
            mel = torch.as_tensor(windows(np.arange(i, min(i + chunk, n))))
            if conditions is None:
                parts.append(encoder(mel))
            else:
                parts.append(encoder(mel, torch.as_tensor(conditions[i : i + chunk])))
    return torch.cat(parts).numpy()


CEILINGS = {
    "viseme": ((), 0),
    "viseme + emotion": (("emotion",), 0),
    "viseme + emotion + intensity": (("emotion", "intensity"), 0),
    "viseme ±2 frames + emotion + intensity": (("emotion", "intensity"), 2),
}


def study(variants, train, mouth_tr, test, mouth_te, steps: int, nq: int, out: dict) -> list[str]:
    """Train and score each variant into `out` (variant[name].*); returns table rows."""
    lines = [
        "| variant | top-1 | top-1, own-clip negatives | viseme ← audio | emotion ← audio "
        "| train s |",
        "|---" * 6 + "|",
    ]
    for variant in variants:
        t0 = time.time()
        encoder, _ = train_variant(variant, train, mouth_tr, steps)
        seconds = time.time() - t0
        a_tr = encode(
            encoder, window_fn(train, variant), len(train.viseme), conditions_of(train, variant)
        )
        a_te = encode(
            encoder, window_fn(test, variant), len(test.viseme), conditions_of(test, variant)
        )
        heard = probes({"audio": a_tr}, train, {"audio": a_te}, test)
        row = {
            "audio_lip_top1": retrieval_top1(a_te, mouth_te, test, n_query=nq),
            "audio_lip_top1_same_clip": retrieval_top1(
                a_te, mouth_te, test, n_query=nq, same_clip_gap=SAME_CLIP_GAP
            ),
            "viseme_from_audio": heard["audio->viseme"],
            "emotion_from_audio": heard["audio->emotion"],
            "chance_viseme": heard["chance_viseme"],
            "chance_emotion": heard["chance_emotion"],
            "train_seconds": round(seconds, 1),
        }
        log.info("%s: %s", variant.name, row)
        for k, v in row.items():
            out[f"variant[{variant.name}].{k}"] = v
        out[f"variant[{variant.name}].input"] = str(asdict(variant))
        lines.append(
            f"| {variant.name} | {row['audio_lip_top1']:.3f} | "
            f"{row['audio_lip_top1_same_clip']:.3f} | {row['viseme_from_audio']:.3f}"
            f" | {row['emotion_from_audio']:.3f} | {seconds:.0f} |"
        )
    return lines


def prepare(quick: bool, corpus: Path, steps: int | None):
    """(shipped model, train, frozen train mouth codes, test, test mouth codes, steps, nq)."""
    shipped = load()
    parts = split(load_data(corpus or default_corpus()))
    train, test = parts["train"], parts["test"]
    mouth_tr = shipped.landmark_codes(train.landmarks)[1]
    mouth_te = shipped.landmark_codes(test.landmarks)[1]
    steps = steps or (QUICK_STEPS if quick else STEPS)
    return shipped, train, mouth_tr, test, mouth_te, steps, (300 if quick else 3000)


def run(quick: bool = False, corpus: Path | None = None, steps: int | None = None) -> dict:
    """Both parts: the input variants and the label-mean ceilings."""
    shipped, train, mouth_tr, test, mouth_te, steps, nq = prepare(quick, corpus, steps)
    out: dict = {"steps": steps, "queries": nq}
    shipped_audio = shipped.audio_codes(test.mel.astype(np.float32))
    out["shipped_checkpoint.audio_lip_top1"] = retrieval_top1(
        shipped_audio, mouth_te, test, n_query=nq
    )
    for name, (fields, context) in CEILINGS.items():
        out[f"label_mean[{name}].audio_lip_top1"] = label_mean_top1(
            train, mouth_tr, test, mouth_te, fields, context, nq
        )
    variants = VARIANTS[:2] if quick else VARIANTS
    print("\n".join(study(variants, train, mouth_tr, test, mouth_te, steps, nq, out)))
    return out


def clip_prosody(data, speaker_norm: bool) -> tuple[np.ndarray, np.ndarray]:
    """(clips, 243) prosody features of each clip and (clips,) its emotion. From the log-mel
    frame at each video frame's time: per-band mean (minus the speaker's mean when
    `speaker_norm`), std and mean frame-to-frame change (≈ rate), the loudness's std and mean
    change, and the clip's length in frames."""
    speaker = speaker_means(data) if speaker_norm else None
    rows, emotions = [], []
    for clip in data.clips:
        track = data.mel[clip["start"] : clip["start"] + clip["n"], 8].astype(np.float32)
        mean = track.mean(0) - (speaker[clip["start"]] if speaker is not None else 0)
        loudness = np.log(np.exp(track).mean(1))
        change = np.abs(np.diff(track, axis=0)).mean(0)
        loud_change = np.abs(np.diff(loudness)).mean()
        rows.append(np.r_[mean, track.std(0), change, loudness.std(), loud_change, len(track)])
        emotions.append(clip["emotion"])
    return np.array(rows), np.array(emotions)


def clip_emotion_accuracy(train, test, speaker_norm: bool) -> tuple[float, float]:
    """A dedicated clip-level emotion classifier (standardised `clip_prosody` → logistic
    regression) fitted on training identities: (held-out identities' clip accuracy, the
    majority-class rate of those clips). How well the emotion can be heard from a whole clip
    of an unseen voice, beyond what one window holds."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    x_tr, y_tr = clip_prosody(train, speaker_norm)
    x_te, y_te = clip_prosody(test, speaker_norm)
    classifier = make_pipeline(StandardScaler(), LogisticRegression(C=1.0, max_iter=3000))
    classifier.fit(x_tr, y_tr)
    majority = np.unique(y_te, return_counts=True)[1].max() / len(y_te)
    return float(classifier.score(x_te, y_te)), float(majority)


def run_emotion(quick: bool = False, corpus: Path | None = None, steps: int | None = None) -> dict:
    """`python -m studio.bench jean-audio-emotion`: the 0.32 s encoder told the clip's emotion
    (oracle labels) or given a summary of the clip's audio: what hearing the emotion is worth."""
    _, train, mouth_tr, test, mouth_te, steps, nq = prepare(quick, corpus, steps)
    out: dict = {"steps": steps, "queries": nq}
    for form, norm in (("raw", False), ("speaker-normalised", True)):
        accuracy, majority = clip_emotion_accuracy(train, test, norm)
        out[f"clip_classifier[{form}].emotion_accuracy"] = accuracy
        out["clip_classifier.majority_rate"] = majority
    variants = EMOTION_VARIANTS[:2] if quick else EMOTION_VARIANTS
    print("\n".join(study(variants, train, mouth_tr, test, mouth_te, steps, nq, out)))
    return out


def run_negatives(
    quick: bool = False, corpus: Path | None = None, steps: int | None = None
) -> dict:
    """`python -m studio.bench jean-audio-negatives`: the shipped input trained with the
    paper's negatives or with negatives from the anchor's own clip, scored by both retrieval
    protocols: does a negative that differs only in the mouth teach the code to hear it?"""
    _, train, mouth_tr, test, mouth_te, steps, nq = prepare(quick, corpus, steps)
    out: dict = {"steps": steps, "queries": nq, "same_clip_gap": SAME_CLIP_GAP}
    variants = NEGATIVE_VARIANTS[:2] if quick else NEGATIVE_VARIANTS
    print("\n".join(study(variants, train, mouth_tr, test, mouth_te, steps, nq, out)))
    return out
