"""`python -m studio <verb>`: the user verbs (track, speak, talk, voices) on the command line.

Every verb calls the same functions as the UI and the Python API. A `StudioError` (bad input)
prints its message and exits with status 2; anything else is a bug and shows a traceback.
`--verbose` (before or after the verb) logs progress details and lets MediaPipe's own C++ log
lines through, which are otherwise hidden.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from studio.errors import StudioError

log = logging.getLogger("studio")


def _cmd_track(args: argparse.Namespace) -> None:
    import numpy as np
    from tqdm import tqdm

    from studio.face.tracker import BACKENDS, show_native_logs
    from studio.media import write_image, write_video
    from studio.sources import IMAGE_SUFFIXES, load_face_source

    show_native_logs(args.verbose)  # before the first landmarker starts
    if args.backend not in BACKENDS:
        raise StudioError(f"Unknown backend '{args.backend}'; choose one of {', '.join(BACKENDS)}.")
    if not args.smooth >= 0:  # also refuses nan
        raise StudioError(f"--smooth is a sigma in frames: 0 (off) or more, not {args.smooth}")
    source_path = Path(args.source)
    bar = (
        None
        if source_path.suffix.lower() in IMAGE_SUFFIXES
        else tqdm(desc="tracking", unit="frame")
    )
    try:
        source = load_face_source(
            source_path,
            role="source",
            backend=args.backend,
            smooth_sigma=args.smooth,
            progress=(lambda i: bar.update(1)) if bar is not None else None,
        )
    finally:  # end the bar's line before any error message is printed
        if bar is not None:
            bar.close()
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    track = source.track
    meta = {
        "source": str(source_path),
        "fps": track.fps,
        "image_size": list(track.image_size),
        "backend": track.backend,
        "provides": list(track.provides),
        "frames": len(track),
        "frames_with_face": int(track.found.sum()),
        "most_faces": int(track.n_faces.max()),  # in one frame; the largest face is tracked
        "notes": source.notes,
    }
    np.savez_compressed(out, meta=json.dumps(meta), **track.arrays())
    overlay_path = Path(args.overlay) if args.overlay else None
    if overlay_path is None:
        suffix = ".png" if source.is_image else ".mp4"
        overlay_path = out.with_name(out.stem + "_overlay" + suffix)
    if source.is_image:
        write_image(overlay_path, source.overlay(0))
    else:
        frames = np.stack([source.overlay(t) for t in range(len(source.frames))])
        write_video(overlay_path, frames, fps=source.fps, audio=source.audio)
    for note in source.notes:
        print(f"note: {note}")
    print(f"tracked {meta['frames_with_face']}/{meta['frames']} frames with {track.backend}")
    print(f"records: {out if out.suffix == '.npz' else out.with_suffix('.npz')}")
    print(f"overlay: {overlay_path}")


def _cmd_speak(args: argparse.Namespace) -> None:
    from studio.media import write_wav
    from studio.speech import synthesize

    speech = synthesize(args.text, voice=args.voice, rate=args.rate, pitch=args.pitch)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    write_wav(out, speech.samples, speech.sample_rate)
    timings = {
        "text": speech.text,
        "voice": speech.voice,
        "sample_rate": speech.sample_rate,
        "duration": len(speech.samples) / speech.sample_rate,
        "phonemes": [
            {"symbol": p.symbol, "start": round(p.start, 4), "end": round(p.end, 4)}
            for p in speech.phonemes
        ],
        "words": [
            {"text": getattr(w, "text", ""), "start": round(w.start, 4), "end": round(w.end, 4)}
            for w in speech.words
        ],
    }
    json_path = out.with_suffix(".json")
    json_path.write_text(json.dumps(timings, indent=1))
    print(
        f"wrote {out} ({timings['duration']:.2f} s) and {json_path} "
        f"({len(speech.phonemes)} phonemes)"
    )


def _cmd_voices(args: argparse.Namespace) -> None:
    from studio.speech import list_voices

    for voice in list_voices(args.language):
        print(f"{voice.identifier:24s} {voice.name}")


def _emotion(text: str) -> tuple[str, int]:
    """ "happy:2" → ("happy", 2); "neutral" → ("neutral", 1)."""
    name, _, level = text.partition(":")
    try:
        return name.strip(), int(level) if level else (1 if name.strip() == "neutral" else 3)
    except ValueError:
        raise argparse.ArgumentTypeError(
            "give EMOTION or EMOTION:INTENSITY, e.g. happy:2"
        ) from None


def _cmd_talk(args: argparse.Namespace) -> None:
    from tqdm import tqdm

    from studio.face.tracker import show_native_logs
    from studio.media import read_audio
    from studio.papers.jean.interpolation import expression_code_of_source
    from studio.papers.jean.model import load as load_jean
    from studio.papers.rhythmic.talk import TalkRequest, talk
    from studio.sources import load_face_source

    show_native_logs(args.verbose)
    if (args.audio is None) == (args.text is None):
        raise StudioError('Give what is said: --audio FILE or --text "..." (one of them)')
    request = TalkRequest(
        identity=args.identity,
        text=args.text,
        audio=read_audio(args.audio) if args.audio else None,
        motion={"source": "pose source"}.get(args.motion, args.motion),
        emotion=args.emotion[0],
        intensity=args.emotion[1],
        size=args.size,
        seed=args.seed,
    )
    if args.pose_source:
        pose = load_face_source(args.pose_source, role="pose source")
        request.pose6 = pose.track.pose6
        if pose.audio is not None and args.motion == "predicted":
            request.reference_pose6, request.reference_audio = pose.track.pose6, pose.audio.samples
    elif args.motion == "source":
        raise StudioError("--motion source copies a pose source: give --pose-source VIDEO")
    if args.emotion_source:
        emotion = load_face_source(args.emotion_source, role="emotion source")
        request.expression_code = expression_code_of_source(load_jean(), emotion)
    bar = tqdm(total=100, desc="talk", unit="%")

    def progress(fraction: float, what: str) -> None:
        bar.n = round(100 * fraction)
        bar.set_postfix_str(what)
        bar.refresh()

    try:
        if args.renderer == "nerf":
            from studio.nerf.talk import talk_nerf
            from studio.papers.nerf.render import shipped_renderer

            result = talk_nerf(request, shipped_renderer(), progress)
        elif args.renderer == "speak":
            from studio.irfd.talk import talk_speak
            from studio.papers.irfd.speak.drive import load_speak

            result = talk_speak(request, load_speak(), progress)
        else:
            result = talk(request, progress=progress)
    finally:
        bar.close()
    out = result.write(args.out)
    t = result.timings
    world = "IRFD" if args.renderer == "speak" else "SynthTalk"
    print(
        f"wrote {out}: {result.duration:.2f} s of {result.frames.shape[1]}² video with sound "
        f"({world} person {result.identity}) in {t['total']:.1f} s "
        f"({result.duration / t['total']:.2f} s of video per second)"
    )


VERBOSE_HELP = "log progress details, and MediaPipe's own log lines"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m studio", description=__doc__.split("\n")[0])
    parser.add_argument("-v", "--verbose", action="store_true", help=VERBOSE_HELP)
    # Also accepted after the verb; SUPPRESS keeps a verb's default from undoing `-v track`.
    after_verb = argparse.ArgumentParser(add_help=False)
    after_verb.add_argument(
        "-v", "--verbose", action="store_true", default=argparse.SUPPRESS, help=VERBOSE_HELP
    )
    verbs = parser.add_subparsers(dest="verb", required=True)

    track = verbs.add_parser("track", help="track a face image or video", parents=[after_verb])
    track.add_argument("source", help="image (png/jpg/...) or video (mp4/mov/...)")
    track.add_argument("--out", required=True, help="records file (.npz: arrays + meta JSON)")
    track.add_argument("--overlay", help="overlay image/video path (default: next to --out)")
    track.add_argument("--backend", default="mediapipe", help="mediapipe | face-alignment")
    track.add_argument(
        "--smooth",
        type=float,
        default=0.0,
        help="temporal Gaussian smoothing sigma in frames (videos; 0 = off)",
    )
    track.set_defaults(run=_cmd_track)

    speak = verbs.add_parser(
        "speak", help="synthesise speech with eSpeak NG + phoneme timings", parents=[after_verb]
    )
    speak.add_argument("text")
    speak.add_argument("--voice", default="en-us")
    speak.add_argument("--rate", type=int, default=175, help="words per minute")
    speak.add_argument("--pitch", type=int, default=50, help="0-100")
    speak.add_argument("--out", required=True, help="wav path; timings go to the same .json")
    speak.set_defaults(run=_cmd_speak)

    talk = verbs.add_parser(
        "talk",
        help="make a SynthTalk person say audio or text: mp4 with sound",
        parents=[after_verb],
    )
    talk.add_argument("--identity", type=int, help="SynthTalk person id (default: a held-out one)")
    talk.add_argument("--audio", help="speech to lip-sync (audio or video file)")
    talk.add_argument("--text", help="text to say in the person's voice (eSpeak NG)")
    talk.add_argument(
        "--motion",
        choices=("predicted", "source", "still"),
        default="predicted",
        help="head motion: predicted from the audio (in the style of --pose-source when given), "
        "copied from --pose-source, or still",
    )
    talk.add_argument("--pose-source", help="a video of a head moving (its tracked pose)")
    talk.add_argument(
        "--emotion", type=_emotion, default=("neutral", 1), help="EMOTION[:1-3], e.g. happy:2"
    )
    talk.add_argument("--emotion-source", help="a video or photo whose expression to wear (JEAN)")
    talk.add_argument("--size", type=int, default=256, help="frame size in pixels")
    talk.add_argument(
        "--renderer",
        choices=("synthtalk", "nerf", "speak"),
        default="synthtalk",
        help="the SynthTalk rig, the fitted Talking NeRF (its own person; 128 or 256 px), or "
        "SPEAK (an IRFD held-out person, --identity 1000–1099; 128 px)",
    )
    talk.add_argument("--seed", type=int, default=0)
    talk.add_argument("--out", required=True, help="the mp4 to write")
    talk.set_defaults(run=_cmd_talk)

    voices = verbs.add_parser("voices", help="list eSpeak NG voices", parents=[after_verb])
    voices.add_argument("--language", default="en", help="language prefix, e.g. en, de")
    voices.set_defaults(run=_cmd_voices)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    try:
        args.run(args)
    except StudioError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    return 0
