"""`python -m studio.irfd`: IRFD's own command line (studio.papers.irfd.cli)."""
