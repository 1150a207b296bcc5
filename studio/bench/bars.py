"""The acceptance bars of the issues, next to which measured numbers are shown.

Each bar is (metric name in a suite's record, comparison, threshold, what it stands for).
"""

from __future__ import annotations

import json
import operator
from dataclasses import dataclass
from pathlib import Path

RECORDS = Path(__file__).resolve().parents[2] / "docs" / "benchmarks"


@dataclass(frozen=True)
class Bar:
    metric: str
    op: str  # ">=" or "<="
    threshold: float
    meaning: str

    def met(self, value: float) -> bool:
        return {">=": operator.ge, "<=": operator.le}[self.op](value, self.threshold)


BARS: dict[str, tuple[Bar, ...]] = {
    "synthtalk": (
        Bar("tracker_detection_rate", ">=", 0.99, "tracker finds the face (1,000 frames, views)"),
        Bar("jawOpen_pearson_r", ">=", 0.85, "tracked vs GT jawOpen"),
        Bar("yaw_mae_deg", "<=", 3.0, "tracked vs GT yaw (°)"),
        Bar("pitch_mae_deg", "<=", 3.0, "tracked vs GT pitch (°)"),
        Bar(
            "emotion_probe_accuracy_held_out",
            ">=",
            0.90,
            "logistic regression on tracked blendshapes, held-out identities",
        ),
        Bar("jaw_energy_pearson_r", ">=", 0.5, "GT jawOpen vs audio energy over speech"),
    ),
    "evaluators": (
        Bar("sync_expert/gt_offset_within_1", ">=", 0.95,
            "sync expert: best offset 0 (±1) on GT clips"),
        Bar("sync_expert/shift_recovered_within_1", ">=", 0.90,
            "sync expert finds shifts of ±3, ±6 frames (±1)"),
        Bar("emotion_classifier/accuracy_intensity3", ">=", 0.95,
            "emotion classifier, intensity-3 frames"),
        Bar("emotion_classifier/accuracy_all", ">=", 0.85, "emotion classifier, all intensities"),
        Bar("identity_embedder/eer", "<=", 0.05, "identity embedder verification EER"),
    ),
}


def load_record(suite: str, folder: Path = RECORDS) -> dict | None:
    path = folder / f"{suite}.json"
    return json.loads(path.read_text()) if path.exists() else None


def available_suites(folder: Path = RECORDS) -> list[str]:
    return sorted(p.stem for p in folder.glob("*.json")) if folder.exists() else []
