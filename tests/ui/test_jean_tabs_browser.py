"""End to end: the Expression interpolation and t-SNE explorer tabs in headless Chromium.

Needs the shipped JEAN checkpoint and its held-out codes: the default SynthTalk corpus or,
without it, the shipped bank (assets/jean_bank.npz) — which is what CI exercises."""

from pathlib import Path

import pytest

from tests.ui.conftest import needs_checkpoint
from tests.ui.entry import set_slider

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "runs" / "screenshots"


@pytest.fixture(autouse=True)
def _needs_jean():
    if not (ROOT / "checkpoints" / "jean.safetensors").exists():
        pytest.skip("no JEAN checkpoint: python -m studio.train jean")
    from studio.papers.jean.codes import shipped_bank

    has_corpus = (ROOT / "data" / "synthtalk-default" / "manifest.json").exists()
    if not has_corpus and shipped_bank() is None:
        pytest.skip("no corpus and no shipped bank: python -m studio.explore ship-bank")


def _image_src(page, elem_id: str) -> str:
    return page.evaluate(
        f"() => {{ const i = document.querySelector('#{elem_id} img'); return i ? i.src : ''; }}"
    )


def test_interpolation_slider_rerenders_and_exports(page):
    page.get_by_role("tab", name="Expression interpolation").click()
    set_slider(page, "interp-alpha", 0.0)
    page.wait_for_selector("#interp-image img")
    page.wait_for_function(
        "() => { const p = document.querySelector('#interp-bars .js-plotly-plot');"
        " return p && p.data && p.data.length > 0; }"
    )
    first = _image_src(page, "interp-image")
    page.wait_for_function(  # live at 256 px: an expression is hard to judge at 128
        "() => { const i = document.querySelector('#interp-image img');"
        " return i && i.complete && i.naturalWidth === 256; }"
    )
    set_slider(page, "interp-alpha", 1.5)
    page.wait_for_function(
        f"() => {{ const i = document.querySelector('#interp-image img');"
        f" return i && i.src !== {first!r}; }}"
    )
    page.locator("#interp-strip-button").click()
    page.wait_for_selector("#interp-strip img")
    for elem_id, suffix in (("interp-gif", ".gif"), ("interp-mp4", ".mp4")):
        page.wait_for_function(
            f"() => Array.from(document.querySelectorAll('#{elem_id} a'))"
            f".some(a => (a.href || '').includes('{suffix}'))"
        )
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "jean_interpolation.png"), full_page=True)


def test_the_tsne_map_is_drawn_when_the_tab_opens(page):
    page.get_by_role("tab", name="t-SNE explorer").click()
    page.wait_for_function(  # no "Compute map" pressed
        "() => { const p = document.querySelector('#tsne-plot .js-plotly-plot');"
        " return p && p.data && p.data.length >= 8; }",
    )
    page.wait_for_selector("#tsne-scores >> text=Codes from")
    page.wait_for_function(  # and its points can be clicked
        "() => { const p = document.querySelector('#tsne-plot .js-plotly-plot');"
        " return p && p._jeanClick; }"
    )


def test_tsne_map_scores_point_and_send_to_interpolation(page):
    page.get_by_role("tab", name="t-SNE explorer").click()
    set_slider(page, "tsne-points", 1000)
    page.locator("#tsne-run").click()
    page.wait_for_function(
        "() => { const p = document.querySelector('#tsne-plot .js-plotly-plot');"
        " return p && p.data && p.data.length >= 8; }",  # one trace per emotion
    )
    page.wait_for_selector("#tsne-scores >> text=silhouette")
    # recolouring redraws the same map by intensity (levels 1-3) without "Compute map"
    page.locator("#tsne-colour label", has_text="intensity").click()
    page.wait_for_function(
        "() => { const p = document.querySelector('#tsne-plot .js-plotly-plot');"
        " return p && p.data && p.data.length < 8"
        " && p.data.every(d => /^[0-9]$/.test(d.name)); }"
    )
    # click a real point of the map (once the page has hooked its click): its frame appears
    page.wait_for_function(
        "() => { const p = document.querySelector('#tsne-plot .js-plotly-plot');"
        " return p && p._jeanClick; }"
    )
    page.evaluate(
        "() => { const p = document.querySelector('#tsne-plot .js-plotly-plot');"
        " p.emit('plotly_click', {points: [{customdata: 5}]}); }"
    )
    page.wait_for_selector("#tsne-frame img")
    page.wait_for_selector("#tsne-point-info >> text=#5")
    # the points slider moves after the map is drawn: a click still reads the drawn map
    set_slider(page, "tsne-points", 3000)
    page.evaluate(
        "() => { const p = document.querySelector('#tsne-plot .js-plotly-plot');"
        " p.emit('plotly_click', {points: [{customdata: 999}]}); }"
    )
    page.wait_for_selector("#tsne-point-info >> text=#999")
    shown = page.locator("#tsne-point-info").inner_text()
    # sending opens the interpolation tab with the clip, and no error pops up on the way
    page.locator("#tsne-send-b").click()
    page.wait_for_function(  # the tab opens by itself: the box appears, then fills
        "() => { const e = document.querySelector('#interp-clip-B textarea, #interp-clip-B input');"
        " return e && e.value.startsWith('id'); }"
    )
    page.wait_for_selector("#interp-image img")
    clip = page.evaluate(
        "() => document.querySelector('#interp-clip-B textarea, #interp-clip-B input').value"
    )
    assert clip in shown  # the point the map showed, not one of a 3,000-point bank
    assert page.get_by_text("Type a SynthTalk clip id").count() == 0
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "jean_tsne.png"), full_page=True)


