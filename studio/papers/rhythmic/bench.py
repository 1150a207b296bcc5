"""`python -m studio.bench headmotion [--quick]`: the Rhythmic Head Motion issue's bars on
held-out SynthTalk identities (all their clips; a reference is another clip of the same person).

Head motion (rotation channels, degrees): diversity (std over time) and beat alignment
(Bailando's BA against the audio's onsets) of the predicted motion ÷ the ground truth's; style:
each predicted clip's motion statistics [mean, std, mean Δ, std Δ] are nearest to its own
person's (mean over their other clips) among the held-out people; the ablation without the
reference encoder (same recipe and steps, trained here) and two baselines (still; the
reference's motion replayed). Audio → face: jawOpen correlation of the predicted mouth with the
articulation the corpus drew, M-LMD (lip loops of the rig at rest pose, cm), for the log-mel
input and for JEAN audio codes (the latter trained here). Talking clips rendered by Talk (with
the clip's emotion, the predicted mouth and motion): LSE-C ÷ the ground-truth clips', the
emotion classifier at intensity 3, and the paper's Table 1 metrics (LMD, CSIM, SSIM; FID not
measured: no Inception weights offline) with the clip's own pose so frames line up. Speed:
seconds of 256² video per second of compute, text to mp4.
"""

from __future__ import annotations

import logging
import tempfile
import time
from pathlib import Path

import numpy as np

from studio.data.frames import ClipFrames, every_nth_clip
from studio.eval.images import ssim
from studio.eval.motion import audio_beats, beat_alignment, diversity, motion_statistics
from studio.eval.sync import sync_scores
from studio.evaluators.emotion_classifier.model import load as load_emotion
from studio.evaluators.identity_embedder.model import csim_crops
from studio.evaluators.identity_embedder.model import load as load_identity
from studio.evaluators.sync_expert.model import clip_embeddings
from studio.evaluators.sync_expert.model import load as load_sync
from studio.face.crop import crop_face, mouth_crop
from studio.face.mesh import INNER_LIP_LOOP, OUTER_LIP_LOOP
from studio.media import audio_from_array
from studio.nn.spec import Bar
from studio.papers.jean.model import load as load_jean
from studio.papers.rhythmic.data import MOUTH_CHANNELS, MOUTH_NAMES, load_data, split
from studio.papers.rhythmic.model import Rhythmic, RhythmicConfig, load_with_card
from studio.papers.rhythmic.motion_set import load_motion_set
from studio.papers.rhythmic.renderers import synthtalk
from studio.papers.rhythmic.talk import TalkRequest, talk
from studio.papers.rhythmic.train import QUICK_STEPS, train_rhythmic
from studio.paths import default_corpus
from studio.render.camera import Camera
from studio.speech import SAMPLE_RATE, log_mel
from studio.synth.corpus import load_clip
from studio.synth.emotions import EMOTIONS
from studio.synth.identity import sample_identity
from studio.synth.renderer import HeadRenderer

log = logging.getLogger(__name__)
ROTATION = slice(0, 3)
LIPS = list(OUTER_LIP_LOOP) + list(INNER_LIP_LOOP)
SPEED_TEXT = (
    "Good morning. Today we measure how fast the studio can make a person talk: "
    "this sentence, about ten seconds of speech, goes from text to a video with sound."
)
BARS = (
    Bar("diversity_ratio_error", "<=", 0.25, "|predicted ÷ GT head-motion diversity − 1|"),
    Bar("beat_alignment_ratio", ">=", 0.8, "beat alignment ÷ the ground truth's"),
    Bar("style_own_identity", ">=", 0.8, "motion statistics nearest the person's own"),
    Bar("jaw_pearson", ">=", 0.8, "predicted vs GT jawOpen (articulation), held-out audio"),
    Bar("lse_c_ratio", ">=", 0.7, "LSE-C of Talk renders ÷ GT clips' (sync expert)"),
    Bar("emotion_accuracy_intensity3", ">=", 0.9, "emotion classifier on Talk renders"),
    Bar("talk_video_seconds_per_second", ">=", 1.0, "256² video seconds per compute second"),
)


def references(data: ClipFrames, seed: int = 0) -> np.ndarray:
    """For each clip, another clip of the same person (fixed by the seed)."""
    rng = np.random.default_rng(seed)
    ident = np.array([c["identity_id"] for c in data.clips])
    out = np.empty(len(data.clips), np.int64)
    for i, p in enumerate(ident):
        others = np.flatnonzero((ident == p) & (np.arange(len(ident)) != i))
        out[i] = rng.choice(others) if len(others) else i
    return out


