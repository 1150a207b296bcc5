"""What do the swap bars' judges read on a *perfect* swap, and on a perfect swap as blurred as G_d's
output? (docs/IRFD.md, "A perfect swap, read by the bar's judges".)

The set's world can render any person with any factors, so the true swap of the bench's triple
(A, B, C) exists: person A with B's emotion, intensity, viseme and jaw, and C's yaw, pitch and
roll, C's light direction and background (the set saves no light strength: ambient 0.425 and
diffuse 0.6, the middle of the set's draws). The bench's judges (tracker, emotion classifier,
identity embedder, and the tracked emotion judge) read these on the bench's 500 triples of
held-out people, then read them again under Gaussian blurs whose PSNR against the sharp truth
spans G_d's (23.15 dB on the shipped model): the ceiling of each swap bar at a given sharpness.

Run from the repository root: `PYTHONPATH=. python docs/experiments/irfd_swap_oracle.py
--json docs/benchmarks/irfd_swap_oracle.json` (7 min alone on 2 cores).
"""

import argparse
import json
from pathlib import Path

import cv2
import numpy as np

from studio.papers.irfd import bench
from studio.papers.irfd.imageset import ImageSetConfig, PersonRig, face_values, set_pose6
from studio.papers.jean.tracked_emotion_judge import load_judge, still_features
from studio.speech import VISEMES
from studio.synth.emotions import EMOTIONS
from studio.synth.renderer import Light

N = 500
BLURS = (0.0, 1.0, 2.0, 3.0, 4.0)  # Gaussian sigma, pixels at 128²


def render_swap(config: ImageSetConfig, held: dict, a: int, b: int, c: int) -> np.ndarray:
    """Person A drawn with B's expression and mouth, C's head pose, light and background."""
    rig = PersonRig(config, int(held["identity"][a]))
    f = {
        "emotion": EMOTIONS[int(held["emotion"][b])],
        "intensity": int(held["intensity"][b]),
        "viseme": VISEMES[int(held["viseme"][b])],
        "jaw": float(held["jaw"][b]),
    }
    pose6 = set_pose6(float(held["yaw"][c]), held["pitch"][c], held["roll"][c])
    light = Light(direction=held["light"][c].astype(np.float32), ambient=0.425, diffuse=0.6,
                  colour=(1.0, 1.0, 1.0))  # fmt: skip
    return rig.draw(face_values(f), pose6, light, held["background"][c])[0]


def blur(images: np.ndarray, sigma: float) -> np.ndarray:
    if sigma == 0:
        return images
    return np.stack([cv2.GaussianBlur(x, (0, 0), sigma) for x in images])


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    err = ((a.astype(np.float64) - b) / 255.0) ** 2
    return float(np.mean(-10 * np.log10(np.maximum(err.mean((1, 2, 3)), 1e-10))))


def read(judges: bench.Judges, tracked_judge, held: dict, triples: np.ndarray, proto: dict,
         c_pose: np.ndarray, c_found: np.ndarray, images: np.ndarray) -> dict:  # fmt: skip
    """The bench's swap rows (`bench.swaps`) and the tracked judge's, for these swap images."""
    a, b, c = triples.T
    trio = held["identity"][triples]
    found, lms, pose = judges.track(images)
    both = found & c_found
    emotion = judges.emotions(images[found], lms[found])
    have = np.array([all(int(p) in proto for p in row) for row in trio]) & found
    nearest = bench._nearest_of_three(judges.embed(images[have], lms[have]), trio[have], proto)
    features, t_found = still_features(images)
    t_read = tracked_judge.predict(features[t_found])
    return {
        "tracked_rate": float(found.mean()),
        "yaw_error_deg": float(np.abs(pose[both, 0] - c_pose[both, 0]).mean()),
        "pitch_error_deg": float(np.abs(pose[both, 1] - c_pose[both, 1]).mean()),
        "emotion_agreement_int3": float((emotion == held["emotion"][b[found]]).mean()),
        "identity_nearest_a": float((nearest == 0).mean()),
        "identity_nearest_c": float((nearest == 2).mean()),
        "tracked_judge_emotion_int3": float((t_read == held["emotion"][b[t_found]]).mean()),
        "tracked_judge_rate": float(t_found.mean()),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    data = bench._image_set()
    _, held = bench.split(data, False)
    triples = bench.swap_triples(held, N)  # the bench's own triples
    config = ImageSetConfig()
    truth = np.stack([render_swap(config, held, *t) for t in triples])
    judges = bench.Judges()
    proto = bench._prototypes(judges, held, np.unique(held["identity"][triples]))
    c_found, _, c_pose = judges.track(held["images"][triples[:, 2]])
    tracked_judge = load_judge()
    rows = {}
    for sigma in BLURS:
        images = blur(truth, sigma)
        rows[f"sigma_{sigma:g}"] = {"psnr_vs_sharp": psnr(images, truth) if sigma else None,
                                    **read(judges, tracked_judge, held, triples, proto, c_pose,
                                           c_found, images)}  # fmt: skip
        print(sigma, rows[f"sigma_{sigma:g}"], flush=True)
    if args.json:
        args.json.write_text(json.dumps({"triples": N, "rows": rows}, indent=1) + "\n")


if __name__ == "__main__":
    main()