def test_a_clip_id_is_checked_when_entered_not_while_typed(page):
    page.get_by_role("tab", name="Expression interpolation").click()
    page.locator("#interp-kind-A label", has_text="SynthTalk clip").click()
    page.wait_for_selector("#interp-note >> text=Type a SynthTalk clip id for source A")
    box = page.locator("#interp-clip-A textarea, #interp-clip-A input").first
    box.press_sequentially("id033_s06_happy9", delay=30)
    box.press("Enter")
    page.wait_for_selector("text=is not in the")
    # events run in order, so a check per keystroke would have raised before Enter's: one
    # message in all means the id was checked once, when entered (no waiting for nothing)
    assert page.get_by_text("is not in the").count() == 1


def test_sending_before_a_point_is_chosen_asks_for_one(page):
    page.get_by_role("tab", name="t-SNE explorer").click()
    page.locator("#tsne-send-a").click()
    page.wait_for_selector("text=Choose a point first")
    kind = page.locator("#interp-kind-A input:checked")  # source A was left as it was
    assert kind.count() == 0 or kind.first.get_attribute("value") == "emotion label"


def test_a_users_photo_on_the_map_gets_a_novelty_score(page):
    """The user's emotion source (a photo) joins the map with its distance to the bank, in the
    bank's own percentiles, and the map says where its codes came from."""
    page.locator("#emotion-image input[type=file]").set_input_files(
        str(ROOT / "assets" / "portrait.jpg")
    )
    page.wait_for_selector("#sources-status >> text=portrait.jpg: 1 frame(s), face in 1")
    page.get_by_role("tab", name="t-SNE explorer").click()
    set_slider(page, "tsne-points", 500)
    page.locator("#tsne-run").click()
    page.wait_for_selector("#tsne-scores >> text=percentile of the bank's own")
    page.wait_for_selector("#tsne-scores >> text=Codes from")
    hover = page.evaluate(
        "() => document.querySelector('#tsne-plot .js-plotly-plot').data"
        ".flatMap(d => d.hovertext).filter(t => t.includes('your clip'))"
    )
    assert len(hover) == 1 and "novelty:" in hover[0]


def test_the_tsne_tab_maps_irfd_codes_too(page):
    needs_checkpoint("irfd")
    page.get_by_role("tab", name="t-SNE explorer").click()
    page.wait_for_selector("#tsne-scores >> text=Codes from")  # the JEAN map first
    page.locator("#tsne-model label", has_text="IRFD").click()
    page.wait_for_selector("#tsne-scores >> text=IRFD's 100 held-out people")
    page.wait_for_selector("#tsne-scores >> text=other images")
    page.wait_for_function(  # coloured by identity: one trace per held-out person
        "() => { const p = document.querySelector('#tsne-plot .js-plotly-plot');"
        " return p && p.data && p.data.length === 100; }"
    )
    page.wait_for_function(
        "() => { const p = document.querySelector('#tsne-plot .js-plotly-plot');"
        " return p && p._jeanClick; }"
    )
    page.evaluate(
        "() => { const p = document.querySelector('#tsne-plot .js-plotly-plot');"
        " p.emit('plotly_click', {points: [{customdata: 9}]}); }"
    )
    page.wait_for_selector("#tsne-point-info >> text=IRFD person 1001")  # image 9 = 2nd person
    page.wait_for_selector("#tsne-frame img")
    # the score table's headers keep whole words in the narrow column (one line per word)
    heights = page.evaluate(
        "() => Array.from(document.querySelectorAll('#tsne-scores th')).map(th => {"
        " const r = document.createRange(); r.selectNodeContents(th);"
        " const words = th.innerText.split(/\\s+/).length;"
        " return r.getClientRects().length <= words; })"
    )
    assert heights and all(heights)
