"""`python -m studio.irfd`: build IRFD's image set (the model and its tab land next).

python -m studio.irfd make --out data/irfd-set            # 1,100 people × 24 images, 128²
python -m studio.irfd make --preset tiny --out /tmp/irfd  # 8 people × 4 images
"""

from __future__ import annotations

import argparse
import json
import sys

from studio.errors import StudioError
from studio.papers.irfd.imageset import MANIFEST, PRESETS, build_imageset

DEFAULT_SET = "data/irfd-set"


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m studio.irfd", description=__doc__.split("\n")[0])
    sub = p.add_subparsers(dest="command", required=True)
    make = sub.add_parser("make", help="render IRFD's image set (resumes a stopped build)")
    make.add_argument("--out", default=DEFAULT_SET)
    make.add_argument("--preset", choices=sorted(PRESETS), default="default")
    make.add_argument("--workers", type=int, default=0, help="processes (default: up to 2)")
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        folder = build_imageset(
            PRESETS[args.preset],
            args.out,
            args.workers,
            lambda done, total: print(f"chunk {done}/{total}", file=sys.stderr, flush=True),
        )
        print(json.dumps(json.loads((folder / MANIFEST).read_text()), indent=1)[:2000])
    except StudioError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    return 0