def predict_all(model: Rhythmic, data: ClipFrames, refs: np.ndarray) -> list[np.ndarray]:
    out = []
    for i, r in enumerate(refs):
        c, ref = data.clip(i), data.clip(int(r))
        out.append(model.predict_motion(ref["pose6"], ref["mel"], c["mel"]))
    return out


def motion_scores(
    preds: list[np.ndarray], data: ClipFrames, beats: list[np.ndarray]
) -> dict[str, float]:
    """Diversity, beat alignment and style of predicted motions (rotation channels)."""
    truth = [data.clip(i)["pose6"] for i in range(len(data.clips))]
    div_p = np.mean([diversity(p[:, ROTATION]).rotation for p in preds])
    div_t = np.mean([diversity(t[:, ROTATION]).rotation for t in truth])
    ba_p = np.mean([beat_alignment(b, p[:, ROTATION]) for b, p in zip(beats, preds, strict=True)])
    ba_t = np.mean([beat_alignment(b, t[:, ROTATION]) for b, t in zip(beats, truth, strict=True)])
    return {
        "diversity_deg": float(div_p),
        "diversity_ratio": float(div_p / div_t),
        "diversity_ratio_error": float(abs(div_p / div_t - 1)),
        "beat_alignment": float(ba_p),
        "beat_alignment_ratio": float(ba_p / ba_t),
        "style_own_identity": style_accuracy(preds, data),
        "gt_diversity_deg": float(div_t),
        "gt_beat_alignment": float(ba_t),
    }


def style_accuracy(preds: list[np.ndarray], data: ClipFrames) -> float:
    """Share of predicted clips whose motion statistics (rotation) are nearest to their own
    person's mean statistics over that person's other clips."""
    ident = np.array([c["identity_id"] for c in data.clips])
    stats = np.stack(
        [motion_statistics(data.clip(i)["pose6"][:, ROTATION]) for i in range(len(ident))]
    )
    people = np.unique(ident)
    hits = []
    for i, p in enumerate(preds):
        s = motion_statistics(p[:, ROTATION])
        dist = []
        for q in people:
            mine = (ident == q) & (np.arange(len(ident)) != i)
            dist.append(np.linalg.norm(s - stats[mine].mean(0)))
        hits.append(people[int(np.argmin(dist))] == ident[i])
    return float(np.mean(hits))


def mouth_scores(model: Rhythmic, data: ClipFrames, audio_of) -> dict[str, float]:
    """jawOpen Pearson and M-LMD (cm, rig lip loops at rest pose, neutral face) of the
    predicted mouth against the articulation the corpus drew."""
    pred = np.concatenate([model.predict_mouth(audio_of(i)) for i in range(len(data.clips))])
    truth = data["mouth"]
    j = MOUTH_NAMES.index("jawOpen")
    rng = np.random.default_rng(0)
    rows = rng.choice(len(truth), min(1500, len(truth)), replace=False)
    head = HeadRenderer(sample_identity(int(data.clips[0]["identity_id"])).look, 64)
    dist = []
    for r in rows:
        a, b = np.zeros(52, np.float32), np.zeros(52, np.float32)
        a[MOUTH_CHANNELS], b[MOUTH_CHANNELS] = pred[r], truth[r]
        la = head.landmarks_3d(a, np.zeros(6))[LIPS]
        lb = head.landmarks_3d(b, np.zeros(6))[LIPS]
        dist.append(np.linalg.norm(la - lb, axis=1).mean())
    return {
        "jaw_pearson": float(np.corrcoef(pred[:, j], truth[:, j])[0, 1]),
        "m_lmd_cm": float(np.mean(dist)),
        "mouth_l1": float(np.abs(pred - truth).mean()),
    }


