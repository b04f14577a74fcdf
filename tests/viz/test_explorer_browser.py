"""The explorer in a real browser: headless Chromium (Debian's ``chromium``) driven by playwright.

Hovering a word must show the weights embedded in the page for that word (and the chosen layer, head or
model); any JavaScript error or console error fails the test, and so does any request that leaves the disk.
Skipped only when the chromium binary is absent (``.ci/run`` installs it).
"""

import json
import re
import shutil

import numpy as np
import pytest

from tests.viz.explorer_demo import demo_report

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

pytestmark = pytest.mark.skipif(
    shutil.which(CHROMIUM) is None,
    reason="!!! NO CHROMIUM BINARY: the explorer's browser test did NOT run. "
    "Install it with `apt-get install -y chromium` (.ci/run does) !!!",
)


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    return demo_report(tmp_path_factory.mktemp("explorer") / "demo")


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright  # the test extra; a missing driver fails, not skips

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser, report):
    pg = browser.new_page(viewport={"width": 1000, "height": 900})
    problems = []
    pg.on("console", lambda m: problems.append(f"console {m.type}: {m.text}") if m.type == "error" else None)
    pg.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    pg.on("request", lambda r: None if r.url.startswith(("file:", "data:")) else problems.append(r.url))
    pg.goto(report.as_uri())
    assert pg.locator("div.az-explorer[data-az-mounted]").count() == 6, problems
    assert pg.locator(".az-explorer .az-note", has_text="explorer failed").count() == 0, problems
    yield pg
    pg.close()
    assert problems == [], problems


def embedded(pg, n):
    """The JSON data of the n-th explorer on the page."""
    return json.loads(pg.locator("div.az-explorer").nth(n).locator("script.az-data").text_content())


def shown_numbers(view):
    return [float(t) for t in view.locator(".az-right .az-num").all_text_contents()]


def close(shown, expect, digits):
    np.testing.assert_allclose(shown, expect, atol=0.5 * 10**-digits + 1e-9, rtol=0)


def test_alignment_hover_shows_the_weights_of_the_chosen_layer_head_and_rollout(page):
    view, d = page.locator("div.az-explorer").nth(0), embedded(page, 0)
    heads = [np.array(m["heads"]) for m in d["maps"]]  # each (H, T, S)
    assert view.locator(".az-right .az-num").all_text_contents() == [""] * len(d["source"])  # nothing hovered
    for i in (1, 3):  # two target words: the numbers change to the right ones
        view.locator(".az-left .az-tok").nth(i).hover()
        close(shown_numbers(view), heads[0][:, i].mean(0), d["digits"])  # all heads: their mean
    assert "attends most to" in view.locator(".az-readout").text_content()
    selects = view.locator("select")
    selects.nth(0).select_option("1")  # layer 2
    view.locator(".az-left .az-tok").nth(2).hover()
    close(shown_numbers(view), heads[1][:, 2].mean(0), d["digits"])
    selects.nth(1).select_option("0")  # head 1 of layer 2: the sharp alignment, "cat" -> "chat"
    view.locator(".az-left .az-tok").nth(2).hover()
    close(shown_numbers(view), heads[1][0, 2], d["digits"])
    assert "\u201ccat\u201d attends most to \u201cchat\u201d" in view.locator(".az-readout").text_content()
    lines = view.locator("svg.az-lines line")
    assert lines.count() == int((heads[1][0, 2] > 0).sum())  # one line a source word, for the hovered word
    page.mouse.move(900, 10)  # leaving clears the numbers
    assert view.locator(".az-right .az-num").all_text_contents() == [""] * len(d["source"])

    rollout_view, r = page.locator("div.az-explorer").nth(1), embedded(page, 1)
    assert [m["name"] for m in r["maps"]][-1] == "rollout (all layers)"
    rollout_view.locator("select").nth(0).select_option(str(len(r["maps"]) - 1))
    assert not rollout_view.locator("select").nth(1).is_visible()  # one map, no head menu
    rollout_view.locator(".az-left .az-tok").nth(4).hover()
    close(shown_numbers(rollout_view), np.array(r["maps"][-1]["heads"])[0, 4], r["digits"])


def test_text_hover_and_model_toggle(page):
    view, d = page.locator("div.az-explorer").nth(2), embedded(page, 2)
    doc = d["docs"][0]
    words = view.locator(".az-doc").nth(0).locator(".az-tok")
    shade = lambda: words.evaluate_all("ws => ws.map(w => getComputedStyle(w).backgroundColor)")  # noqa: E731
    before = shade()
    words.nth(9).hover()
    readout = view.locator(".az-doc").nth(0).locator(".az-readout")
    vals = readout.locator(".az-val").all_text_contents()
    assert [v.rsplit(" ", 1)[0] for v in vals] == d["models"]
    close([float(v.rsplit(" ", 1)[1]) for v in vals], [doc["weights"][m][9] for m in range(2)], d["digits"])
    assert readout.locator(".az-val").nth(0).evaluate("v => v.style.fontWeight") == "bold"
    view.locator("input[type=radio]").nth(1).check()
    assert shade() != before  # mean pooling: every word the same shade
    assert len(set(shade())) == 1
    assert view.locator(".az-doc").nth(0).locator(".az-note").nth(1).text_content() == doc["notes"][1]
    words.nth(2).hover()
    assert readout.locator(".az-val").nth(1).evaluate("v => v.style.fontWeight") == "bold"


def test_image_glimpse_and_ocr_views(page):
    cap, d = page.locator("div.az-explorer").nth(3), embedded(page, 3)
    canvas = cap.locator("canvas")
    page.wait_for_function(
        "el => el.getContext('2d').getImageData(1, 1, 1, 1).data[3] > 0", arg=canvas.element_handle()
    )
    plain = canvas.evaluate("c => c.toDataURL()")
    cap.locator(".az-tok").nth(5).hover()  # "blue"
    w = np.array(d["weights"][5])
    r, c = np.unravel_index(w.argmax(), w.shape)
    text = cap.locator(".az-readout").text_content()
    assert f"peak {w.max():.{d['digits']}f} at row {r + 1}, column {c + 1}" in text
    assert canvas.evaluate("c => c.toDataURL()") != plain  # the overlay is drawn

    ram, g = page.locator("div.az-explorer").nth(4), embedded(page, 4)
    assert ram.locator(".az-step").text_content() == f"glimpse 1 of {len(g['steps'])}"
    ram.locator("button").nth(1).click()
    ram.locator("button").nth(1).click()
    assert ram.locator(".az-step").text_content() == f"glimpse 3 of {len(g['steps'])}"
    assert g["steps"][2]["note"] in ram.locator(".az-readout").text_content()
    ram.locator("input[type=range]").fill(str(len(g["steps"]) - 1))
    assert ram.locator(".az-step").text_content().startswith(f"glimpse {len(g['steps'])} ")

    ocr, o = page.locator("div.az-explorer").nth(5), embedded(page, 5)
    ocr.locator(".az-tok").nth(3).hover()
    w = np.array(o["weights"][3])
    assert re.search(
        rf"peak {w.max():.{o['digits']}f} at column {w.argmax() + 1} of {w.size}",
        ocr.locator(".az-readout").text_content(),
    )
