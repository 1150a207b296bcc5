"""Tests of studio.eval: metrics on constructed inputs with known answers."""
