"""`python -m studio.irfd make | ship | swap` — see studio.papers.irfd.cli."""

from __future__ import annotations

import sys

from studio.papers.irfd.cli import main

if __name__ == "__main__":
    sys.exit(main())
