"""GraphiQL works offline: headless Chromium, allowed to reach no host but the portal, opens
the IDE, and the IDE runs a query with a token from its headers pane."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import httpx
import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import WebDriverWait

from portal.graphiql import ASSETS
from tests.platform.serving import serving

QUERY = "{ viewer { organisation { slug } } }"


def _browser() -> webdriver.Chrome:
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver")
    if chromium is None or driver is None:
        pytest.skip("chromium and chromedriver are not installed: .ci/run installs them")
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for argument in (
        "--headless=new",
        "--no-sandbox",
        "--disable-dev-shm-usage",
        "--disable-gpu",
        # offline: every host but the portal's fails to resolve
        "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
    ):
        options.add_argument(argument)
    return webdriver.Chrome(service=Service(executable_path=driver), options=options)


def _severe(browser: webdriver.Chrome) -> list[str]:
    """The browser's errors since the last call (a missing favicon is not one)."""
    entries: list[dict[str, str]] = browser.get_log("browser")  # type: ignore[no-untyped-call]
    return [
        entry["message"]
        for entry in entries
        if entry["level"] == "SEVERE" and "favicon" not in entry["message"]
    ]


def test_the_assets_are_the_portals_own(data_dir: Path) -> None:
    with serving(data_dir) as served:
        page = httpx.get(f"{served.base}/graphql", headers={"Accept": "text/html"})
        assert page.status_code == 200
        assert "https://" not in page.text
        assert "http://" not in page.text
        for name, media_type in ASSETS.items():
            answer = httpx.get(f"{served.base}/graphiql/assets/{name}")
            assert answer.status_code == 200, name
            assert answer.headers["content-type"].startswith(media_type)
        assert httpx.get(f"{served.base}/graphiql/assets/package.json").status_code == 404


def test_graphiql_renders_and_runs_a_query_offline(data_dir: Path) -> None:
    browser = _browser()
    try:
        with serving(data_dir) as served:
            browser.get(f"{served.base}/graphql")
            wait = WebDriverWait(browser, 60)
            wait.until(
                expected_conditions.presence_of_element_located(
                    (By.CSS_SELECTOR, ".graphiql-execute-button")
                )
            )
            # what a person types into the headers pane and the query editor, kept by
            # GraphiQL in the browser's storage
            headers = json.dumps({"Authorization": f"Bearer {served.token('helix-pharma')}"})
            browser.execute_script(
                "localStorage.setItem('graphiql:headers', arguments[0]);"
                "localStorage.setItem('graphiql:query', arguments[1]);",
                headers,
                QUERY,
            )
            _severe(browser)  # before the token was set, GraphiQL's requests were refused
            browser.refresh()
            run = wait.until(
                expected_conditions.element_to_be_clickable(
                    (By.CSS_SELECTOR, ".graphiql-execute-button")
                )
            )
            run.click()
            wait.until(
                expected_conditions.text_to_be_present_in_element(
                    (By.CSS_SELECTOR, ".result-window"), "helix-pharma"
                )
            )
            assert _severe(browser) == []
    finally:
        browser.quit()
