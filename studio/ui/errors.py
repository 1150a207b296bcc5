"""Turn `StudioError`s into Gradio messages, so a user never sees a traceback for bad input."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any

import gradio as gr

from studio.errors import StudioError

log = logging.getLogger(__name__)


def user_errors(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Wrap an event handler: a `StudioError` becomes a `gr.Error` pop-up with its message.

    The handler raises before it returns any new state, so the session's saved sources stay as
    they were.
    """

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except StudioError as error:
            log.info("user error in %s: %s", fn.__name__, error)
            raise gr.Error(str(error), print_exception=False) from None

    return wrapper
