"""The analyst's pages in a real Chromium against the real `tracker serve` with the example
data, the browser cut off from every other host."""

from __future__ import annotations

from pathlib import Path

from selenium.webdriver.remote.webdriver import WebDriver

from tests.e2e.browser import screenshot
from tests.e2e.process import TrackerProcess


def test_the_browser_reaches_the_served_example_data(
    browser: WebDriver, example_tracker: TrackerProcess, tmp_path: Path
) -> None:
    browser.get(f"{example_tracker.url}/v1/relationships/AUS-JPN")
    assert "Reciprocal Access Agreement" in browser.page_source
    assert screenshot(browser, tmp_path, "relationship-json").stat().st_size > 0
