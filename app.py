"""Start the Talking-Head Disentanglement Studio: `python app.py` (also the Space's entry point)."""

import logging
import os

from studio.ui.app import CSS, build_app

if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    build_app().launch(
        server_name=os.environ.get("GRADIO_SERVER_NAME", "127.0.0.1"),
        server_port=int(os.environ.get("GRADIO_SERVER_PORT", "7860")),
        css=CSS,
    )
