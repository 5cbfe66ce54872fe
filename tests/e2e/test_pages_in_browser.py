"""The analyst's pages in a real Chromium against the real `tracker serve` with the example
data, the browser cut off from every host but loopback. Each test saves a screenshot in its
tmp dir; with README_SCREENSHOTS=1 the README's two are written to docs/ as well."""

from __future__ import annotations

import os
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import requests
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.remote.webelement import WebElement

from tests.e2e.browser import screenshot, wait_until
from tests.e2e.process import ROOT, TrackerProcess

README_SHOTS = ROOT / "docs"
RAA_TITLE = "Reciprocal Access and Cooperation"
CRAWL_LIMIT = 60
README_SIZE = (1100, 1250)


def keep(driver: WebDriver, folder: Path, name: str) -> Path:
    path = screenshot(driver, folder, name)
    assert path.stat().st_size > 0
    return path


def keep_for_readme(
    driver: WebDriver, folder: Path, name: str, start: WebElement | None = None
) -> None:
    """A screenful at the README's size, from `start` if given (copied to docs/ with
    README_SCREENSHOTS=1), then the whole page."""
    driver.set_window_size(*README_SIZE)
    if start is not None:
        driver.execute_script("arguments[0].scrollIntoView()", start)
    shown = keep(driver, folder, f"{name}-readme")
    if os.environ.get("README_SCREENSHOTS") == "1":
        README_SHOTS.mkdir(exist_ok=True)
        shutil.copy(shown, README_SHOTS / f"{name}.png")
    full_height(driver, README_SIZE[0])
    keep(driver, folder, name)
    driver.set_window_size(1280, 900)


def full_height(driver: WebDriver, width: int) -> None:
    """The window as tall as the page, so that a screenshot shows all of it."""
    height = driver.execute_script("return document.documentElement.scrollHeight")
    driver.set_window_size(width, min(int(height) + 120, 6000))


def agreement_card(driver: WebDriver, group: str, title: str) -> str | None:
    """The text of the agreement's card in a group (in-force, in-progress), if it is there."""
    cards = driver.find_elements(By.CSS_SELECTOR, f'[data-testid="agreements-{group}"] .card')
    return next((card.text for card in cards if title in card.text), None)


def test_the_relationship_shows_the_raa_in_force_and_as_of_2023_08_10_signed_not_in_force(
    browser: WebDriver, example_tracker: TrackerProcess, tmp_path: Path
) -> None:
    browser.set_window_size(1280, 900)
    browser.get(f"{example_tracker.url}/relationships/JP-AU")
    assert urlsplit(browser.current_url).path == "/relationships/AUS-JPN"
    assert agreement_card(browser, "in-force", RAA_TITLE)
    assert same_origin_only(browser, example_tracker.url)
    keep_for_readme(browser, tmp_path, "relationship")

    browser.set_window_size(1280, 900)
    field = browser.find_element(By.ID, "as_of")  # the form, as an analyst would
    field.send_keys("2023-08-10", Keys.ENTER)
    wait_until(browser, lambda d: "as_of=2023-08-10" in d.current_url)
    assert agreement_card(browser, "in-force", RAA_TITLE) is None
    card = agreement_card(browser, "in-progress", RAA_TITLE)
    assert card is not None and "signed 2022-01-06" in card and "in force" not in card
    assert "as of the end of 2023-08-10" in browser.find_element(By.CSS_SELECTOR, ".answers").text
    keep(browser, tmp_path, "relationship-as-of-2023-08-10")


