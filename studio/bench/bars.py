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
            "logistic regression on tracked blendshapes (logits), held-out identities",
        ),
        Bar("jaw_energy_pearson_r", ">=", 0.5, "GT jawOpen vs audio energy over speech"),
    ),
    "evaluators": (
        Bar(
            "sync_expert/gt_offset_within_1",
            ">=",
            0.95,
            "sync expert: best offset 0 (±1) on GT clips",
        ),
        Bar(
            "sync_expert/shift_recovered_within_1",
            ">=",
            0.90,
            "sync expert finds shifts of ±3, ±6 frames (±1)",
        ),
        Bar(
            "emotion_classifier/accuracy_intensity3",
            ">=",
            0.95,
            "emotion classifier, intensity-3 frames",
        ),
        Bar("emotion_classifier/accuracy_all", ">=", 0.85, "emotion classifier, all intensities"),
        Bar("identity_embedder/eer", "<=", 0.05, "identity embedder verification EER"),
    ),
    "jean": (
        Bar("audio_lip_top1", ">=", 0.80, "audio → lip retrieval, 1 of 10 (same identity)"),
        Bar("knn5_emotion", ">=", 0.95, "expression code: 5-NN emotion accuracy"),
        Bar("silhouette_emotion", ">=", 0.3, "expression code: silhouette by emotion"),
        Bar("intensity_spearman", ">=", 0.8, "intensity ordered along neutral → emotion"),
        Bar(
            "viseme_from_expression_above_chance",
            "<=",
            0.10,
            "viseme probe from the expression code, points above chance",
        ),
        Bar("viseme_from_lip_over_chance", ">=", 3.0, "viseme probe from the lip code ÷ chance"),
        Bar(
            "emotion_from_lip_above_chance",
            "<=",
            0.10,
            "emotion probe from the lip code, points above chance",
        ),
        Bar("tsne_5000_seconds", "<=", 15.0, "t-SNE of 5,000 codes (s)"),
        Bar("slider_render_ms_median", "<=", 200.0, "interpolation slider re-render (ms)"),
    ),
}


def load_record(suite: str, folder: Path = RECORDS) -> dict | None:
    path = folder / f"{suite}.json"
    return json.loads(path.read_text()) if path.exists() else None


def available_suites(folder: Path = RECORDS) -> list[str]:
    return sorted(p.stem for p in folder.glob("*.json")) if folder.exists() else []
