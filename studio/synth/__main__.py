"""`python -m studio.synth <verb>`: build, export, check and picture the SynthTalk corpus."""

from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import sys
import time

from studio.errors import StudioError
from studio.synth.calibrate import calibrate
from studio.synth.corpus import PRESETS, build_corpus
from studio.synth.export import export_corpus
from studio.synth.sheet import contact_sheet
from studio.synth.validate import emotion_probe, lips_follow_speech, track_sample


def _bar(desc: str, unit: str = "clip"):
    from tqdm import tqdm

    bar = tqdm(desc=desc, unit=unit)

    def update(done: int, total: int) -> None:
        bar.total = total
        bar.n = done
        bar.refresh()

    return bar, update


def _make(args: argparse.Namespace) -> None:
    config = PRESETS[args.preset]
    overrides = {}
    if args.identities is not None:
        held = max(1, args.identities // 5)
        overrides.update(train_identities=args.identities - held, held_out_identities=held)
    if args.seed is not None:
        overrides["seed"] = args.seed
    if args.size is not None:
        overrides["size"] = args.size
    config = dataclasses.replace(config, **overrides)
    bar, update = _bar("rendering")
    started = time.monotonic()
    manifest = build_corpus(config, args.out, workers=args.workers, progress=update)
    bar.close()
    build = manifest["build"]
    seconds = time.monotonic() - started
    fps = build["frames"] / max(build["seconds"], 1e-9)
    print(
        f"{len(manifest['clips'])} clips in {args.out} ({build['rendered_clips']} rendered now, "
        f"{build['frames']} frames in {seconds:.0f} s = {fps:.1f} frames/s with "
        f"{args.workers} workers)"
    )


def _export(args: argparse.Namespace) -> None:
    bar, update = _bar("exporting")
    clips = export_corpus(args.corpus, args.out, limit=args.limit, progress=update)
    bar.close()
    print(f"exported {len(clips)} clips to {args.out} (mp4 with sound + CSV labels)")


def _sheet(args: argparse.Namespace) -> None:
    path = contact_sheet(args.out, seed=args.seed, size=args.size)
    print(f"wrote {path}")


def _check(args: argparse.Namespace) -> None:
    results: dict = {}
    bar, update = _bar("tracking frames", "frame")
    results["tracker"] = track_sample(args.corpus, n_frames=args.frames, progress=update).metrics()
    bar.close()
    results["lips"] = lips_follow_speech(args.corpus)
    bar, update = _bar("emotion probe")
    results["emotion"] = emotion_probe(args.corpus, progress=update)
    bar.close()
    print(json.dumps(results, indent=1))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=1)


def _calibrate(args: argparse.Namespace) -> None:
    path = calibrate(args.out, looks=args.looks)
    print(f"wrote {path}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m studio.synth", description=__doc__)
    verbs = parser.add_subparsers(dest="verb", required=True)
    make = verbs.add_parser("make", help="render a corpus (resumable)")
    make.add_argument("--out", required=True)
    make.add_argument("--preset", default="default", choices=["default", "small", "tiny"])
    make.add_argument("--identities", type=int, help="total identities (a fifth held out)")
    make.add_argument("--seed", type=int)
    make.add_argument("--size", type=int, help="frame size in pixels (square)")
    make.add_argument("--workers", type=int, default=2)
    make.set_defaults(run=_make)
    export = verbs.add_parser("export", help="clips as mp4 with sound + CSV labels")
    export.add_argument("corpus")
    export.add_argument("--out", required=True)
    export.add_argument("--limit", type=int)
    export.set_defaults(run=_export)
    sheet = verbs.add_parser("sheet", help="contact sheet PNG of the world's factors")
    sheet.add_argument("--out", default="docs/synthtalk_sheet.png")
    sheet.add_argument("--seed", type=int, default=0)
    sheet.add_argument("--size", type=int, default=128)
    sheet.set_defaults(run=_sheet)
    check = verbs.add_parser("check", help="tracker and label checks (the issue's bars)")
    check.add_argument("corpus")
    check.add_argument("--frames", type=int, default=1000)
    check.add_argument("--json")
    check.set_defaults(run=_check)
    calib = verbs.add_parser("calibrate", help="render→track response curve per rig channel")
    calib.add_argument("--out", default="assets/synthtalk_calibration.json")
    calib.add_argument("--looks", type=int, default=4)
    calib.set_defaults(run=_calibrate)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        args.run(args)
    except StudioError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
