"""The home page in a real Chromium against a real `tracker serve` with the example data: a
development posted after the page loaded appears at the top of its latest list within 2 s,
through the live feed, with no reload. Saves a screenshot."""

from __future__ import annotations

import json
import time
from pathlib import Path

import requests
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import WebDriverWait

from tests.e2e.browser import screenshot
from tests.e2e.conftest import EXAMPLE_TOKEN
from tests.e2e.process import ROOT, TrackerProcess

DEVELOPMENT = ROOT / "config" / "examples" / "developments" / "deal.clinched.json"
TITLE = "A development posted while the home page was open"


def test_a_development_posted_after_the_home_page_loaded_arrives_within_2_s(
    browser: WebDriver, example_tracker: TrackerProcess, tmp_path: Path
) -> None:
    browser.set_window_size(1100, 900)
    browser.get(f"{example_tracker.url}/")
    latest = browser.find_element(By.CSS_SELECTOR, "[data-stream]")
    before = latest.find_elements(By.CSS_SELECTOR, "ol.developments > li")
    time.sleep(0.5)  # the page's script has connected to the feed by now
    body = {**json.loads(DEVELOPMENT.read_text()), "title": TITLE}
    posted = requests.post(
        f"{example_tracker.url}/v1/events",
        json=body,
        headers={"Authorization": f"Bearer {EXAMPLE_TOKEN}"},
        timeout=10,
    )
    assert posted.status_code == 201, posted.text
    started = time.monotonic()
    first = WebDriverWait(browser, 2).until(
        lambda driver: (
            (items := driver.find_elements(By.CSS_SELECTOR, "[data-stream] ol.developments > li"))
            and TITLE in items[0].text
            and items[0]
        )
    )
    assert time.monotonic() - started <= 2.0
    link = first.find_element(By.TAG_NAME, "a")
    assert link.get_attribute("href").endswith("/subjects/deal%3Aaus-general-purpose-frigate")
    items = latest.find_elements(By.CSS_SELECTOR, "ol.developments > li")
    assert len(items) == len(before) + 1
    assert screenshot(browser, tmp_path, "home-live").stat().st_size > 0