def talk_scores(model: Rhythmic, corpus: Path, data: ClipFrames, n_clips: int) -> dict[str, float]:
    """Talk renders of held-out clips' audio with their emotion: LSE-C against the GT clips',
    the emotion classifier at intensity 3 (predicted motion), and Table 1 metrics with the GT
    pose (frames line up with the corpus's)."""
    sync, emotion, ident = load_sync(), load_emotion(), load_identity()
    rng = np.random.default_rng(1)
    picks = rng.choice(len(data.clips), min(n_clips, len(data.clips)), replace=False)
    lse_gt, lse_talk, emo_ok, lmd, cs, ss = [], [], [], [], [], []
    for i in picks:
        entry = data.clips[int(i)]
        clip = load_clip(corpus, entry["clip_id"])
        person = sample_identity(int(entry["identity_id"]))
        audio = clip.audio
        request = TalkRequest(
            identity=int(entry["identity_id"]),
            audio=_audio(audio),
            emotion=entry["emotion"],
            intensity=int(entry["intensity"]),
            size=clip.frames.shape[1],
        )
        made = talk(request, model=model)
        n = min(len(made.frames), len(clip.frames))
        head = HeadRenderer(person.look, clip.frames.shape[1])
        lm_made = landmarks_of(head, made.blendshapes[:n], made.pose6[:n])
        mel = log_mel(audio)
        for frames, lm, out in (
            (clip.frames[:n], clip.labels["landmarks"][:n], lse_gt),
            (made.frames[:n], lm_made, lse_talk),
        ):
            mouths = np.stack([mouth_crop(f, p) for f, p in zip(frames, lm, strict=True)])
            v, a = clip_embeddings(sync, mouths, mel)
            out.append(sync_scores(v, a, 15).lse_c)
        if entry["intensity"] == 3:
            size = emotion.config.face_size
            crops = np.stack(
                [crop_face(f, p, size) for f, p in zip(made.frames[:n], lm_made, strict=True)]
            )
            emo_ok.append(emotion.predict(crops) == EMOTIONS.index(entry["emotion"]))
        # Table 1: the made face at the clip's own pose and camera, so the frames line up
        posed = synthtalk(
            person, made.blendshapes[:n], clip.labels["pose6"][:n], clip.frames.shape[1]
        )
        lm_posed = landmarks_of(head, made.blendshapes[:n], clip.labels["pose6"][:n])
        gt_lm = clip.labels["landmarks"][:n]
        lmd.append(
            float(np.linalg.norm(lm_posed[:, LIPS, :2] - gt_lm[:, LIPS, :2], axis=-1).mean())
        )
        fs = ident.config.face_size
        a = np.stack([crop_face(f, p, fs) for f, p in zip(posed, lm_posed, strict=True)])
        b = np.stack([crop_face(f, p, fs) for f, p in zip(clip.frames[:n], gt_lm, strict=True)])
        cs.append(float(csim_crops(a, b, ident).mean()))
        ss.append(float(np.mean([ssim(x, y) for x, y in zip(posed, clip.frames[:n], strict=True)])))
    emo = np.concatenate(emo_ok) if emo_ok else np.array([np.nan])
    return {
        "lse_c_talk": float(np.mean(lse_talk)),
        "lse_c_gt": float(np.mean(lse_gt)),
        "lse_c_ratio": float(np.mean(lse_talk) / np.mean(lse_gt)),
        "emotion_accuracy_intensity3": float(np.mean(emo)),
        "table1_lmd_px": float(np.mean(lmd)),
        "table1_csim": float(np.mean(cs)),
        "table1_ssim": float(np.mean(ss)),
        "talk_clips": int(len(picks)),
    }


def _audio(samples: np.ndarray):
    return audio_from_array(samples, SAMPLE_RATE, name="the clip's audio")


def landmarks_of(head: HeadRenderer, blendshapes: np.ndarray, pose6: np.ndarray) -> np.ndarray:
    """(T, 478, 3) projected landmarks of the rig at the main camera (no rasterising)."""
    camera = Camera(size=head.size)
    return np.stack(
        [camera.project(head.landmarks_3d(b, p)) for b, p in zip(blendshapes, pose6, strict=True)]
    )


def speed(model: Rhythmic, repeats: int = 2) -> dict[str, float]:
    """Seconds of 256² video per second of compute, text to mp4 (median of `repeats`)."""
    rates = []
    with tempfile.TemporaryDirectory() as tmp:
        talk(TalkRequest(text="Warm up.", size=256), model=model)
        for k in range(repeats):
            t0 = time.perf_counter()
            made = talk(TalkRequest(text=SPEED_TEXT, size=256, seed=k), model=model)
            made.write(Path(tmp) / "speed.mp4")
            rates.append(made.duration / (time.perf_counter() - t0))
    return {
        "talk_video_seconds_per_second": float(np.median(rates)),
        "talk_seconds_of_video": made.duration,
    }


