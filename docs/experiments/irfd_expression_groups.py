"""Does G_d learn to draw an expression when it is shown what an expression changes? (docs/IRFD.md,
"Drawing the expression: groups that differ only in emotion".)

G_d's reconstructions carry no expression a judge can read (0.14, chance 0.125), although the
emotion code holds it (probe 0.906). Its L_self on random images weighs an expression's few
pixels against the whole blur. Here each training step also sees *expression groups*: K images
of one person that share the pose, light, background, viseme and jaw and differ only in emotion
and intensity (rendered from the set's world; a deviation — the paper has no paired data). On a
group, the per-pixel error e_k = G_d(E(x_k)) − x_k splits into its group mean (what every image
of the group gets wrong alike: the blur) and the rest, which is exactly the error on what the
expression changes: Σ_{k<l} ‖(G_k − G_l) − (x_k − x_l)‖² = K Σ_k ‖e_k − ē‖². The group term
weighs that rest `lam` more.

Run from the repository root: `PYTHONPATH=. python docs/experiments/irfd_expression_groups.py
control groups4` (≈ 4 min to render the groups, ≈ 8 to encode and judge the real groups once, then
19 min a variant here). Each variant starts from the shipped G_d, every encoder frozen (codes
encoded once), and trains G_d alone for STEPS steps of 32 set images + 8 groups of 4 at Adam 1e-4,
seed 0, the face-weighted L_self (1 + 4 on the face + 16 on the eyes and lips) on all 64; `control`
has lam = 0, so the two differ only in the group term. Scored every 100 steps on held-out people:
PSNR of 240 set images, and on one group of the 8 emotions (intensity 3) per held-out person how
far G_d's change between two emotions matches the true change (correlation of the |Δ| maps; their
mean size); at the end the tracked emotion judge reads the groups' reconstructions (its read of the
real images is the ceiling). Writes /tmp/irfd_expression_groups_<variant>.json and the last G_d
(.safetensors) beside it.
"""

import copy
import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from safetensors.torch import save_file

from studio.papers.irfd.codes import load_irfd, to_tensor
from studio.papers.irfd.imageset import (
    ImageSetConfig,
    PersonRig,
    draw_factors,
    face_values,
    load_imageset,
    render_in_processes,
    set_pose6,
)
from studio.papers.irfd.regions import person_landmarks, region_masks, set_landmarks
from studio.papers.jean.tracked_emotion_judge import load_judge, still_features
from studio.speech import VISEMES
from studio.synth.clip import sample_scene
from studio.synth.emotions import EMOTIONS

SET = Path("data/irfd-set")
GROUPS = Path("data/irfd-expression-groups")
OUT = Path("/tmp")
LAMBDAS = {"control": 0.0, "groups4": 4.0, "groups16": 16.0}
STEPS, BATCH, GROUP_BATCH, K = 300, 32, 8, 4
TRAIN_PEOPLE, HELD_OUT = range(0, 1000), range(1000, 1100)
FACE_WEIGHT, FEATURE_WEIGHT = 4.0, 16.0


def render_group(config: ImageSetConfig, identity_id: int, emotions: list[str], seed: int
                 ) -> dict[str, np.ndarray]:  # fmt: skip
    """One person's images that share every factor but the emotion (and its intensity:
    random 1–3 on training groups, 3 on held-out ones: `seed` < 0)."""
    rig = PersonRig(config, identity_id)
    rng = np.random.default_rng([config.seed, 99, identity_id, abs(seed)])
    shared = draw_factors(rng, config)
    _, light, background = sample_scene(rng, config.render_size)
    pose6 = set_pose6(shared["yaw"], shared["pitch"], shared["roll"])
    rows: dict[str, list] = {k: [] for k in ("images", "emotion", "intensity")}
    for emotion in emotions:
        intensity = 1 if emotion == "neutral" else (3 if seed < 0 else int(rng.integers(1, 4)))
        f = dict(shared, emotion=emotion, intensity=intensity)
        rows["images"].append(rig.draw(face_values(f), pose6, light, background)[0])
        rows["emotion"].append(EMOTIONS.index(emotion))
        rows["intensity"].append(intensity)
    n = len(emotions)
    out = {k: np.asarray(v) for k, v in rows.items()}
    out["identity"] = np.full(n, identity_id)
    out["viseme"] = np.full(n, VISEMES.index(shared["viseme"]))
    for k in ("jaw", "yaw", "pitch", "roll"):
        out[k] = np.full(n, shared[k])
    out["landmarks"] = person_landmarks(config, identity_id, out)
    return out