def test_the_subject_page_shows_the_correction_beside_what_it_corrected(
    browser: WebDriver, example_tracker: TrackerProcess, tmp_path: Path
) -> None:
    browser.set_window_size(1280, 900)
    browser.get(f"{example_tracker.url}/subjects/agreement:jpn-aus-raa")
    signing = next(
        item
        for item in browser.find_elements(By.CSS_SELECTOR, "li.development")
        if "sign the Reciprocal Access Agreement" in item.text
    )
    correction = signing.find_element(By.CSS_SELECTOR, '[data-testid="correction"]')
    assert "2023" in correction.find_element(By.TAG_NAME, "del").text
    assert correction.find_element(By.TAG_NAME, "ins").text == "2022-01-06"
    assert "Reason:" in correction.text
    told = signing.find_element(By.CSS_SELECTOR, ".told")
    assert correction.location["x"] > told.location["x"], "beside what it corrected"
    lifecycle = browser.find_element(By.CSS_SELECTOR, '[data-testid="lifecycle"]')
    keep_for_readme(browser, tmp_path, "subject", start=lifecycle)


def test_what_changed_shows_a_correction_made_after_a_chosen_moment(
    browser: WebDriver, example_tracker: TrackerProcess, tmp_path: Path
) -> None:
    """The RAA's signing date was corrected at 09:06 on 1 October 2025; an analyst picks a
    moment just before it in the form and sees the correction, the date before and after."""
    browser.set_window_size(1280, 900)
    browser.get(f"{example_tracker.url}/relationships/AUS-JPN")
    browser.find_element(By.CSS_SELECTOR, '[data-testid="what-changed"]').click()
    wait_until(browser, lambda d: urlsplit(d.current_url).path == "/changes")
    for name, moment in (("from", "2025-10-01T09:05:00Z"), ("to", "2025-10-01T09:06:30Z")):
        field = browser.find_element(By.ID, name)
        field.clear()
        field.send_keys(moment)
    browser.find_element(By.CSS_SELECTOR, ".moment-form button").click()
    wait_until(browser, lambda d: "from=2025-10-01T09%3A05%3A00Z" in d.current_url)
    compared = browser.find_element(By.CSS_SELECTOR, '[data-testid="compared"]').text
    assert "2025-10-01T09:05:00Z" in compared and "2025-10-01T09:06:30Z" in compared
    corrected = browser.find_element(By.CSS_SELECTOR, '[data-testid="corrected"]')
    assert "sign the Reciprocal Access Agreement" in corrected.text
    assert corrected.find_element(By.TAG_NAME, "del").text == "2023"
    assert corrected.find_element(By.TAG_NAME, "ins").text == "2022-01-06"
    assert "Reason:" in corrected.text
    assert "None." in browser.find_element(By.CSS_SELECTOR, '[data-testid="retracted"]').text
    keep(browser, tmp_path, "what-changed")
    corrected.find_element(By.TAG_NAME, "a").click()
    wait_until(browser, lambda d: urlsplit(d.current_url).path.startswith("/subjects/"))
    assert "sign the Reciprocal Access Agreement" in browser.page_source


def test_pages_fit_360_px_and_the_keyboard_reaches_the_content_first(
    browser: WebDriver, example_tracker: TrackerProcess, tmp_path: Path
) -> None:
    browser.set_window_size(360, 800)
    for path in (
        "/",
        "/relationships/AUS-JPN",
        "/subjects/agreement:jpn-aus-raa",
        "/changes?pair=AUS-JPN&from=2025-01-01T00:00:00Z&to=2025-12-31T00:00:00Z",
        "/countries/JPN",
        "/agreements?status=in_force",
        "/deals",
        "/timeline?pair=AUS-JPN",
    ):
        browser.get(f"{example_tracker.url}{path}")
        width = browser.execute_script("return document.documentElement.scrollWidth")
        viewport = browser.execute_script("return document.documentElement.clientWidth")
        assert width <= viewport, f"{path} scrolls sideways at 360 px ({width} > {viewport})"
        unlabelled = browser.execute_script(
            "return [...document.querySelectorAll('input:not([type=hidden]), select')]"
            ".filter(i => !document.querySelector(`label[for='${i.id}']`)).length"
        )
        assert unlabelled == 0, f"{path} has inputs without labels"
    browser.find_element(By.TAG_NAME, "body").send_keys(Keys.TAB)
    assert browser.switch_to.active_element.text == "Skip to content"
    keep(browser, tmp_path, "subject-360")
    browser.set_window_size(1280, 900)


