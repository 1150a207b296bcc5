"""Typing into Gradio controls so that the value sticks.

Measured (session 23): a textbox inside an accordion that has just opened takes a Playwright
`fill`, then Gradio puts the old value back 5–30 ms later in about a quarter of tries (the
accordion's content is still mounting), so a click right after sent the old text — the orbit
test rendered the example sentence and waited 4 minutes for the empty-text message. These
helpers set a value, then wait until the control has held it over several animation frames,
and set it again when it was put back. They wait for conditions, never for a fixed time.
"""

from __future__ import annotations

from playwright.sync_api import Locator, Page
from playwright.sync_api import TimeoutError as PlaywrightTimeout

HELD_FRAMES = 15  # ≈ 250 ms at 60 frames/s: the put-back came within 2 frames
TRIES = 20

_HELD_JS = """async ([selector, property, want, frames]) => {
    for (let k = 0; k < frames; k++) {
        await new Promise(r => requestAnimationFrame(r));
        const e = document.querySelector(selector);
        if (!e || e[property] !== want) return false;
    }
    return true;
}"""


def _held(page: Page, selector: str, property_: str, want: object) -> bool:
    return page.evaluate(_HELD_JS, [selector, property_, want, HELD_FRAMES])


def fill_text(page: Page, selector: str, text: str) -> None:
    """Type `text` into the textbox or textarea at CSS `selector` until it holds it."""
    box = page.locator(selector)
    for _ in range(TRIES):
        box.fill(text)
        if _held(page, selector, "value", text):
            return
    raise AssertionError(f"{selector} never kept the text {text!r}")


def check_box(page: Page, selector: str) -> None:
    """Tick the checkbox at CSS `selector` until it stays ticked."""
    box: Locator = page.locator(selector)
    for _ in range(TRIES):
        box.check()
        if _held(page, selector, "checked", True):
            return
    raise AssertionError(f"the checkbox {selector} never stayed ticked")


def set_slider(page: Page, elem_id: str, value: float | int) -> None:
    """Type `value` into a Gradio slider's number box until the slider itself holds it: an
    event reads the slider's value, and a value typed while the page was busy was once lost
    (a fit then ran its default 2,000 steps, ≈ 15 min)."""
    box = page.locator(f"#{elem_id} input[type=number]")
    slider = f"document.querySelector('#{elem_id} input[type=range]')"
    held = f"() => Number(({slider} || {{}}).value) === {float(value)!r}"
    for _ in range(TRIES):
        box.fill(str(value))
        box.press("Enter")
        try:
            page.wait_for_function(held, timeout=3000)
            return
        except PlaywrightTimeout:
            continue
    raise AssertionError(f"#{elem_id} never took the value {value}")
