"""Start the Talking-Head Disentanglement Studio: `python app.py` (also the Space's entry point)."""

import gc
import logging
import os

from studio.ui.app import CSS, build_app

if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    app = build_app()
    # the thousands of objects built so far live as long as the process: out of the collector's
    # sight, a full collection under load paused every session ≈ 0.3 s rather than ≈ 0.04 s
    # (measured with `python -m studio.bench ui-load`, 8 sessions)
    gc.collect()
    gc.freeze()
    app.launch(
        server_name=os.environ.get("GRADIO_SERVER_NAME", "127.0.0.1"),
        server_port=int(os.environ.get("GRADIO_SERVER_PORT", "7860")),
        css=CSS,
    )
