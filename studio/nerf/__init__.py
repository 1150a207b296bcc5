"""`python -m studio.nerf`: the Talking NeRF's own command line (studio.papers.nerf.cli)."""
