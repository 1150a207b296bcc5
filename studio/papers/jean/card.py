"""The text of JEAN's model card: the paper, the deviations from it, and a run measured beside
another run's card."""

from __future__ import annotations

import json
from pathlib import Path

from studio.errors import StudioError
from studio.papers.jean.bench import headline

DEVIATIONS = [
    {
        "what": "2-D pose-normalised MediaPipe-topology landmarks (110 non-contour points: eyes, "
        "brows, nose, lips) from the SynthTalk rig instead of 68 detected dlib points",
        "why": "SynthTalk provides exact landmarks; the 478-point mesh is the studio's "
        "face representation",
    },
    {
        "what": "log-mel windows (16 × 80, 0.16 s) and a small conv1d encoder instead of "
        "DeepSpeech features + AD-NeRF's audio net",
        "why": "no DeepSpeech (TF1) weights offline; the studio's speech features are log-mel",
    },
    {
        "what": "expression features = 52 ground-truth rig blendshapes + 220 pose-normalised "
        "landmark coordinates instead of 2048-D EMOCA ResNet50 features; user videos use "
        "MediaPipe-tracked blendshapes and landmarks",
        "why": "no EMOCA / AffectNet weights offline. GT (not tracked) for training because "
        "tracking 119k frames with MediaPipe costs ~20 CPU-minutes and the tracker misses "
        "parts of the synthetic rig; tracked inputs at inference are a domain shift",
    },
    {
        "what": "one multi-identity expression transformer (pairs from 32 identities) instead of "
        "one per identity; the per-identity form is trained and measured beside it by "
        "python -m studio.bench jean-per-identity (docs/JEAN.md)",
        "why": "the studio must encode unseen identities; measured, neither form is clearly better",
    },
    {
        "what": "non-autoregressive decoder (3 layers × 8 heads over the window, start/end "
        "tokens) instead of an autoregressive one",
        "why": "the studio decodes single codes interactively; the reconstruction target is the "
        "whole window either way",
    },
    {
        "what": "expression code = mean of the window's expression outputs (pool_expression)",
        "why": "keeps per-frame viseme information out of e_e (the issue's leakage bar); the "
        "paper reads the (ω/2)-th output",
    },
    {
        "what": "audio augmentation in the log-mel domain (gain, noise, band shift, time "
        "stretch, another speaker mixed in); two InfoNCE variants trained and the better kept",
        "why": "asked by the issue so the code does not carry the voice",
    },
    {
        "what": "AdamW with warm-up + cosine decay (shared loop) and a few thousand steps "
        "instead of Adam for 15/30/20 epochs",
        "why": "CPU time budget (each stage ≤ a few minutes on 2 cores)",
    },
    {"what": "no NeRF", "why": "the Talking NeRF is a separate model (DESIGN §5)"},
]


OPTIONS_DEVIATION = {
    "what": "expression transformer trained with options beyond the paper: the expression code "
    "read from another (random) window of the same clips (--expr-other-time); a scale-free "
    "L1 pulling the aligned pair's lip codes together (--lip-consistency W); InfoNCE picking "
    "each frame's aligned partner by its lip code (--lip-contrast W); InfoNCE picking a clip's "
    "own expression code at another time over its partner's (--expr-contrast W); a scale-free L1 "
    "between a clip's expression codes at two times (--expr-consistency W); pairs of one "
    "sentence spoken by two identities as well as by one (--cross-identity-pairs); a person "
    "classifier on the expression code with a confusion loss (--identity-adversary W), an emotion "
    "classifier on the lip code likewise (--lip-emotion-adversary W). The run's "
    "weights are in training.expression_transformer_options",
    "why": "with the paper's loss alone the lip code carried the emotion and the expression code "
    "the viseme (the issue's leakage bars); the run with the paper's loss is measured beside this "
    "one in expression_transformer_comparison",
}


def comparison(this: dict, other_card: dict) -> dict:
    """This run's metrics beside another jean run's (its model card), each with its command
    and corpus build, so a reader sees whether they are comparable."""

    def row(details: dict, training: dict, build) -> dict:
        return {
            "command": training.get("command"),
            "options": training.get("expression_transformer_options"),
            "corpus_build": build,
            **{k: round(v, 4) for k, v in headline(details).items()},
        }

    return {
        "note": "held-out identities, each measured by its training command's evaluation; "
        "comparable when the corpus builds match",
        "this run": row(this["details"], this["training"], this["data"]["corpus_build"]),
        "compared run": row(
            other_card.get("details", {}),
            other_card.get("training", {}),
            other_card.get("data", {}).get("corpus_build"),
        ),
    }


def load_card_file(path: str | Path) -> dict:
    """A model card (JSON) given on the command line; a clear error when it is not one."""
    try:
        card = json.loads(Path(path).read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise StudioError(f"--compare-with: cannot read a model card from {path}: {e}") from e
    if not isinstance(card, dict) or card.get("name") != "jean":
        raise StudioError(f"--compare-with: {path} is not a jean model card")
    return card
