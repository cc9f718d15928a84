"""The README's screenshots come from the browser tests that reach the screens they show.

`SCREENSHOT_DIR=static/screenshots make test PYTEST_ARGS="tests/browser/test_merge.py
tests/browser/test_opportunity_close.py"` writes them (PNG, headless Chromium, 1280 pixels
wide); without SCREENSHOT_DIR the tests take none.
"""

from __future__ import annotations

import os
from pathlib import Path

from playwright.sync_api import Page

SCREEN = {"width": 1280, "height": 860}


def screenshot(page: Page, name: str, *, full_page: bool = False) -> None:
    folder = os.environ.get("SCREENSHOT_DIR")
    if not folder:
        return
    page.set_viewport_size(SCREEN)
    page.wait_for_load_state("networkidle")
    if full_page:
        # A viewport as tall as the page, rather than Playwright's stitched full page, which
        # repeats the sticky command bar in the middle.
        height = page.evaluate("document.documentElement.scrollHeight")
        page.set_viewport_size({"width": SCREEN["width"], "height": height})
    page.screenshot(path=str(Path(folder) / f"{name}.png"))
    page.set_viewport_size(SCREEN)
