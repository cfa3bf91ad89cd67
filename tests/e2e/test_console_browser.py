"""The web console in a real headless browser (Debian's chromium driven by Playwright) against the
planner, selector and trainers as processes: the jobs list, a running job's page filling with trials,
the trial table sorted by a click, the winner and the registry page."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from tests.e2e.conftest import Services
from tests.e2e.test_job_flow import AUTH

pytestmark = pytest.mark.e2e

CHROMIUM = os.environ.get("ZYGARDE_TEST_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
TOKEN = AUTH["Authorization"].removeprefix("Bearer ")
SLOW = 120_000  # ms: a busy 2-core machine runs the whole stack beside the browser


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).is_file():
        raise AssertionError(f"no chromium at {CHROMIUM}: `make test` installs it (apt-get install chromium)")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True,
                                     args=["--no-sandbox", "--disable-dev-shm-usage"])
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    yield page
    context.close()
    assert not errors, f"the console raised in the browser: {errors}"


def spec() -> dict[str, Any]:
    # real scores that differ (knn, logistic regression) and burn trials that keep the job running a while
    return {"name": "console-e2e", "dataset": {"uri": "builtin:breast_cancer", "target": "target"},
            "algorithms": ["knn", "logistic_regression", {"name": "burn", "space": {"seconds": {"float": [0.3, 0.6]}}}],
            "search": {"strategy": "random", "max_trials": 12, "max_parallel": 2, "seed": 3}, "cv": {"folds": 3}}


def column(page: Page, key: str) -> list[str]:
    index = page.locator("#trials-table thead th").evaluate_all(
        f"(ths) => ths.findIndex((th) => th.dataset.key === {key!r})")
    return page.locator(f"#trials-table tbody tr td:nth-child({index + 1})").all_inner_texts()


def test_a_job_seen_live_in_the_console(services: Services, page: Page) -> None:
    page.goto(f"{services.url}/ui/")
    expect(page.locator("h1")).to_have_text("Jobs")
    page.fill("#token", TOKEN)
    page.click("#token-form button")
    expect(page.locator("#token-state")).to_have_text("token set (this tab only)")
    assert page.evaluate("sessionStorage.getItem('zygarde.token')") == TOKEN

    resp = httpx.post(f"{services.url}/jobs", json=spec(), headers=AUTH)
    assert resp.status_code == 202, resp.text
    job_id = resp.json()["job_id"]

    row = page.locator(f"#jobs-table tr[data-job-id='{job_id}']")
    expect(row).to_be_visible(timeout=SLOW)  # the list polls: the new job appears without a reload
    row.click()
    expect(page).to_have_url(f"{services.url}/ui/#/jobs/{job_id}")
    trials = page.locator("#trials-table tbody tr")
    expect(trials.first).to_be_visible(timeout=SLOW)
    expect(page.locator("h1 .status")).to_have_text("running")  # opened while it runs
    expect(page.locator("#cancel")).to_be_visible()  # the admin token was given
    seen = trials.count()
    expect(trials).not_to_have_count(seen, timeout=SLOW)  # more trials arrive while the page is open
    expect(page.locator("#budgets [role=progressbar]").first).to_be_visible()
    stray = "[...document.getElementById('view').childNodes].filter((n) => n.nodeType === 3).map((n) => n.data)"
    assert page.evaluate(stray) == []  # no stray text (a missing part rendered as 'null')

    expect(page.locator("h1 .status")).to_have_text("completed", timeout=SLOW * 2)
    expect(trials).to_have_count(12)
    ranks = [int(r) for r in column(page, "rank")]
    assert ranks == sorted(ranks)  # best first, as the API ranks them
    page.click("#trials-table th[data-key='cv_mean']")
    scores = [float(s) for s in column(page, "cv_mean")]
    assert scores == sorted(scores) and scores[0] < scores[-1], scores
    expect(page.locator("#trials-table th[data-key='cv_mean']")).to_have_class("sortable num sorted-asc")
    page.click("#trials-table th[data-key='trial']")
    page.click("#trials-table th[data-key='trial']")
    numbers = [int(n) for n in column(page, "trial")]
    assert numbers == sorted(numbers, reverse=True) == list(range(11, -1, -1))
    page.fill("#trial-filter", "knn")
    assert set(column(page, "algorithm")) == {"knn"}

    page.locator("#trials-table tbody tr").first.click()  # its parameters in the side panel
    expect(page.locator("#params h2")).to_contain_text(f"{job_id}-")
    expect(page.locator("#best-curve .main-svg").first).to_be_attached()  # Plotly drew the curve

    page.goto(f"{services.url}/ui/#/models")
    expect(page.locator("#models-table tr[data-model='console-e2e']")).to_be_visible(timeout=SLOW)
    page.click("#models-table tr[data-model='console-e2e'] a")
    expect(page.locator("#versions-table tbody tr").first).to_be_visible()
    expect(page.locator("#versions-table tbody tr").first).to_contain_text("champion")
