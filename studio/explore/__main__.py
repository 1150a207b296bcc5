"""`python -m studio.explore ship-bank [--corpus DIR] [--out FILE]`: write the JEAN code bank
that lets the Interpolation and t-SNE tabs run without a corpus (assets/jean_bank.npz).
`python -m studio.explore ship-maps`: the t-SNE tab's default maps of that bank (assets/tsne/),
so a fresh machine opens the tab with a map drawn.
`python -m studio.explore ship-irfd-bank`: IRFD's codes of its held-out people and their maps
(assets/irfd_bank-<key>.npz, assets/tsne/), so the t-SNE tab's IRFD view opens at once.
`python -m studio.explore scores [--points N]`: the t-SNE tab's cluster scores of every code
(5-NN accuracy with folds by clip, chance, silhouette) against emotion, identity and sentence."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from studio.errors import StudioError
from studio.eval.tsne import SHIPPED_DIR, write_map
from studio.explore.scores import label_scores
from studio.papers.irfd import bank as irfd_bank
from studio.papers.jean.codes import CODE_NAMES, SHIPPED_BANK, corpus_bank, ship_bank, shipped_bank
from studio.paths import default_corpus

TAB_POINTS, TAB_PERPLEXITY = 2000, 30.0  # the t-SNE tab's defaults


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m studio.explore")
    sub = parser.add_subparsers(dest="command", required=True)
    ship = sub.add_parser("ship-bank", help="codes of 5,000 held-out frames for the tabs")
    ship.add_argument("--corpus", default=str(default_corpus()))
    ship.add_argument("--out", default=str(SHIPPED_BANK))
    sub.add_parser("ship-maps", help="the t-SNE tab's default maps of the shipped bank")
    sub.add_parser("ship-irfd-bank", help="IRFD codes of its held-out people + their maps")
    table = sub.add_parser("scores", help="cluster scores of the codes of held-out frames")
    table.add_argument("--corpus", default=str(default_corpus()))
    table.add_argument("--points", type=int, default=2000, help="frames sampled (≤ 5,000)")
    args = parser.parse_args(argv)
    try:
        if args.command == "scores":
            print_scores(corpus_bank(args.corpus, max_points=args.points))
            return 0
        if args.command == "ship-irfd-bank":
            for path in ship_irfd():
                print(f"wrote {path}")
            return 0
        if args.command == "ship-maps":
            for path in ship_maps():
                print(f"wrote {path}")
            return 0
        out = ship_bank(args.corpus, Path(args.out))
    except StudioError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    print(f"wrote {out} ({out.stat().st_size / 1e6:.2f} MB)")
    return 0


def ship_maps(points: int = TAB_POINTS, perplexity: float = TAB_PERPLEXITY) -> list[Path]:
    """Each code's map of the shipped bank at the tab's defaults, into assets/tsne/ (the file
    name is the map's content key, so `embed` finds it for exactly these codes)."""
    bank = shipped_bank(points)
    if bank is None:
        raise StudioError("No shipped bank for this checkpoint: python -m studio.explore ship-bank")
    return [write_map(bank.codes[code], perplexity, SHIPPED_DIR) for code in CODE_NAMES]


def ship_irfd(perplexity: float = TAB_PERPLEXITY) -> list[Path]:
    """IRFD's held-out bank into assets/ and each code's map at the tab's perplexity."""
    path = irfd_bank.ship_bank()
    bank = irfd_bank.held_out_bank()
    return [path] + [
        write_map(bank.codes[code], perplexity, SHIPPED_DIR) for code in irfd_bank.FACTOR_CODES
    ]


def print_scores(bank) -> None:
    print(f"{len(bank)} frames; 5-NN with folds by clip (a frame's own clip never votes)")
    print("| code | label | 5-NN acc. | chance | silhouette |")
    print("|---|---|---|---|---|")
    for code in CODE_NAMES:
        for by, s in label_scores(bank, code).items():
            print(
                f"| {code} | {by} | {s['knn_accuracy']:.3f} | {s['chance']:.3f} "
                f"| {s['silhouette']:.3f} |"
            )


if __name__ == "__main__":
    sys.exit(main())
