"""`python -m studio.bench jean-per-identity`: the paper's per-identity expression transformer
beside the shipped multi-identity one (issue "JEAN": "report both").

The paper trains JEAN for one person. Here, for each held-out SynthTalk identity, one of its
full sentences (spoken in all 22 emotion × intensity conditions) is the test set and its other
clips train a fresh transformer (the shipped model's config and loss options, `steps` steps).
Both models are then scored the same way on the test sentence, each with references fitted on
its own codes of the identity's training clips (kNN emotion, silhouette, intensity Spearman,
viseme / emotion probes). The multi-identity model has never seen the person; the
per-identity one has seen the person, not the sentence. Chance is the test sentence's most
frequent class (the best constant guess): one sentence may lack the training majority viseme.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

import numpy as np

from studio.errors import StudioError
from studio.nn.loop import set_seed
from studio.papers.jean.codes import expression_codes_of
from studio.papers.jean.data import load_data, split
from studio.papers.jean.metrics import CODE_SCORES, code_scores
from studio.papers.jean.model import Jean, load_with_card
from studio.papers.jean.train import (
    BATCH,
    ExpressionOptions,
    stage_config,
    train_expression_transformer,
)
from studio.paths import RUNS, default_corpus

log = logging.getLogger(__name__)
RUN_DIR = RUNS / "jean_per_identity"
STEPS = 600
QUICK_STEPS = 30
SCORES = CODE_SCORES


def identity_split(data, identity: int):
    """(train, test) JeanData of one identity: test = its last sentence that is spoken in
    every condition the identity has; train = all its other clips."""
    ident = data.column("identity_id")
    if not (ident == identity).any():
        raise StudioError(f"identity {identity} is not in the corpus")
    clips = [c for c in data.clips if c["identity_id"] == identity]
    conditions = {(c["emotion"], c["intensity"]) for c in clips}
    by_sentence: dict = {}
    for c in clips:
        by_sentence.setdefault(c["sentence_id"], set()).add((c["emotion"], c["intensity"]))
    full = sorted(s for s, conds in by_sentence.items() if conds == conditions)
    if len(by_sentence) < 2 or not full:
        raise StudioError(
            f"identity {identity} needs a sentence in every condition and another sentence "
            "to train on"
        )
    test_sentence = full[-1]
    sentence = data.column("sentence_id")
    mine = ident == identity
    return data.subset(mine & (sentence != test_sentence)), data.subset(
        mine & (sentence == test_sentence)
    )


def train_per_identity(shipped, train, options, steps: int, seed: int, out_dir: Path):
    """A fresh Jean with the shipped config whose expression transformer is trained on one
    identity's clips alone (its own feature normalisation too)."""
    set_seed(seed)
    model = Jean(shipped.config)
    model.expr.norm.fit(train.features)
    config = stage_config(steps, BATCH["expr"], 5e-4, seed, out_dir)
    train_expression_transformer(model.expr, train, options, config)
    return model.eval()


def score(model, train, test) -> dict:
    """The expression-code scores of `model` on one identity (references from `train`)."""
    lip_tr, expr_tr = expression_codes_of(model, train)
    lip_te, expr_te = expression_codes_of(model, test)
    s = code_scores(expr_tr, lip_tr, train, expr_te, lip_te, test, chance="test_majority")
    return {k: float(s[k]) for k in SCORES}


def compare(
    shipped,
    options,
    data,
    identities: list[int],
    steps: int = STEPS,
    seed: int = 0,
    run_dir: Path = RUN_DIR,
) -> dict:
    """Per identity: scores of the shipped (multi-identity) model and of a per-identity model,
    the per-identity training seconds; then the mean of each score over identities."""
    rows = {}
    for identity in identities:
        train, test = identity_split(data, identity)
        t0 = time.time()
        own = train_per_identity(shipped, train, options, steps, seed, run_dir / str(identity))
        seconds = time.time() - t0
        rows[identity] = {
            "multi_identity": score(shipped, train, test),
            "per_identity": score(own, train, test),
            "train_frames": len(train.viseme),
            "test_frames": len(test.viseme),
            "per_identity_train_seconds": round(seconds, 1),
        }
        log.info("identity %s: %s", identity, rows[identity])
    mean = {
        form: {k: float(np.nanmean([r[form][k] for r in rows.values()])) for k in SCORES}
        for form in ("multi_identity", "per_identity")
    }
    return {"identities": rows, "mean": mean}


def summary(result: dict) -> dict:
    """Flat metrics: the means of both forms and the derived bar quantities."""
    out = {}
    for form, m in result["mean"].items():
        for k, v in m.items():
            out[f"{form}.{k}"] = v
        out[f"{form}.viseme_from_expression_above_chance"] = (
            m["viseme_from_expression"] - m["chance_viseme"]
        )
        out[f"{form}.viseme_from_lip_over_chance"] = m["viseme_from_lip"] / m["chance_viseme"]
        out[f"{form}.emotion_from_lip_above_chance"] = m["emotion_from_lip"] - m["chance_emotion"]
    return out


def markdown_table(result: dict) -> str:
    cols = [k for k in SCORES if not k.startswith("chance")]
    lines = ["| form | " + " | ".join(cols) + " |", "|---" * (len(cols) + 1) + "|"]
    for form, m in result["mean"].items():
        lines.append(f"| {form} | " + " | ".join(f"{m[c]:.3f}" for c in cols) + " |")
    return "\n".join(lines)


def run(quick: bool = False, corpus: Path | None = None, steps: int | None = None) -> dict:
    shipped, card = load_with_card()
    options = ExpressionOptions.from_card(card)
    test = split(load_data(corpus or default_corpus()))["test"]
    identities = sorted({int(i) for i in test.column("identity_id")})
    if quick:
        identities = identities[:1]
    steps = steps or (QUICK_STEPS if quick else STEPS)
    result = compare(shipped, options, test, identities, steps)
    print(markdown_table(result))
    out = summary(result)
    out["identities"] = len(identities)
    out["per_identity_steps"] = steps
    out["per_identity_train_seconds_mean"] = float(
        np.mean([r["per_identity_train_seconds"] for r in result["identities"].values()])
    )
    out["options"] = str(options)
    out["details"] = {str(k): v for k, v in result["identities"].items()}
    return out