def _render_people(args: tuple[list[int], str]) -> str:
    ids, path = args
    config = ImageSetConfig()
    parts = []
    for pid in ids:
        if pid in HELD_OUT:
            parts.append(render_group(config, pid, list(EMOTIONS), -1))
        else:
            rng = np.random.default_rng([pid, 5])
            parts.append(render_group(config, pid, list(rng.choice(EMOTIONS, K, False)), 1))
    np.savez(path, **{k: np.concatenate([p[k] for p in parts]) for k in parts[0]})
    return path


def groups() -> dict[str, np.ndarray]:
    """Every training person's group of K and every held-out person's group of 8 (cached)."""
    GROUPS.mkdir(parents=True, exist_ok=True)
    ids = [*TRAIN_PEOPLE, *HELD_OUT]
    chunks = [ids[i : i + 50] for i in range(0, len(ids), 50)]
    todo = [(c, str(GROUPS / f"chunk_{k:03d}.npz")) for k, c in enumerate(chunks)
            if not (GROUPS / f"chunk_{k:03d}.npz").exists()]  # fmt: skip
    render_in_processes(_render_people, todo)
    parts = []
    for k in range(len(chunks)):
        with np.load(GROUPS / f"chunk_{k:03d}.npz") as z:
            parts.append({key: z[key] for key in z.files})
    return {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}


def encode_all(model, images: np.ndarray) -> list[torch.Tensor]:
    with torch.no_grad():
        parts = [model.encode(to_tensor(images[i : i + 256])) for i in range(0, len(images), 256)]
    return [torch.cat([p[k] for p in parts]) for k in range(3)]


def weights(landmarks: np.ndarray) -> torch.Tensor:
    face, features = region_masks(landmarks, 128)
    w = 1 + FACE_WEIGHT * face.astype(np.float32) + FEATURE_WEIGHT * features.astype(np.float32)
    return torch.as_tensor(w[:, None])


def change_scores(drawn: np.ndarray, truth: np.ndarray) -> dict[str, float]:
    """(P, 8, S, S, 3) in [0, 1]: per person and pair of emotions, the correlation of G_d's |Δ|
    map with the truth's over the pixels the truth changes, and the mean |Δ| there (0–255)."""
    cors, size_g, size_t = [], [], []
    for g, t in zip(drawn, truth, strict=True):
        dg = np.abs(g[:, None] - g[None]).mean(-1)
        dt = np.abs(t[:, None] - t[None]).mean(-1)
        where = dt.max((0, 1)) > 2 / 255
        for a in range(8):
            for b in range(a + 1, 8):
                x, y = dt[a, b][where], dg[a, b][where]
                cors.append(np.corrcoef(x, y)[0, 1])
                size_t.append(x.mean() * 255)
                size_g.append(y.mean() * 255)
    return {"change_corr": float(np.nanmean(cors)), "change_size": float(np.mean(size_g)),
            "true_change_size": float(np.mean(size_t))}  # fmt: skip


def judge_read(images: np.ndarray, emotion: np.ndarray) -> dict[str, float]:
    judge = load_judge()
    features, found = still_features(images)
    read = judge.predict(features[found])
    return {
        "judge_emotion": float((read == emotion[found]).mean()),
        "judge_found": float(found.mean()),
    }


@dataclass
class Setup:
    """Everything a G_d-only run here needs, encoded once by the shipped encoders."""

    data: dict  # the set
    landmarks: np.ndarray  # the set's (`regions.set_landmarks`)
    grp: dict  # the expression groups (`groups`)
    model: torch.nn.Module  # the shipped IRFD
    codes: list[torch.Tensor]  # the set's identity, emotion, pose codes
    gcodes: list[torch.Tensor]  # the groups'
    train_rows: np.ndarray  # the set's training images
    held: np.ndarray  # 240 held-out set images (every tenth)
    held_g: np.ndarray  # the held-out groups' rows: 8 per person, in EMOTIONS order
    int3: np.ndarray  # which of held_g are at intensity 3

    @property
    def truth(self) -> np.ndarray:
        return self.data["images"][self.held] / 255.0

    @property
    def truth_g(self) -> np.ndarray:
        return (self.grp["images"][self.held_g] / 255.0).reshape(-1, 8, 128, 128, 3)


def prepare() -> Setup:
    data = load_imageset(SET)
    grp = groups()
    model = load_irfd()
    held_g = np.flatnonzero(np.isin(grp["identity"], list(HELD_OUT)))
    return Setup(
        data, set_landmarks(SET, data), grp, model, encode_all(model, data["images"]),
        encode_all(model, grp["images"]), np.flatnonzero(~data["held_out"]),
        np.flatnonzero(data["held_out"])[::10], held_g, grp["intensity"][held_g] == 3,
    )  # fmt: skip


