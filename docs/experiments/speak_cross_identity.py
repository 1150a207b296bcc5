"""SPEAK driven across people: whose face, whose pose, whose mouth? (docs/IRFD.md, "Driving one
person with another's clip".)

Run from the repository root (the held-out SPEAK clips built, 2.3 min alone on 2 cores):
`PYTHONPATH=. python docs/experiments/speak_cross_identity.py --json
docs/benchmarks/speak_cross_identity.json`

The bench drives every held-out clip with its own first frame (the paper's protocol). Here clip
i's audio, pose and emotion drive clip i+1's person (the identity frame: its first frame), for
the 20 held-out clips (20 people). Rows, each against the driver's true clip:
- self: the bench's SPEAK video (identity frame from the driver's own clip);
- cross: SPEAK with the other person's identity frame;
- cross, G_d: IRFD's swap with the same codes and no audio (SPEAK at step 0).
Columns: the set judge (`checkpoints/irfd_judge`, trained on the image set's training people)
reads each frame's identity — the share of frames nearer the identity source's prototype than
the other person's (prototypes: the mean embedding of each person's true clip frames) — and its
yaw / pitch, compared with its reading of the driver's true frames; the sync expert's LSE-C on
the driver's audio (mouths cut at the driver's true landmarks: the crops are each person's fixed
FOMM box, so the mouth sits where the driver's does when the pose follows); the MediaPipe
tracker's mouth-opening r against the driver's true mouth, and the share of frames it finds a
face in.
"""

import argparse
import json
from pathlib import Path

import numpy as np

from studio.evaluators.sync_expert.model import load as load_sync
from studio.evaluators.sync_expert.model import lse
from studio.face.tracker import track_frames
from studio.papers.irfd.codes import generate as irfd_generate
from studio.papers.irfd.judge import load_judge
from studio.papers.irfd.speak.bench import DEFAULT_SET, _upscale, score
from studio.papers.irfd.speak.clipset import load_clipset
from studio.papers.irfd.speak.data import driving_codes
from studio.papers.irfd.speak.drive import drive, load_speak


def unit(x: np.ndarray) -> np.ndarray:
    return x / np.linalg.norm(x)


def main(out: Path | None, n: int | None = None) -> dict:
    model, judge, sync = load_speak(), load_judge(), load_sync()
    clips = load_clipset(DEFAULT_SET, held_out=True)[:n]
    readings = [judge.read(c.frames) for c in clips]
    proto = [unit(r.embedding.mean(0)) for r in readings]
    rows: dict[str, list[dict]] = {"self": [], "cross": [], "cross_gd": []}
    for i, driver in enumerate(clips):
        j = (i + 1) % len(clips)  # the identity source of the cross rows
        source = clips[j].frames[0]
        identity, emotion, pose = driving_codes(model.irfd, source, driver.frames)
        ident = np.repeat(identity[None], len(driver), 0)
        videos = {
            "self": (i, j, drive(model, driver.frames[0], driver.audio, driver.frames)),
            "cross": (j, i, drive(model, source, driver.audio, driver.frames)),
            "cross_gd": (j, i, irfd_generate(model.irfd, ident, emotion, pose)),
        }
        truth = track_frames(list(_upscale(driver.frames)), 25.0)
        for name, (own, other, frames) in videos.items():
            read = judge.read(frames)
            angle_error = np.abs(read.angles - readings[i].angles).mean(0)
            nearer = read.embedding @ proto[own] > read.embedding @ proto[other]
            # the bench's own columns; of them only these three mean the same across people
            table_1 = score(frames, driver, truth, sync)
            rows[name].append({
                "identity_nearer_source": float(nearer.mean()),
                "judge_yaw_error_deg": float(angle_error[0]),
                "judge_pitch_error_deg": float(angle_error[1]),
                **{k: table_1[k] for k in ("lse_c", "mouth_open_r", "face_found")},
            })  # fmt: skip
        print(i, {k: round(v, 3) for k, v in rows["cross"][-1].items()}, flush=True)
    truth_lse = float(np.mean([lse(c.frames, c.audio, sync, landmarks=c.landmarks).lse_c
                               for c in clips]))  # fmt: skip
    result = {"clips": len(clips), "frames": int(sum(map(len, clips))),
              "ground_truth_lse_c": truth_lse}  # fmt: skip
    for name, per_clip in rows.items():
        for key in per_clip[0]:
            result[f"{name}.{key}"] = float(np.nanmean([r[key] for r in per_clip]))
    print(json.dumps(result, indent=1))
    if out is not None:
        out.write_text(json.dumps(result, indent=1) + "\n")
    return result


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument("--clips", type=int, default=None, help="the first N clips (a check)")
    args = parser.parse_args()
    main(args.json, args.clips)