def test_docs_render_without_network(
    browser: WebDriver, example_tracker: TrackerProcess, tmp_path: Path
) -> None:
    browser.set_window_size(1280, 900)
    browser.get(f"{example_tracker.url}/docs")
    wait_until(browser, lambda d: d.find_elements(By.CSS_SELECTOR, ".opblock-summary-path"))
    paths = {e.text for e in browser.find_elements(By.CSS_SELECTOR, ".opblock-summary-path")}
    assert "/v1/relationships/{pair}" in {p.replace("\u200b", "") for p in paths}
    keep(browser, tmp_path, "docs")
    assert same_origin_only(browser, example_tracker.url)


def same_origin_only(driver: WebDriver, origin: str) -> bool:
    """Every resource the page loaded came from our own host."""
    loaded = driver.execute_script(
        "return performance.getEntriesByType('resource').map(e => e.name)"
    )
    foreign = [url for url in loaded if not url.startswith(origin)]
    assert not foreign, f"loaded from elsewhere: {foreign}"
    return True


class Assets(HTMLParser):
    """The addresses of a page's scripts, stylesheets, icons and images, and its links."""

    def __init__(self) -> None:
        super().__init__()
        self.assets: list[str] = []
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag in ("script", "img", "source", "iframe") and found.get("src"):
            self.assets.append(str(found["src"]))
        elif tag == "link" and found.get("href"):
            self.assets.append(str(found["href"]))
        elif tag == "a" and found.get("href"):
            self.links.append(str(found["href"]))


def test_no_page_or_asset_refers_to_another_host(example_tracker: TrackerProcess) -> None:
    """Every page reachable from home (and the docs and an error page), crawled over HTTP:
    no script, stylesheet or image is addressed to another host, and no stylesheet of ours
    imports one."""
    base = example_tracker.url
    queue = ["/", "/docs", "/relationships/AUS-XXX", "/?as_of=2023-08-10"]
    seen: set[str] = set()
    foreign: list[str] = []
    assets: set[str] = set()
    while queue and len(seen) < CRAWL_LIMIT:
        path = queue.pop(0)
        if path in seen:
            continue
        seen.add(path)
        page = requests.get(urljoin(base, path), timeout=10)
        assert page.status_code < 500, path
        parsed = Assets()
        parsed.feed(page.text)
        foreign += [f"{path}: {url}" for url in parsed.assets if is_foreign(url, base)]
        assets.update(urljoin(base + path, url) for url in parsed.assets)
        queue += [link for link in parsed.links if is_page(link)]
    assert len(seen) >= 10, f"the crawl found too few pages: {sorted(seen)}"
    for asset in sorted(assets):
        if asset.endswith(".css"):
            body = requests.get(asset, timeout=10).text
            foreign += [f"{asset}: {u}" for u in css_urls(body) if is_foreign(u, base)]
    assert not foreign, "addressed to another host:\n" + "\n".join(foreign)


def is_foreign(url: str, base: str) -> bool:
    parts = urlsplit(url)
    if parts.scheme == "data":
        return False
    return bool(parts.netloc) and urlsplit(base).netloc != parts.netloc


def is_page(link: str) -> bool:
    parts = urlsplit(link)
    return (
        not parts.netloc
        and link.startswith("/")
        and not parts.path.startswith(("/v1", "/assets", "/openapi"))
    )


def css_urls(stylesheet: str) -> list[str]:
    return re.findall(r"url\(\s*['\"]?(?!data:)([^'\")]+)", stylesheet) + re.findall(
        r"@import\s+['\"]([^'\"]+)", stylesheet
    )
