"""Turn `StudioError`s into one message for the user, so a user never sees a traceback for bad
input and never loses what the session already shows."""

from __future__ import annotations

import functools
import inspect
import logging
from collections.abc import Callable
from typing import Any

import gradio as gr

from studio.errors import StudioError

log = logging.getLogger(__name__)

# Gradio 6.31's toasts group messages by level and head each group with the level's name
# ("Warning"); this title is passed for versions that show it, so the message itself must say
# what was not done.
ERROR_TITLE = "Not done"


def user_errors(
    fn: Callable[..., Any] | None = None, *, on_error: Callable[..., Any] | None = None
) -> Callable[..., Any]:
    """Wrap an event handler: a `StudioError` becomes one pop-up with its message, and every
    output keeps what it showed (`gr.skip()`), or gets what `on_error(error, *args, **kwargs)`
    returns (e.g. to empty an upload box that holds a rejected file, or to leave the message
    in the tab's status line, where it stays after the pop-up fades).

    Why not `raise gr.Error`: Gradio then marks every output of the event with its own red
    "Error" badge, hiding the views that were fine. The handler fails before it returns new
    state, so the session's saved sources stay as they were. Use as `@user_errors` or
    `user_errors(fn, on_error=...)`.
    """
    if fn is None:
        return functools.partial(user_errors, on_error=on_error)

    def shown(error: StudioError, *args: Any, **kwargs: Any) -> Any:
        log.info("user error in %s: %s", fn.__name__, error)
        gr.Warning(str(error), title=ERROR_TITLE)
        return on_error(error, *args, **kwargs) if on_error is not None else gr.skip()

    if inspect.isgeneratorfunction(fn):  # a streaming handler (progress previews)

        @functools.wraps(fn)
        def streaming(*args: Any, **kwargs: Any) -> Any:
            try:
                yield from fn(*args, **kwargs)
            except StudioError as error:
                yield shown(error, *args, **kwargs)

        return streaming

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except StudioError as error:
            return shown(error, *args, **kwargs)

    return wrapper
