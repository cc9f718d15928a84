"""The README's screenshot of the Insights page: static/screenshots/insights.png.

Not a test. It serves the benchmark database that bench/load_data.py fills (100,000 leads with
their qualification history) with `manage.py runserver`, signs in as the sales manager in
headless Chromium (Playwright) and photographs "This quarter" for everyone:

    .venv/bin/python bench/load_data.py
    .venv/bin/python bench/screenshot_insights.py             # PORT=8115 by default
    .venv/bin/python bench/screenshot_insights.py --period this_month --out /tmp/insights.png

Chromium: CHROMIUM_PATH, else `chromium` on the PATH, else Playwright's own build.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from load_data import BENCH_PASSWORD, PROJECT_DIR, database_url

MANAGER = "manager"
OUT = PROJECT_DIR / "static" / "screenshots" / "insights.png"
WIDTH = 1400


def _serve(url: str, port: int) -> subprocess.Popen:
    env = {**os.environ, "DATABASE_URL": url, "DEBUG": "true", "ENV_FILE": os.devnull}
    server = subprocess.Popen(
        [sys.executable, "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"],
        cwd=PROJECT_DIR,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    for _ in range(100):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/login/", timeout=1)
            return server
        except OSError:
            time.sleep(0.2)
    server.terminate()
    sys.exit(f"runserver did not answer on port {port}")


def _shoot(base: str, period: str, out: Path) -> None:
    from playwright.sync_api import sync_playwright

    chromium = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            headless=True,
            executable_path=chromium or None,
            args=["--no-sandbox", "--disable-gpu"],
        )
        page = browser.new_page(viewport={"width": WIDTH, "height": 900})
        page.goto(f"{base}/login/")
        page.get_by_label("Username").fill(MANAGER)
        page.get_by_label("Password").fill(BENCH_PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(f"{base}/leads/**")
        page.goto(f"{base}/insights/?period={period}")
        page.get_by_role("region", name="Leads per week").get_by_role("img").wait_for()
        page.screenshot(path=str(out), full_page=True)
        browser.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--period", default="this_quarter", help="this_week, this_month, ...")
    parser.add_argument("--out", type=Path, default=OUT, help="where the PNG goes")
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8115")))
    args = parser.parse_args()
    server = _serve(database_url(), args.port)
    try:
        _shoot(f"http://127.0.0.1:{args.port}", args.period, args.out)
    finally:
        server.terminate()
        server.wait(timeout=10)
    print(f"Wrote {args.out}")


if __name__ == "__main__":
    main()
