"""Run a benchmark suite: `python -m studio.bench <suite> [--quick] [--json out.json]`.

The suites are the studio's own (`studio.bench.suites.CORE`) and every paper's in the registry.
"""

from __future__ import annotations

import argparse
import sys
import time

from studio.bench.report import markdown, record, save
from studio.bench.suites import all_suites
from studio.errors import StudioError
from studio.nn.spec import Suite


def main(argv: list[str] | None = None, suites: dict[str, Suite] | None = None) -> int:
    suites = suites if suites is not None else all_suites()
    parser = argparse.ArgumentParser(
        prog="python -m studio.bench",
        epilog="suites: " + "; ".join(f"{n}: {s.about}" for n, s in suites.items()),
    )
    parser.add_argument("suite", choices=sorted(suites))
    parser.add_argument("--quick", action="store_true", help="a small sample, for CI")
    parser.add_argument("--json", help="also write the record to this JSON file")
    args = parser.parse_args(argv)
    started = time.time()
    try:
        metrics = suites[args.suite].run(quick=args.quick)
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
