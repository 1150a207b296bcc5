"""`python -m studio.nerf make | fit | ship | view | orbit` — see studio.papers.nerf.cli."""

from __future__ import annotations

import sys

from studio.papers.nerf.cli import main

if __name__ == "__main__":
    sys.exit(main())
