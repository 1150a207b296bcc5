"""Talking-Head Disentanglement Studio: tools to see and measure how talking-head models
separate identity, lips, emotion and head pose."""

from studio.errors import StudioError

__version__ = "0.1.0"
__all__ = ["StudioError", "__version__"]
