"""`python -m studio.nerf`: build the preset, fit a person, ship the fit, render views and orbit
videos; and `python -m studio.train nerf` (fit + measure + ship in one go).

    python -m studio.nerf make --out data/nerf-synth            # the one-person preset (≈ 2 min)
    python -m studio.nerf fit data/nerf-synth --out runs/nerf   # resumable; preview.png as it goes
    python -m studio.nerf fit my_clip.mp4 --steps 2000          # your own clip → runs/nerf-clips/
    python -m studio.nerf view --checkpoints runs/nerf-clips/my-clip --yaw 20 --out view.png
    python -m studio.nerf ship data/nerf-synth --run runs/nerf  # → checkpoints/nerf.*
    python -m studio.nerf view --yaw 30 --frame 100 --out view.png
    python -m studio.nerf orbit (--text "…" | --audio a.wav) [--emotion happy] --out orbit.mp4
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
from pathlib import Path

import cv2
import torch

from studio.errors import StudioError
from studio.media import read_audio
from studio.papers.nerf.bench import BARS
from studio.papers.nerf.clip import read_clip
from studio.papers.nerf.drive import clip_drive, drive, render_orbit, speech_for, write_orbit
from studio.papers.nerf.export import fit_command, ship
from studio.papers.nerf.fit import ABLATIONS, FitOptions, fit
from studio.papers.nerf.preset import PRESETS, build_preset, load_preset
from studio.papers.nerf.render import NerfRenderer, Quality, View, load_fitted
from studio.papers.nerf.user_fits import FITS, fit_name, fit_user_clip

DEFAULT_PRESET = "data/nerf-synth"
DEFAULT_RUN = "runs/nerf"


def _print(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _fit_progress(total: int):
    def show(step: int, row: dict) -> None:
        val = f"  held-out PSNR {row['val/psnr256']:.2f} dB" if "val/psnr256" in row else ""
        _print(
            f"[{step}/{total}] loss {row.get('loss', float('nan')):.4f}{val}  "
            f"{row['seconds'] / 60:.1f} min"
        )

    return show


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m studio.nerf", description=__doc__.split("\n")[0])
    sub = p.add_subparsers(dest="command", required=True)
    make = sub.add_parser("make", help="render the one-person NeRF preset")
    make.add_argument("--out", default=DEFAULT_PRESET)
    make.add_argument("--preset", choices=sorted(PRESETS), default="default")
    f = sub.add_parser("fit", help="fit the field to a preset's training frames")
    f.add_argument(
        "clip", nargs="?", default=DEFAULT_PRESET,
        help="a preset folder, or your own video (10–60 s, one face talking, with sound)",
    )  # fmt: skip
    f.add_argument(
        "--out", help=f"run folder (default {DEFAULT_RUN}; for a video {FITS}/<its name>)"
    )
    f.add_argument("--steps", type=int, default=FitOptions.steps)
    f.add_argument("--seed", type=int, default=0)
    f.add_argument("--ablation", choices=ABLATIONS, default="full")
    f.add_argument(
        "--lower-face-weight", type=float, default=FitOptions.lower_face_weight,
        help="extra reconstruction weight on the lower face (0: the papers' loss; docs/NERF.md)",
    )  # fmt: skip
    f.add_argument(
        "--face-weight", type=float, default=FitOptions.face_weight,
        help="extra reconstruction weight on the whole face oval (0: the papers' loss)",
    )  # fmt: skip
    f.add_argument("--fresh", action="store_true", help="start over instead of resuming")
    s = sub.add_parser("ship", help="write checkpoints/nerf.* from a fit run")
    s.add_argument("clip", nargs="?", default=DEFAULT_PRESET)
    s.add_argument("--run", default=DEFAULT_RUN)
    s.add_argument("--checkpoints", help="folder (default checkpoints/)")
    s.add_argument("--metrics", help="a `python -m studio.bench nerf --json` record for the card")
    v = sub.add_parser("view", help="render one frame of the fitted clip from any camera")
    v.add_argument("--frame", type=int, default=0)
    v.add_argument("--yaw", type=float, default=0.0)
    v.add_argument("--pitch", type=float, default=0.0)
    v.add_argument("--distance", type=float, default=72.0)
    v.add_argument("--still", action="store_true", help="drop the frame's head pose")
    v.add_argument("--draft", action="store_true", help="128² with 16 samples per ray")
    v.add_argument("--out", required=True)
    o = sub.add_parser("orbit", help="an mp4 with sound: the camera orbits the talking head")
    src = o.add_mutually_exclusive_group()
    src.add_argument("--audio", help="driving audio file (default: the fitted clip's own)")
    src.add_argument("--text", help="text to speak in the fitted person's voice")
    o.add_argument("--emotion", default="neutral")
    o.add_argument("--seconds", type=float, default=4.0, help="length when using the clip")
    o.add_argument("--max-yaw", type=float, default=35.0)
    o.add_argument("--draft", action="store_true")
    o.add_argument("--out", required=True)
    for q in (v, o):
        q.add_argument("--checkpoints", help="folder (default checkpoints/)")
    return p


def run(args: argparse.Namespace) -> dict:
    if args.command == "make":
        folder = build_preset(PRESETS[args.preset], args.out, _print)
        return json.loads((folder / "preset.json").read_text())
    if args.command == "fit" and Path(args.clip).is_file():  # a user's video
        folder = Path(args.out) if args.out else FITS / fit_name(args.clip)
        fit_user_clip(read_clip(args.clip), folder, args.steps, _print)
        view = f"python -m studio.nerf view --checkpoints {folder} --yaw 20 --out view.png"
        return {"fit": str(folder), "preview": str(folder / "run" / "preview.png"), "view": view}
    if args.command == "fit":
        options = FitOptions(
            steps=args.steps,
            seed=args.seed,
            ablation=args.ablation,
            lower_face_weight=args.lower_face_weight,
            face_weight=args.face_weight,
        )
        args.out = args.out or DEFAULT_RUN
        fit(load_preset(args.clip), options, args.out, not args.fresh, _fit_progress(args.steps))
        return {"run": args.out, "preview": str(Path(args.out) / "preview.png")}
    if args.command == "ship":
        from_run = fit_command(args.clip, args.run)
        metrics = card_metrics(args.metrics) if args.metrics else None
        path = ship_command(args.clip, args.run, args.checkpoints, from_run, metrics)
        return {"checkpoint": str(path)}
    fitted = load_fitted(directory=args.checkpoints)
    renderer = NerfRenderer(fitted)
    quality = Quality.DRAFT if args.draft else Quality.FULL
    if args.command == "view":
        pose = None if args.still else fitted.pose6[min(args.frame, fitted.n_frames - 1)]
        view = View(args.yaw, args.pitch, args.distance, pose)
        image = renderer.frame(args.frame, view, quality)
        cv2.imwrite(args.out, image[:, :, ::-1])
        return {"image": args.out, "size": image.shape[0]}
    if args.audio or args.text:
        audio = (
            read_audio(args.audio) if args.audio else speech_for(fitted, args.text, args.emotion)
        )
        driven = drive(fitted, audio, args.emotion)
    else:
        driven = clip_drive(fitted, 0, int(args.seconds * 25))
    frames = render_orbit(
        renderer, driven, max_yaw=args.max_yaw, quality=quality,
        done=lambda i, n: _print(f"frame {i}/{n}") if i % 25 == 0 or i == n else None,
    )  # fmt: skip
    return {"video": str(write_orbit(args.out, frames, driven.audio)), "frames": len(frames)}


def ship_command(
    clip: str,
    run_dir: str,
    checkpoints=None,
    command: str = "",
    metrics: dict | None = None,
    quick: bool = False,
) -> Path:
    preset = load_preset(clip)
    return ship(preset, run_dir, metrics, directory=checkpoints, command=command, quick=quick)


def card_metrics(record: str) -> dict:
    """The headline numbers of a bench record (every bar's metric and the head-region and SSIM
    companions), with the record's command, for the model card."""
    data = json.loads(Path(record).read_text())
    m = data["metrics"]
    companions = (
        "held_out_psnr_head_256 held_out_ssim_256 ring_psnr_yaw40 ring_psnr_head_yaw20 "
        "ring_psnr_head_yaw40 ring_ssim_yaw20 ring_ssim_yaw40 m_lmd_interocular lse_c lse_c_gt "
        "emotion_accuracy_intensity3_gt"
    ).split()
    keys = [b.metric for b in BARS] + companions
    out = {k: m[k] for k in keys if k in m}
    out["measured_by"] = data.get("command", "python -m studio.bench nerf")
    return out


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    torch.set_num_threads(max(1, torch.get_num_threads()))
    try:
        print(json.dumps(run(args), indent=1))
    except StudioError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    return 0


def train_command(args, argv: list[str]) -> dict:
    """`python -m studio.train nerf`: fit the preset (building it if absent) and ship it."""
    preset_dir = Path(DEFAULT_PRESET)
    if not (preset_dir / "preset.json").exists():
        build_preset(PRESETS["default"], preset_dir, _print)
    steps = args.steps or (200 if args.quick else FitOptions.steps)
    out = args.out or DEFAULT_RUN
    fit(load_preset(preset_dir), FitOptions(steps=steps, seed=args.seed), out, args.resume,
        _fit_progress(steps))  # fmt: skip
    if args.no_ship:
        return {"run": out}
    command = "python -m studio.train " + shlex.join(argv)
    path = ship_command(str(preset_dir), out, args.checkpoints, command, quick=args.quick)
    return {"checkpoint": str(path)}