def scores(g: torch.nn.Module, s: Setup) -> tuple[dict, np.ndarray, np.ndarray]:
    """G_d's held-out PSNR and `change_scores` on the held-out groups, and its reconstructions
    of the held-out set images and of the held-out groups, (N, S, S, 3) in [0, 1]."""
    g.eval()
    with torch.no_grad():
        rec = g(*(c[s.held] for c in s.codes)).permute(0, 2, 3, 1).numpy()
        rec_g = g(*(c[s.held_g] for c in s.gcodes)).permute(0, 2, 3, 1).numpy()
    g.train()
    psnr = float(np.mean(-10 * np.log10(((rec - s.truth) ** 2).mean((1, 2, 3)))))
    return {"psnr": psnr, **change_scores(rec_g.reshape(s.truth_g.shape), s.truth_g)}, rec, rec_g


def main(variants: list[str]) -> None:
    s = prepare()
    data, grp, model = s.data, s.grp, s.model
    held_g, int3 = s.held_g, s.int3
    starts = np.flatnonzero(~np.isin(grp["identity"], list(HELD_OUT)))[::K]  # groups' first rows
    out_path = OUT / "irfd_expression_groups_real.json"
    if not out_path.exists():
        out_path.write_text(json.dumps(judge_read(grp["images"][held_g][int3],
                                                  grp["emotion"][held_g][int3])))  # fmt: skip
    print("real groups:", out_path.read_text(), flush=True)
    shipped_path = OUT / "irfd_expression_groups_shipped.json"
    if not shipped_path.exists():
        with torch.no_grad():
            rec = model.generator(*(c[held_g][int3] for c in s.gcodes)).permute(0, 2, 3, 1).numpy()
        shipped_path.write_text(json.dumps(judge_read((rec * 255 + 0.5).astype(np.uint8),
                                                      grp["emotion"][held_g][int3])))  # fmt: skip
    print("shipped G_d on the groups:", shipped_path.read_text(), flush=True)
    for variant in variants:
        lam = LAMBDAS[variant]
        torch.manual_seed(0)
        rng = np.random.default_rng(0)
        g = copy.deepcopy(model.generator).train()
        opt = torch.optim.Adam(g.parameters(), lr=1e-4)

        start, log = time.time(), [{"step": 0, **scores(g, s)[0]}]
        print(variant, log[-1], flush=True)
        for step in range(1, STEPS + 1):
            rows = rng.choice(s.train_rows, BATCH)
            group_rows = (rng.choice(starts, GROUP_BATCH)[:, None] + np.arange(K)).ravel()
            x = torch.cat([to_tensor(data["images"][rows]), to_tensor(grp["images"][group_rows])])
            w = torch.cat([weights(s.landmarks[rows]), weights(grp["landmarks"][group_rows])])
            c = [
                torch.cat([a[rows], b[group_rows]]) for a, b in zip(s.codes, s.gcodes, strict=True)
            ]
            err = g(*c) - x
            self_term = (w * err.pow(2)).mean() / w.mean()
            e = err[BATCH:].reshape(GROUP_BATCH, K, *err.shape[1:])
            wg = w[BATCH:].reshape(GROUP_BATCH, K, *w.shape[1:])
            group_term = (wg * (e - e.mean(1, keepdim=True)).pow(2)).mean() / wg.mean()
            loss = self_term + lam * group_term
            opt.zero_grad()
            loss.backward()
            opt.step()
            if step % 100 == 0 or step == STEPS:
                scored, _, rec_g = scores(g, s)
                terms = {"self": self_term.item(), "group": group_term.item()}
                log.append({"step": step, "seconds": round(time.time() - start), **terms, **scored})
                print(variant, log[-1], flush=True)
        log.append(judge_read((rec_g[int3] * 255 + 0.5).astype(np.uint8),
                              grp["emotion"][held_g][int3]))  # fmt: skip
        print(variant, log[-1], flush=True)
        np.save(OUT / f"irfd_expression_groups_{variant}.npy", (rec_g[:16] * 255).astype(np.uint8))
        save_file(
            {k: v.contiguous() for k, v in g.state_dict().items()},
            str(OUT / f"irfd_expression_groups_{variant}.safetensors"),
        )
        (OUT / f"irfd_expression_groups_{variant}.json").write_text(json.dumps(log, indent=1))


if __name__ == "__main__":
    main(sys.argv[1:] or ["control", "groups4"])
