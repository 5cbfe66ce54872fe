"""Signing in to the pages in a real Chromium against a real `tracker serve` (one server and
one browser for the module): a write token's session is offered what a read token's is not;
a form post without its CSRF token is refused and changes nothing; revoking the token ends
its session at the next click; no page carries the token."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from standardwebhooks.webhooks import Webhook

from tests.e2e.browser import wait_until
from tests.e2e.process import TrackerProcess, TrackerProcesses, bearer, tracker_env
from tests.e2e.test_pages_in_browser import keep, keep_for_readme
from tests.eventually import eventually
from tests.factories import development
from tests.webhook_receiver import Receiver

ADMIN = "e2e-sign-in-admin-token"


@pytest.fixture(scope="module")
def tracker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TrackerProcess]:
    root = tmp_path_factory.mktemp("sign-in")
    group = TrackerProcesses(root)
    env = tracker_env(
        root / "data",
        TRACKER_API_TOKEN=ADMIN,
        TRACKER_WEBHOOK_ALLOWED_NETWORKS="127.0.0.0/8",
        TRACKER_RETRY_SCHEDULE="0s",
    )
    yield group.serve(env)
    group.stop_all()


def make_token(tracker: TrackerProcess, scope: str, label: str) -> tuple[str, str]:
    made = requests.post(
        f"{tracker.url}/v1/tokens",
        json={"scope": scope, "label": label},
        headers=bearer(ADMIN),
        timeout=10,
    )
    assert made.status_code == 201, made.text
    return made.json()["token"], made.json()["id"]


def sign_in(browser: WebDriver, tracker: TrackerProcess, token: str) -> None:
    browser.delete_all_cookies()
    browser.get(f"{tracker.url}/sign-in")
    browser.find_element(By.ID, "token").send_keys(token)
    browser.find_element(By.CSS_SELECTOR, "main form button[type=submit]").click()
    wait_until(browser, lambda d: d.find_elements(By.CSS_SELECTOR, ".signed-in"))
    assert token not in browser.page_source


def nav(browser: WebDriver) -> set[str]:
    return {
        str(a.get_attribute("data-testid"))
        for a in browser.find_elements(By.CSS_SELECTOR, "header.site [data-testid]")
    }


def test_a_write_token_is_offered_recording_and_a_read_token_is_not(
    browser: WebDriver, tracker: TrackerProcess, tmp_path: Path
) -> None:
    browser.set_window_size(1280, 900)
    writer, _ = make_token(tracker, "write", "editor")
    sign_in(browser, tracker, writer)
    assert {"nav-record", "nav-subscriptions", "sign-out"} <= nav(browser)
    assert "nav-tokens" not in nav(browser)
    keep(browser, tmp_path, "signed-in-write")
    cookie = browser.get_cookie("tracker_session")
    assert cookie is not None and cookie["httpOnly"] and cookie["sameSite"] == "Strict"
    assert writer not in cookie["value"]
    browser.find_element(By.CSS_SELECTOR, '[data-testid="sign-out"]').click()
    wait_until(browser, lambda d: d.find_elements(By.CSS_SELECTOR, '[data-testid="sign-in"]'))

    reader, _ = make_token(tracker, "read", "reader")
    sign_in(browser, tracker, reader)
    assert not {"nav-record", "nav-subscriptions", "nav-tokens"} & nav(browser)
    browser.get(f"{tracker.url}/tokens")
    assert "needs the admin scope" in browser.find_element(By.CSS_SELECTOR, "main").text


def test_a_form_post_without_its_csrf_token_is_refused_and_changes_nothing(
    browser: WebDriver, tracker: TrackerProcess
) -> None:
    sign_in(browser, tracker, ADMIN)
    browser.get(f"{tracker.url}/tokens")
    session = browser.get_cookie("tracker_session")
    assert session is not None
    before = requests.get(f"{tracker.url}/v1/tokens", headers=bearer(ADMIN), timeout=10).json()
    forged = requests.post(
        f"{tracker.url}/tokens",
        data={"scope": "admin", "label": "forged"},
        cookies={"tracker_session": session["value"]},
        timeout=10,
        allow_redirects=False,
    )
    assert forged.status_code == 403 and "CSRF" in forged.text
    after = requests.get(f"{tracker.url}/v1/tokens", headers=bearer(ADMIN), timeout=10).json()
    assert after == before
    assert ADMIN not in browser.page_source


def test_a_revoked_tokens_session_is_refused_at_the_next_click(
    browser: WebDriver, tracker: TrackerProcess, tmp_path: Path
) -> None:
    token, token_id = make_token(tracker, "admin", "to revoke")
    sign_in(browser, tracker, token)
    browser.get(f"{tracker.url}/tokens")
    assert token_id in browser.find_element(By.CSS_SELECTOR, '[data-testid="tokens"]').text
    revoked = requests.delete(
        f"{tracker.url}/v1/tokens/{token_id}", headers=bearer(ADMIN), timeout=10
    )
    assert revoked.status_code == 204
    browser.find_element(By.CSS_SELECTOR, '[data-testid="nav-tokens"]').click()
    wait_until(browser, lambda d: "Sign in" in d.find_element(By.TAG_NAME, "h1").text)
    assert "needs you to sign in" in browser.page_source
    keep(browser, tmp_path, "revoked-session")
    logged = tracker.stderr() + tracker.stdout()
    assert token not in logged and "POST /sign-in" in logged, "the token is never logged"


def test_a_meeting_recorded_through_the_form_is_on_its_subject_page_once(
    browser: WebDriver, tracker: TrackerProcess, tmp_path: Path
) -> None:
    writer, _ = make_token(tracker, "write", "recorder")
    sign_in(browser, tracker, writer)
    browser.find_element(By.CSS_SELECTOR, '[data-testid="nav-record"]').click()
    browser.find_element(By.LINK_TEXT, "meeting held").click()
    for name, value in {
        "subject": "meeting:jpn-aus-browser",
        "occurred": "2025-09-05",
        "parties": "Japan\nAUS",
        "title": "Leaders meet in the browser",
        "place.name": "Tokyo",
        "place.country": "JP",
        "sources.0.url": "https://www.mofa.go.jp/a.html",
        "sources.1.url": "https://www.pm.gov.au/b.html",
        "data.participants.0.name": "Shigeru Ishiba",
        "data.participants.0.post": "Prime Minister",
        "data.participants.0.party": "JPN",
        "data.participants.1.name": "Anthony Albanese",
        "data.participants.1.post": "Prime Minister",
        "data.participants.1.party": "Australia",
    }.items():
        browser.find_element(By.NAME, name).send_keys(value)
    browser.find_element(By.CSS_SELECTOR, '[name="data.format"] option[value="summit"]').click()
    keep_for_readme(browser, tmp_path, "record-form")
    submit = browser.find_element(By.CSS_SELECTOR, '[data-testid="record-submit"]')
    browser.execute_script("arguments[0].click(); arguments[0].click()", submit)  # double
    wait_until(browser, lambda d: "/subjects/meeting:jpn-aus-browser" in d.current_url)
    assert "Leaders meet in the browser" in browser.page_source
    found = requests.get(
        f"{tracker.url}/v1/events", params={"subject": "meeting:jpn-aus-browser"}, timeout=10
    ).json()["items"]
    assert len(found) == 1, "a double click records one development"
    assert len(found[0]["sources"]) == 2 and len(found[0]["data"]["participants"]) == 2
    browser.get(f"{tracker.url}/relationships/AUS-JPN")
    assert "Leaders meet in the browser" in browser.find_element(By.TAG_NAME, "main").text


def test_an_invalid_currency_is_shown_beside_its_field_and_nothing_is_recorded(
    browser: WebDriver, tracker: TrackerProcess, tmp_path: Path
) -> None:
    writer, _ = make_token(tracker, "write", "deal recorder")
    sign_in(browser, tracker, writer)
    browser.get(f"{tracker.url}/record/deal.clinched")
    for name, value in {
        "subject": "deal:aus-jpn-bad-currency",
        "occurred": "2025-08",
        "parties": "AUS\nJPN",
        "title": "Frigates in a currency nobody has",
        "sources.0.url": "https://www.defence.gov.au/x.html",
        "data.buyer": "AUS",
        "data.supplier": "JPN",
        "data.item": "frigates",
        "data.value.amount": "10000000000",
    }.items():
        browser.find_element(By.NAME, name).send_keys(value)
    stage = '[name="data.stage"] option[value="preferred_bidder_selected"]'
    browser.find_element(By.CSS_SELECTOR, stage).click()
    # The form offers only real currencies; a stale or tampered page can still send another.
    currency = browser.find_element(By.NAME, "data.value.currency")
    browser.execute_script(
        "const o = document.createElement('option'); o.value = o.text = 'XYZ';"
        "arguments[0].append(o); arguments[0].value = 'XYZ';",
        currency,
    )
    browser.find_element(By.CSS_SELECTOR, '[data-testid="record-submit"]').click()
    problem = wait_until(
        browser,
        lambda d: d.find_elements(By.CSS_SELECTOR, '[data-testid="problem-data.value.currency"]'),
    )
    assert problem
    keep(browser, tmp_path, "invalid-currency")
    assert browser.find_element(By.NAME, "data.item").get_attribute("value") == "frigates"
    found = requests.get(
        f"{tracker.url}/v1/events", params={"subject": "deal:aus-jpn-bad-currency"}, timeout=10
    ).json()["items"]
    assert found == [], "nothing is recorded"


def test_a_corrected_date_shows_the_old_and_the_new_on_the_subject_page(
    browser: WebDriver, tracker: TrackerProcess, tmp_path: Path
) -> None:
    writer, _ = make_token(tracker, "write", "corrector")
    posted = requests.post(
        f"{tracker.url}/v1/events",
        json=development("meeting.held", "meeting:to-correct", occurred="2025-03-04"),
        headers=bearer(writer),
        timeout=10,
    )
    assert posted.status_code == 201, posted.text
    sign_in(browser, tracker, writer)
    browser.get(f"{tracker.url}/subjects/meeting:to-correct")
    browser.find_element(By.CSS_SELECTOR, '[data-testid="correct"]').click()
    occurred = browser.find_element(By.ID, "a-occurred")
    assert occurred.get_attribute("value") == "2025-03-04", "pre-filled"
    occurred.clear()
    occurred.send_keys("2025-03-05")
    browser.find_element(By.ID, "a-reason").send_keys("The ministry's release gives the 5th.")
    browser.find_element(By.ID, "a-source").send_keys("https://www.mofa.go.jp/c.html")
    browser.find_element(By.CSS_SELECTOR, '[data-testid="amend-submit"]').click()
    wait_until(browser, lambda d: "/subjects/meeting:to-correct" in d.current_url)
    main = browser.find_element(By.TAG_NAME, "main").text
    assert "2025-03-04" in main and "2025-03-05" in main, main
    assert "The ministry's release gives the 5th." in main
    keep(browser, tmp_path, "corrected-date")


def test_a_subscription_made_in_the_portal_gets_a_delivery_its_failure_and_a_redelivery(
    browser: WebDriver, tracker: TrackerProcess, tmp_path: Path
) -> None:
    receiver = Receiver(statuses=[200, 503]).start()
    try:
        writer, _ = make_token(tracker, "write", "integrator")
        sign_in(browser, tracker, writer)
        browser.find_element(By.CSS_SELECTOR, '[data-testid="nav-subscriptions"]').click()
        browser.find_element(By.ID, "s-url").send_keys(receiver.url)
        browser.find_element(By.ID, "s-types").send_keys("statement.*")
        browser.find_element(By.CSS_SELECTOR, '[data-testid="subscribe"]').click()
        wait_until(browser, lambda d: d.find_elements(By.CSS_SELECTOR, '[data-testid="secret"]'))
        secret = browser.find_element(By.CSS_SELECTOR, '[data-testid="secret"]').text
        browser.find_element(By.LINK_TEXT, "See its deliveries").click()
        here = browser.current_url
        for n in (1, 2):
            posted = requests.post(
                f"{tracker.url}/v1/events",
                json=development("statement.issued", f"statement:portal-{n}"),
                headers=bearer(writer),
                timeout=10,
            )
            assert posted.status_code == 201, posted.text
        received = eventually(receiver.bodies, timeout=20)[0]
        Webhook(secret).verify(received.body, received.headers)

        def shows_failure() -> bool:
            browser.get(here)
            return bool(browser.find_elements(By.CSS_SELECTOR, '[data-testid="delivery-failed"]'))

        eventually(shows_failure, timeout=20)
        assert "503" in browser.find_element(By.CSS_SELECTOR, '[data-testid="why"]').text
        assert browser.find_elements(By.CSS_SELECTOR, '[data-testid="delivery-delivered"]')
        keep_for_readme(browser, tmp_path, "portal")
        browser.find_element(By.CSS_SELECTOR, '[data-testid="redeliver"]').click()
        eventually(lambda: len(receiver.bodies()) >= 3, timeout=20)
    finally:
        receiver.stop()
