"""IRFD's identity, emotion and pose codes as a bank for the t-SNE explorer: the held-out people
of IRFD's image set (re-rendered exactly), each image labelled with its identity, emotion,
intensity and yaw — and a user's face source through the same encoders.

Each image is its own "clip" for the explorer's k-NN folds, so a person's other images vote on
it: k-NN identity from the identity code is then the verification-style score it should be.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from studio.data.code_bank import CodeBank
from studio.nn.checkpoints import load_card
from studio.papers.irfd.codes import FACTOR_CODES, encode, load_irfd
from studio.papers.irfd.model import NAME
from studio.papers.irfd.sources import HELD_OUT_IDS, crop_source, held_out_person
from studio.paths import ASSETS, CACHE, cache_key

YAW_EDGES = (-20.0, -7.5, 7.5, 20.0)  # bins: left / slightly left / frontal / ... (degrees)
YAW_NAMES = ("yaw < −20°", "yaw −20…−7.5°", "yaw ±7.5°", "yaw 7.5…20°", "yaw > 20°")
SCORED_LABELS = ("identity", "emotion", "yaw")
COLOUR_BY = ("identity", "emotion", "intensity", "yaw")
USER_FRAMES = 100  # a user clip's first frames that join the map


def yaw_bin(yaw: float) -> str:
    return YAW_NAMES[int(np.searchsorted(YAW_EDGES, yaw))]


def _key() -> str:
    """The codes depend on the encoders only: a card that names their fingerprint keys the bank
    by it (a new G_d keeps the bank), an older card by its file's sha256."""
    card = load_card(NAME)
    encoders = card.get("encoders_sha256") or card.get("sha256", "")
    return cache_key(what="irfd-bank", irfd=encoders, ids=HELD_OUT_IDS)


def shipped_path() -> Path:
    """assets/irfd_bank-<key>.npz: the bank of the shipped checkpoint (the key names it)."""
    return ASSETS / f"irfd_bank-{_key()}.npz"


def held_out_bank(progress=None) -> CodeBank:
    """Codes of every held-out person's images (100 × 8): shipped for the shipped checkpoint,
    else computed once (≈ 1 CPU-minute) and cached."""
    key = _key()
    for path in (shipped_path(), CACHE / "irfd" / f"bank-{key}.npz"):
        if path.exists():
            return CodeBank.load(path)
    model = load_irfd()
    codes: dict[str, list[np.ndarray]] = {c: [] for c in FACTOR_CODES}
    labels: dict[str, list] = {k: [] for k in ("emotion", "intensity", "identity", "yaw")}
    labels.update(sentence=[], clip_id=[], frame=[], source=[])
    for n, person_id in enumerate(HELD_OUT_IDS):
        person = held_out_person(person_id)
        encoded = encode(model, person.images)
        for c in FACTOR_CODES:
            codes[c].append(encoded.get(c))
        for k, f in enumerate(person.factors):
            labels["emotion"].append(f["emotion"])
            labels["intensity"].append(str(f["intensity"]))
            labels["identity"].append(str(person_id))
            labels["yaw"].append(yaw_bin(f["yaw"]))
            labels["sentence"].append("—")
            labels["clip_id"].append(f"irfd:{person_id}:{k}")
            labels["frame"].append(k)
            labels["source"].append("irfd")
        if progress is not None:
            progress(n + 1, len(HELD_OUT_IDS))
    bank = CodeBank(
        {c: np.concatenate(v).astype(np.float32) for c, v in codes.items()},
        {k: np.asarray(v) for k, v in labels.items()},
    )
    bank.save(path)
    return bank


def ship_bank() -> Path:
    """Write assets/irfd_bank-<key>.npz (older shipped IRFD banks removed)."""
    bank = held_out_bank()
    for old in ASSETS.glob("irfd_bank-*.npz"):
        old.unlink()
    bank.save(shipped_path())
    return shipped_path()


def user_irfd_bank(source, label: str = "your clip") -> CodeBank:
    """A user's face source (image or clip: its first USER_FRAMES frames) as IRFD codes."""
    crops = crop_source(source, max_frames=USER_FRAMES)
    encoded = encode(load_irfd(), crops.images)
    n = len(crops.images)
    return CodeBank(
        {c: encoded.get(c).astype(np.float32) for c in FACTOR_CODES},
        {
            "emotion": np.array([label] * n),
            "intensity": np.array(["—"] * n),
            "identity": np.array([label] * n),
            "yaw": np.array([label] * n),
            "sentence": np.array([label] * n),
            "clip_id": np.array([f"user:{source.name}"] * n),
            "frame": np.arange(n),
            "source": np.array(["user"] * n),
        },
    )


def point_image(bank: CodeBank, i: int, source=None) -> np.ndarray:
    """The crop behind point i: a held-out person's image, or the user's frame's crop."""
    p = bank.point(i)
    if p["source"] == "user":
        return crop_source(source, frame=int(p["frame"])).images[0]
    return held_out_person(int(p["identity"])).images[int(p["frame"])]
