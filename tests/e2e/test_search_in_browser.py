"""Search in a real Chromium against the real `tracker serve` with the example data: from the
home page's search box, "Mogami" finds the frigate selection, which links to its subject."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webdriver import WebDriver

from tests.e2e.browser import wait_until
from tests.e2e.process import TrackerProcess
from tests.e2e.test_pages_in_browser import keep, same_origin_only

FRIGATE_TITLE = "upgraded Mogami-class frigate"


def test_a_search_for_mogami_from_the_home_page_finds_the_frigate_selection(
    browser: WebDriver, example_tracker: TrackerProcess, tmp_path: Path
) -> None:
    browser.set_window_size(1280, 900)
    browser.get(f"{example_tracker.url}/")
    box = browser.find_element(By.ID, "home-q")  # the home page's search box, by keyboard
    box.send_keys("Mogami", Keys.ENTER)
    wait_until(browser, lambda d: urlsplit(d.current_url).path == "/search")
    results = browser.find_element(By.CSS_SELECTOR, '[data-testid="results"]')
    first = results.find_element(By.CSS_SELECTOR, "ol.developments li")
    assert FRIGATE_TITLE in first.text
    assert same_origin_only(browser, example_tracker.url)
    keep(browser, tmp_path, "search")

    first.find_element(By.PARTIAL_LINK_TEXT, "Mogami").click()
    wait_until(browser, lambda d: "/subjects/deal:aus-general-purpose-frigate" in d.current_url)


def test_the_search_page_works_at_360_px_wide(
    browser: WebDriver, example_tracker: TrackerProcess, tmp_path: Path
) -> None:
    browser.set_window_size(360, 800)
    browser.get(f"{example_tracker.url}/search?q=Mogami&type=deal.*")
    width = browser.execute_script("return document.documentElement.scrollWidth")
    assert int(width) <= 360
    results = browser.find_element(By.CSS_SELECTOR, '[data-testid="results"]')
    assert FRIGATE_TITLE in results.text
    keep(browser, tmp_path, "search-narrow")
    browser.set_window_size(1280, 900)
