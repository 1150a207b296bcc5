"""The Gradio studio: `build_app()` assembles the tabs; each tab lives in its own module."""
