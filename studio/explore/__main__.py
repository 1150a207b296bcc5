"""`python -m studio.explore ship-bank [--corpus DIR] [--out FILE]`: write the JEAN code bank
that lets the Interpolation and t-SNE tabs run without a corpus (assets/jean_bank.npz)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from studio.errors import StudioError
from studio.explore.bank import DEFAULT_CORPUS, SHIPPED_BANK, ship_bank


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m studio.explore")
    sub = parser.add_subparsers(dest="command", required=True)
    ship = sub.add_parser("ship-bank", help="codes of 5,000 held-out frames for the tabs")
    ship.add_argument("--corpus", default=str(DEFAULT_CORPUS))
    ship.add_argument("--out", default=str(SHIPPED_BANK))
    args = parser.parse_args(argv)
    try:
        out = ship_bank(args.corpus, Path(args.out))
    except StudioError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    print(f"wrote {out} ({out.stat().st_size / 1e6:.2f} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
