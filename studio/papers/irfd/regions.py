"""Where the face, the eyes and the mouth are in each image of IRFD's set — from the rig, not a
tracker.

Why: G_d's plain self-reconstruction MSE is met by a blurred head with no eyes or mouth (they
are a few percent of a 128² crop; docs/IRFD.md), the same failure the talking NeRF had with its
mouth. Weighting those pixels in L_self (`face_weight`, `feature_weight`) is the NeRF's fix. The
set saves every image's factors, so each image's 478 landmarks are the person's rig posed and
projected exactly as the render did — without rasterising (≈ 0.2 s a person) — then moved into
the person's fixed crop. Computed once per set and cached.
"""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
from tqdm import tqdm

from studio.face.crop import crop_box
from studio.face.mesh import FACE_OVAL, LEFT_EYE_LOOP, OUTER_LIP_LOOP, RIGHT_EYE_LOOP
from studio.face.records import N_BLENDSHAPES
from studio.papers.irfd.imageset import (
    CROP_SCALE,
    MANIFEST,
    ImageSetConfig,
    crop_affine,
    face_values,
    person,
    set_pose6,
)
from studio.paths import CACHE, cache_key
from studio.speech import VISEMES
from studio.synth.emotions import EMOTIONS
from studio.synth.renderer import Camera, HeadRenderer

FEATURE_LOOPS = (LEFT_EYE_LOOP, RIGHT_EYE_LOOP, OUTER_LIP_LOOP)
FEATURE_MARGIN = 2  # pixels around the eyes and lips at 128²: the lids and the lips' edges


def person_landmarks(config: ImageSetConfig, identity_id: int, factors: dict[str, np.ndarray]
                     ) -> np.ndarray:  # fmt: skip
    """(n, 478, 2) crop-pixel landmarks of one person's images, given their saved factors
    (`emotion`, `viseme` as indices; `intensity`, `jaw`, `yaw`, `pitch`, `roll`)."""
    p = person(config, identity_id)
    head = HeadRenderer(p.look, config.render_size, proportions=p.proportions)
    camera = Camera(size=config.render_size)
    rest = camera.project(head.landmarks_3d(np.zeros(N_BLENDSHAPES, np.float32), np.zeros(6)))
    affine = crop_affine(crop_box(rest[:, :2], CROP_SCALE), config.size)
    out = np.empty((len(factors["yaw"]), 478, 2), np.float32)
    for i in range(len(out)):
        f = {
            "emotion": EMOTIONS[int(factors["emotion"][i])],
            "intensity": int(factors["intensity"][i]),
            "viseme": VISEMES[int(factors["viseme"][i])],
            "jaw": float(factors["jaw"][i]),
        }
        yaw = float(factors["yaw"][i])
        pose6 = set_pose6(yaw, factors["pitch"][i], factors["roll"][i])
        points = camera.project(head.landmarks_3d(face_values(f), pose6))[:, :2]
        out[i] = points @ affine[:, :2].T + affine[:, 2]
    return out


def set_landmarks(folder: str | Path, data: dict[str, np.ndarray], progress: bool = True
                  ) -> np.ndarray:  # fmt: skip
    """(N, 478, 2) landmarks of every image of a loaded set (`load_imageset(folder)`), in its
    order; cached by the set's manifest."""
    manifest = (Path(folder) / MANIFEST).read_text()
    path = CACHE / "irfd" / f"landmarks-{cache_key(manifest=manifest)}.npy"
    if path.exists():
        landmarks = np.load(path, allow_pickle=False)
        if len(landmarks) == len(data["identity"]):
            return landmarks
    config = ImageSetConfig(**{
        k: tuple(v) if isinstance(v, list) else v for k, v in json.loads(manifest)["config"].items()
    })  # fmt: skip
    out = np.empty((len(data["identity"]), 478, 2), np.float32)
    people = np.unique(data["identity"])
    for pid in tqdm(people, "landmarks of the IRFD set", disable=not progress):
        rows = np.flatnonzero(data["identity"] == pid)
        out[rows] = person_landmarks(config, int(pid), {k: data[k][rows] for k in
                                     ("emotion", "intensity", "viseme", "jaw", "yaw", "pitch",
                                      "roll")})  # fmt: skip
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.stem}.tmp.npy")
    np.save(tmp, out)
    tmp.replace(path)
    return out


def region_masks(landmarks: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
    """(n, size, size) uint8 masks of the face (inside the face oval) and of its features (the
    eyes and the lips, grown by FEATURE_MARGIN) for (n, 478, 2) crop-pixel landmarks."""
    n = len(landmarks)
    face = np.zeros((n, size, size), np.uint8)
    features = np.zeros((n, size, size), np.uint8)
    kernel = np.ones((2 * FEATURE_MARGIN + 1,) * 2, np.uint8)
    for k in range(n):
        points = np.round(landmarks[k]).astype(np.int32)
        cv2.fillPoly(face[k], [points[list(FACE_OVAL)]], 1)
        for loop in FEATURE_LOOPS:
            cv2.fillConvexPoly(features[k], cv2.convexHull(points[list(loop)]), 1)
        features[k] = cv2.dilate(features[k], kernel)
    return face, features


def pixel_weights(face: np.ndarray, features: np.ndarray, face_weight: float,
                  feature_weight: float) -> np.ndarray:  # fmt: skip
    """(n, 1, size, size) float32: 1 everywhere, + face_weight on the face, + feature_weight on
    its eyes and lips."""
    w = 1.0 + face_weight * face.astype(np.float32) + feature_weight * features.astype(np.float32)
    return w[:, None]
