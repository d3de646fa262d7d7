"""The classroom app in a real headless Chromium: change a model and the silo slider, step, see KPIs move."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
IN_CI = os.environ.get("CI", "").lower() == "true"


def _require(condition: bool, why: str) -> None:
    """In CI a missing prerequisite fails the test loudly; elsewhere it skips."""
    if condition:
        return
    if IN_CI:
        pytest.fail(f"{why} (CI=true: the browser test must run; see `make chromium app-assets`)")
    pytest.skip(why)


@pytest.fixture
def server(tmp_path: Path):
    """``silosim app`` on a free localhost port; always terminated."""
    from simulation.app.assets import missing_packages
    from simulation.cli.app import free_port

    _require(Path(CHROMIUM).exists(), f"{CHROMIUM} is missing")
    _require(not missing_packages(), "Solara's browser assets are not cached offline (make app-assets)")
    port = free_port()
    log = (tmp_path / "server.log").open("w")
    env = {**os.environ, "MPLBACKEND": "Agg", "SOLARA_TELEMETRY_MIXPANEL_ENABLE": "False"}
    silosim = Path(sys.executable).with_name("silosim")
    command = [str(silosim)] if silosim.exists() else [sys.executable, "-m", "simulation.cli"]
    proc = subprocess.Popen([*command, "app", "--port", str(port)], stdout=log, stderr=subprocess.STDOUT, env=env)
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(url, timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                log.flush()
                pytest.fail(f"app server did not answer on {url}:\n{(tmp_path / 'server.log').read_text()}")
            time.sleep(0.3)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


def test_change_model_and_silo_then_step_changes_kpis(server: str, tmp_path: Path) -> None:
    playwright = pytest.importorskip("playwright.sync_api")
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1500, "height": 1000})
            page.set_default_timeout(20_000)
            page.goto(server)
            kpis = page.locator(".silosim-kpis")
            kpis.get_by_text("Press Step").wait_for()

            # left org model -> center_of_excellence
            page.locator(".silosim-left .v-select").click()
            page.get_by_role("option", name="center_of_excellence").click()
            page.locator(".silosim-left").get_by_text("Center of Excellence", exact=False).first.wait_for()
            # silo slider of the left model: End -> 1.0
            slider = page.locator(".silosim-left [role=slider]")
            slider.focus()
            slider.press("End")
            page.locator(".silosim-left").get_by_text("silo strength 1.00").wait_for()

            step = page.get_by_role("button", name="Step")
            step.click()
            kpis.locator("table").wait_for()
            page.get_by_text("day 1, 09:00").wait_for()  # one one-hour step from 08:00
            first = kpis.inner_text()
            assert "center_of_excellence (left)" in first
            shown = first
            for hour in range(10, 14):  # each step must change the KPI values on the page
                step.click()
                page.wait_for_function("old => document.querySelector('.silosim-kpis').innerText !== old", arg=shown)
                # the clock has moved too: the next click lands on a page the step has finished redrawing
                page.get_by_text(f"day 1, {hour}:00").wait_for()
                shown = kpis.inner_text()
            assert shown != first
            page.get_by_text("day 1, 13:00").wait_for()  # five one-hour steps from 08:00
            page.screenshot(path=str(tmp_path / "app.png"))
            kpis.scroll_into_view_if_needed()
            page.screenshot(path=str(tmp_path / "app-kpis.png"))
            keep = os.environ.get("SILOSIM_SCREENSHOT_DIR")  # to look at the screenshots after the run
            if keep:
                for name in ("app.png", "app-kpis.png"):
                    shutil.copy(tmp_path / name, Path(keep) / name)
        finally:
            browser.close()


def _snapshot(directory: Path) -> dict[str, tuple[int, float]]:
    return {str(p.relative_to(directory)): (p.stat().st_size, p.stat().st_mtime) for p in directory.rglob("*")}


def test_no_request_can_change_the_offline_asset_cache(server: str) -> None:
    """Solara's CDN proxy deletes a cached directory that a GET names; the app's server must not."""
    from simulation.app.assets import FONT_AWESOME, cache_dir

    package = cache_dir() / FONT_AWESOME
    subdirs = sorted(p for p in package.iterdir() if p.is_dir())
    assert subdirs, f"{package} has no subdirectory to attack"
    before = _snapshot(cache_dir())
    for target in (subdirs[0], package):
        url = f"{server}_solara/cdn/{target.relative_to(cache_dir()).as_posix()}"
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(url, timeout=10)
        assert refused.value.code == 404
    assert _snapshot(cache_dir()) == before, "a request changed the asset cache"
    css = next(subdirs[0].rglob("*.css"), None) or next(p for p in subdirs[0].rglob("*") if p.is_file())
    with urllib.request.urlopen(f"{server}_solara/cdn/{css.relative_to(cache_dir()).as_posix()}", timeout=10) as ok:
        assert ok.status == 200 and ok.read() == css.read_bytes()

    playwright = pytest.importorskip("playwright.sync_api")
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            page.set_default_timeout(20_000)
            page.goto(server)
            page.locator(".silosim-kpis").get_by_text("Press Step").wait_for()  # the page still loads offline
        finally:
            browser.close()
