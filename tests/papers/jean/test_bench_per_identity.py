"""The per-identity JEAN comparison on the tiny corpus (a tiny model, a few steps)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch

from studio.errors import StudioError


def _one_person_three_sentences(data):
    """The tiny corpus has three identities with one sentence each (neutral + happy): call
    them one person who spoke three sentences, which is the shape the comparison needs."""
    clips = [{**c, "identity_id": 7, "sentence_id": int(c["identity_id"])} for c in data.clips]
    return dataclasses.replace(data, clips=clips)


def test_identity_split_holds_out_a_whole_sentence_and_refuses_one_sentence_people():
    from studio.papers.jean.bench_per_identity import identity_split
    from tests.papers.jean.tiny import tiny_jean

    _, _, data, _, _ = tiny_jean()
    person = _one_person_three_sentences(data)
    train, test = identity_split(person, 7)
    train_sentences = set(train.column("sentence_id"))
    test_sentences = set(test.column("sentence_id"))
    assert test_sentences == {2} and train_sentences == {0, 1}
    assert len(train.viseme) + len(test.viseme) == len(person.viseme)
    with pytest.raises(StudioError, match="another sentence"):
        identity_split(data, 0)  # one sentence only: nothing to hold out
    with pytest.raises(StudioError, match="not in the corpus"):
        identity_split(data, 123)


def test_comparison_trains_a_separate_model_and_scores_both_forms(tmp_path):
    from studio.papers.jean.bench_per_identity import compare, markdown_table, summary
    from studio.papers.jean.train import ExpressionOptions
    from tests.papers.jean.tiny import tiny_jean

    shipped, _, data, _, _ = tiny_jean()
    before = {k: v.clone() for k, v in shipped.expr.state_dict().items()}
    person = _one_person_three_sentences(data)
    options = ExpressionOptions(other_time=True, lip_consistency=0.5, expr_consistency=0.5)
    result = compare(shipped, options, person, [7], steps=6, run_dir=tmp_path)

    row = result["identities"][7]
    for form in ("multi_identity", "per_identity"):
        for key in ("knn5_emotion", "viseme_from_lip", "emotion_from_lip", "chance_viseme"):
            assert 0.0 <= row[form][key] <= 1.0
    assert row["multi_identity"] != row["per_identity"]  # two different encoders were scored
    assert (tmp_path / "7" / "log.jsonl").exists()  # the per-identity model really trained
    after = shipped.expr.state_dict()
    assert all(torch.equal(before[k], after[k]) for k in before)  # the shipped one untouched
    flat = summary(result)
    chance = row["per_identity"]["chance_viseme"]
    assert chance > 0  # the test sentence's own majority viseme: never absent from it
    expected = row["per_identity"]["viseme_from_lip"] / chance
    assert np.isclose(flat["per_identity.viseme_from_lip_over_chance"], expected)
    assert np.isclose(
        flat["multi_identity.emotion_from_lip_above_chance"],
        row["multi_identity"]["emotion_from_lip"] - row["multi_identity"]["chance_emotion"],
    )
    assert "| per_identity |" in markdown_table(result)


def test_expression_options_come_from_the_card():
    from studio.papers.jean.train import ExpressionOptions

    card = {
        "training": {
            "expression_transformer_options": {
                "other_time": True,
                "lip_consistency": 0.5,
                "future_option": 1.0,
            }
        }
    }
    options = ExpressionOptions.from_card(card)
    assert options.other_time and options.lip_consistency == 0.5 and options.expr_contrast == 0
    assert ExpressionOptions.from_card({}) == ExpressionOptions()
