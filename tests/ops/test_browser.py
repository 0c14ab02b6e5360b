"""Real browser (Debian's Chromium, headless, through Playwright) on a real server replaying simulated MS-09
telemetry: the crew display's plot updates during the replay and the alarm appears once the leak starts;
the Open MCT dashboard loads with the hullbreach plugins and its station view shows the alarm.

Chromium comes from the Debian package (``.ci/run`` installs it when missing); Playwright never downloads a
browser here."""

from __future__ import annotations

import shutil
import time

import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        yield b
        b.close()


@pytest.fixture(scope="module")
def replay(tmp_path_factory, launch, ms09_short):
    """5.5 h of data at 400x: the leak starts 1.5 h in (~14 s), the alarm 0.5-2.5 h later (5-23 s more)."""
    s = launch(tmp_path_factory.mktemp("br") / "a.sqlite", "--replay", str(ms09_short), "--speed", "400")
    yield s
    s.kill()


def _wait(fn, timeout=90.0, every=0.5):
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout:
        v = fn()
        if v:
            return v
        time.sleep(every)
    return fn()


def test_crew_display_updates_and_shows_the_alarm(browser, replay):
    page = browser.new_page(viewport={"width": 1024, "height": 768})  # a tablet
    errors: list = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(replay.url + "crew")
    page.wait_for_function("document.getElementById('pressure').textContent.includes('.')", timeout=60_000)
    t1 = page.inner_text("#data-time")
    n1 = int(page.inner_text("#updated"))
    time.sleep(4.5)
    assert int(page.inner_text("#updated")) >= n1 + 2   # redrawn every 2 s
    assert page.inner_text("#data-time") > t1           # and the plot moved on with the replay
    p = page.inner_text("#pressure")
    assert 700.0 < float(p) < 800.0 and len(p.split(".")[1]) == 1  # read to 0.1 mmHg
    assert page.inner_text("#status") == "NOMINAL" or "LEAK" in page.inner_text("#status")
    status = _wait(lambda: "LEAK ALARM" in page.inner_text("#status"), timeout=120)
    assert status, f"no alarm; status {page.inner_text('#status')!r} at {page.inner_text('#data-time')}"
    assert "days" in page.inner_text("#reserve") and "95 %" in page.inner_text("#reserve-iv")
    assert _wait(lambda: "Step 1:" in page.inner_text("#step"), timeout=30)
    assert "s/mmHg" in page.inner_text("#dtdp") or page.inner_text("#dtdp") == "no loss"
    assert not errors, errors
    page.close()


def test_open_mct_dashboard_loads_with_the_station_view(browser, replay):
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    errors: list = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(replay.url + "#/browse/hullbreach:root/hullbreach:station")
    page.wait_for_selector(".l-shell", timeout=60_000)
    page.wait_for_selector("[data-testid=station-status]", timeout=60_000)
    # the view redraws into a new element on every state message: query it each time (a handle kept from
    # before the alarm is detached and says NOMINAL for ever; the test then passed only when run after the
    # crew-display test, i.e. with the page opened after the alarm)
    status = lambda: page.inner_text("[data-testid=station-status]")  # noqa: E731
    assert _wait(lambda: "LEAK ALARM" in status(), timeout=120), status()
    assert "reserve" in status()
    assert "Next step 1" in page.inner_text("[data-testid=station-step]")
    assert not errors, errors
    page.close()
    # the tree holds the dictionary: raw and derived folders. A fresh page, not a hash change on the old one:
    # a hash-only goto is an in-document navigation that Open MCT may still be busy with (seen once under load)
    folder = browser.new_page(viewport={"width": 1400, "height": 900})
    folder.on("pageerror", lambda e: errors.append(str(e)))
    folder.goto(replay.url + "#/browse/hullbreach:root/hullbreach:derived")
    folder.wait_for_selector(".l-shell", timeout=60_000)
    folder.wait_for_selector("text=reserve_time_s", timeout=60_000)
    assert not errors, errors
    folder.close()
