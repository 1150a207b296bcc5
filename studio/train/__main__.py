"""Train a model on SynthTalk and ship it: `python -m studio.train <model> [options]`.

The models are every checkpoint of every paper folder in the registry (`studio.registry`); each
adds its own options. Writes runs/<model>/ (log.jsonl, resumable training state) and, unless
--no-ship, checkpoints/<model>.safetensors + .json with the metrics measured on held-out
identities.
"""

from __future__ import annotations

import argparse
import logging
import sys

from studio import registry
from studio.errors import StudioError
from studio.nn.spec import Model
from studio.paths import default_corpus, shown


def parser_for(models: dict[str, Model]) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m studio.train",
        epilog="models: " + "; ".join(f"{n}: {m.about}" for n, m in models.items()),
    )
    parser.add_argument("model", choices=sorted(models))
    parser.add_argument("--corpus", default=shown(default_corpus()))
    parser.add_argument("--steps", type=int)
    parser.add_argument("--batch-size", type=int)
    parser.add_argument("--lr", type=float)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", help="run folder (default runs/<model>)")
    parser.add_argument("--checkpoints", help="where to ship the checkpoint (default checkpoints/)")
    parser.add_argument("--resume", action="store_true", help="continue from the run folder")
    parser.add_argument("--quick", action="store_true", help="few steps, small evaluation")
    parser.add_argument("--no-ship", action="store_true", help="do not write checkpoints/")
    for model in models.values():
        if model.options is not None:
            model.options(parser)
    return parser


def main(argv: list[str] | None = None, models: dict[str, Model] | None = None) -> int:
    models = models if models is not None else registry.models()
    args = parser_for(models).parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    try:
        models[args.model].train(args, argv if argv is not None else sys.argv[1:])
    except StudioError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