def run(quick: bool = False, corpus: Path | None = None) -> dict:
    corpus = Path(corpus or default_corpus())
    model, card = load_with_card()
    parts = split(load_data(corpus))
    test = parts["test"]
    if quick:
        test = every_nth_clip(test, 8)
    steps = dict(QUICK_STEPS) if quick else card["training"]["steps"]
    refs = references(test)
    beats = [
        audio_beats(load_clip(corpus, c["clip_id"], frames=False).audio, c["n"]) for c in test.clips
    ]
    m: dict = {"held_out_clips": len(test.clips)}
    m.update(motion_scores(predict_all(model, test, refs), test, beats))
    with tempfile.TemporaryDirectory() as tmp:
        ablation, _ = train_rhythmic(
            load_motion_set(),
            parts["train"],
            tmp,
            {"motion": steps["motion"]},
            config=RhythmicConfig(reference=False),
            stages=("motion",),
            progress=None,
        )
    for k, v in motion_scores(predict_all(ablation, test, refs), test, beats).items():
        m[f"ablation_no_reference.{k}"] = v
    still = [
        np.zeros_like(test.clip(i)["pose6"]) + test.clip(int(r))["pose6"].mean(0)
        for i, r in enumerate(refs)
    ]
    m.update(
        {
            f"baseline_still.{k}": v
            for k, v in motion_scores(still, test, beats).items()
            if "diversity" not in k
        }
    )
    replay = [_replay(test.clip(int(r))["pose6"], test.clips[i]["n"]) for i, r in enumerate(refs)]
    m.update(
        {f"baseline_replay_reference.{k}": v for k, v in motion_scores(replay, test, beats).items()}
    )
    m.update(_mouth_comparison(model, parts, test, steps, quick))
    m.update(talk_scores(model, corpus, test, 6 if quick else 40))
    m.update(speed(model, 1 if quick else 3))
    print(table1_markdown(m))
    return m


def table1_markdown(m: dict) -> str:
    """Our numbers in the paper's Table 1 layout (audio-driven; LRW | VoxCeleb2 there)."""
    return "\n".join(
        [
            "| method | LMD ↓ | CSIM ↑ | SSIM ↑ | FID ↓ |",
            "|---|---|---|---|---|",
            "| Chen et al. (paper, LRW) | 3.13 | 0.49 | 0.76 | 62 |",
            "| Chen et al. (paper, VoxCeleb2) | 3.37 | 0.42 | 0.74 | 47 |",
            f"| ours (SynthTalk held-out, 128², rig renderer) | {m['table1_lmd_px']:.2f} px | "
            f"{m['table1_csim']:.2f} | {m['table1_ssim']:.2f} | not measured |",
        ]
    )


def _replay(pose: np.ndarray, n: int) -> np.ndarray:
    return pose[np.arange(n) % len(pose)]


def _mouth_comparison(model: Rhythmic, parts, test: ClipFrames, steps: dict, quick: bool) -> dict:
    """The shipped mouth learner, and the other audio input trained here with its steps."""
    jean = load_jean()
    codes = {
        name: jean.audio_codes(part["mel"].astype(np.float32))
        for name, part in (("train", parts["train"]), ("test", test))
    }
    out = {}

    def audio_for(m: Rhythmic):
        if m.config.audio_input == "jean":
            return lambda i: codes["test"][
                test.clips[i]["start"] : test.clips[i]["start"] + test.clips[i]["n"]
            ]
        return lambda i: test.clip(i)["mel"]

    out.update({f"{k}": v for k, v in mouth_scores(model, test, audio_for(model)).items()})
    other = "jean" if model.config.audio_input == "mel" else "mel"
    with tempfile.TemporaryDirectory() as tmp:
        alt, _ = train_rhythmic(
            parts["train"],
            parts["train"],
            tmp,
            {"mouth": steps["mouth"]},
            config=RhythmicConfig(audio_input=other),
            jean_codes=codes["train"] if other == "jean" else None,
            stages=("mouth",),
        )
    out.update(
        {f"mouth_input[{other}].{k}": v for k, v in mouth_scores(alt, test, audio_for(alt)).items()}
    )
    out[f"mouth_input[{model.config.audio_input}] (shipped)"] = out["jaw_pearson"]
    return out
