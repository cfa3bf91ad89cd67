"""The console's pause and resume buttons in a real headless browser against the running stack."""

from __future__ import annotations

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import Services
from tests.e2e.test_console_browser import SLOW, TOKEN, browser, page
from tests.e2e.test_job_flow import AUTH
from tests.e2e.test_planner_flow import burn_spec

pytestmark = pytest.mark.e2e
__all__ = ["browser", "page"]  # the fixtures, shared


def test_pause_and_resume_from_the_job_page(services: Services, page: Page) -> None:
    resp = httpx.post(f"{services.url}/jobs", json=burn_spec(1.0, max_trials=8, max_parallel=2), headers=AUTH)
    assert resp.status_code == 202, resp.text
    job_id = resp.json()["job_id"]
    page.goto(f"{services.url}/ui/")
    page.fill("#token", TOKEN)
    page.click("#token-form button")
    page.goto(f"{services.url}/ui/#/jobs/{job_id}")
    expect(page.locator("h1 .status")).to_have_text("running", timeout=SLOW)
    page.click("#pause")
    expect(page.locator("h1 .status")).to_have_text("paused", timeout=SLOW)
    assert httpx.get(f"{services.url}/jobs/{job_id}").json()["status"] == "paused"
    page.click("#resume")
    expect(page.locator("h1 .status")).to_have_text("completed", timeout=SLOW * 2)
    job = httpx.get(f"{services.url}/jobs/{job_id}").json()
    assert job["trials"]["completed"] + job["trials"]["failed"] == 8
