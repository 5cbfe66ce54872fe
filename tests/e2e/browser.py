"""A real headless Chromium for the page tests: Debian's `chromium` driven through its
`chromedriver` by selenium, cut off from every host but loopback so that a page that needs
the internet shows it. Without the browser the tests skip, saying why; with CI=true they
fail instead, as PostgreSQL tests do, so that CI never passes by skipping them."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.wait import WebDriverWait

from tests.conftest import require

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
WAIT_SECONDS = 10.0
# Every name resolves to nothing except loopback's: the browser has no network but ours.
OFFLINE = "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1"


def browser_unavailable_reason() -> str | None:
    missing = [str(path) for path in (CHROMIUM, CHROMEDRIVER) if not path.exists()]
    if not missing:
        return None
    return f"{' and '.join(missing)} not installed (apt-get install chromium chromium-driver)"


def require_browser() -> None:
    require("the browser", browser_unavailable_reason())


def start_chromium(width: int = 1280, height: int = 900) -> WebDriver:
    """Headless Chromium, offline but for loopback; root in a container needs --no-sandbox."""
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for argument in (
        "--headless=new",
        "--no-sandbox",
        "--disable-dev-shm-usage",
        "--disable-gpu",
        "--no-first-run",
        "--disable-background-networking",
        f"--window-size={width},{height}",
        OFFLINE,
    ):
        options.add_argument(argument)
    driver = webdriver.Chrome(options=options, service=Service(str(CHROMEDRIVER)))
    driver.set_page_load_timeout(WAIT_SECONDS * 2)
    return driver


def wait_until(driver: WebDriver, condition: Callable[[WebDriver], object]) -> object:
    """Until the condition holds in the page, or the test fails after WAIT_SECONDS."""
    return WebDriverWait(driver, WAIT_SECONDS).until(condition)


def screenshot(driver: WebDriver, folder: Path, name: str) -> Path:
    """The whole page as it looks now, kept beside the test's other files."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.png"
    driver.save_screenshot(str(path))
    return path
