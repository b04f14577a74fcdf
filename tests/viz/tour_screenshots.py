"""Screenshots of a real tour for the README: its index and the translate report's explorer.

Run after ``attnzoo tour --out DIR``::

    PYTHONPATH=src python tests/viz/tour_screenshots.py DIR docs/img

writes ``tour-index.png`` (the index page) and ``explorer-translate.png`` (the first attention explorer of
``DIR/translate/index.html`` with its third target word hovered), in headless Chromium as the browser test.
"""

from __future__ import annotations

import sys
from pathlib import Path


def screenshots(tour_dir: Path, img_dir: Path) -> list[Path]:
    from playwright.sync_api import sync_playwright

    from tests.viz.test_explorer_browser import CHROMIUM, CHROMIUM_ARGS

    img_dir.mkdir(parents=True, exist_ok=True)
    shots = [img_dir / "tour-index.png", img_dir / "explorer-translate.png"]
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1100, "height": 800}, device_scale_factor=1)
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.goto((tour_dir / "index.html").resolve().as_uri())
        page.screenshot(path=str(shots[0]), full_page=True)
        page.goto((tour_dir / "translate" / "index.html").resolve().as_uri())
        view = page.locator(".az-explorer").nth(0)
        view.scroll_into_view_if_needed()
        view.locator(".az-left .az-tok").nth(2).hover()
        view.screenshot(path=str(shots[1]))
        browser.close()
    if errors:
        raise RuntimeError(f"the pages logged errors: {errors}")
    return shots


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    for shot in screenshots(Path(sys.argv[1]), Path(sys.argv[2])):
        print(shot)
