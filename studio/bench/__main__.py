"""Run a benchmark suite: `python -m studio.bench <suite> [--quick] [--json out.json]`."""

from __future__ import annotations

import argparse
import importlib
import sys
import time

from studio.bench.report import markdown, record, save
from studio.errors import StudioError

SUITES = {
    "foundation": "studio.bench.foundation",
    "synthtalk": "studio.bench.synthtalk",
    "evaluators": "studio.bench.evaluators",
    "jean": "studio.bench.jean",
    "jean-per-identity": "studio.bench.jean_per_identity",
    "jean-audio": "studio.bench.jean_audio",
    "jean-audio-emotion": "studio.bench.jean_audio_emotion",
    "jean-audio-negatives": "studio.bench.jean_audio_negatives",
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m studio.bench")
    parser.add_argument("suite", choices=sorted(SUITES))
    parser.add_argument("--quick", action="store_true", help="a small sample, for CI")
    parser.add_argument("--json", help="also write the record to this JSON file")
    args = parser.parse_args(argv)
    started = time.time()
    try:
        metrics = importlib.import_module(SUITES[args.suite]).run(quick=args.quick)
    except StudioError as e:  # no corpus, no checkpoint: say what to run
        print(f"error: {e}", file=sys.stderr)
        return 2
    result = record(args.suite, metrics, started, time.time() - started)
    print(markdown(result))
    if args.json:
        save(result, args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
