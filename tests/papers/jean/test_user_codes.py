"""JEAN's codes of a user's face (MediaPipe's read of a real photo, not the rig's GT)."""

from pathlib import Path

import numpy as np
import pytest

from studio.face.records import BLENDSHAPE_NAMES
from studio.papers.jean.codes import corpus_bank, face_source_codes
from studio.papers.jean.interpolation import expression_code_of_label
from studio.papers.jean.model import load
from studio.sources import load_face_source
from studio.synth.emotions import EMOTIONS

ROOT = Path(__file__).resolve().parents[3]


def test_a_tracked_smile_decodes_to_a_smile_not_a_grimace():
    """The example portrait smiles. Before channels that never moved in training were held
    at their training value, its code had a norm of ≈ 30,900 (the bank's ≈ 22) and decoded to
    22 of 51 blendshapes at ≥ 0.99 — a grimace."""
    if not (ROOT / "checkpoints" / "jean.safetensors").exists():
        pytest.skip("no JEAN checkpoint")
    model = load()
    photo = load_face_source(ROOT / "assets" / "portrait.jpg", role="emotion source")
    codes = face_source_codes(model, photo.track)  # through the tracked-input encoder if shipped
    assert np.linalg.norm(codes["expression"][0]) < 60
    decoded = model.decode_blendshapes(codes["lip"], codes["expression"])[0]
    saturated = {BLENDSHAPE_NAMES[i] for i in np.flatnonzero(decoded >= 0.99)}
    assert saturated <= {"mouthSmileLeft", "mouthSmileRight"}
    top = [BLENDSHAPE_NAMES[i] for i in np.argsort(decoded)[::-1][:2]]
    assert set(top) == {"mouthSmileLeft", "mouthSmileRight"}
    bank = corpus_bank(max_points=2000)
    dist = {
        e: np.linalg.norm(codes["expression"][0] - expression_code_of_label(bank, e))
        for e in EMOTIONS
    }
    assert min(dist, key=dist.get) == "happy"  # the nearest emotion of the bank
