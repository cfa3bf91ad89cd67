"""A job whose trials fail, seen in the console in a real headless browser against the planner, selector
and trainers as processes: the job page says which trials failed and why (what the fit raised)."""

from __future__ import annotations

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import Services
from tests.e2e.test_console_browser import SLOW, browser, page
from tests.e2e.test_job_flow import AUTH

pytestmark = pytest.mark.e2e
__all__ = ["browser", "page"]  # the fixtures, shared


def failing_spec() -> dict[str, object]:
    # knn asked for more neighbours than a fold has rows: scikit-learn raises when it predicts, every time
    return {"name": "console-failures", "dataset": {"uri": "builtin:breast_cancer", "target": "target"},
            "algorithms": ["logistic_regression", {"name": "knn", "space": {"n_neighbors": {"int": [2000, 3000]}}}],
            "search": {"strategy": "random", "max_trials": 6, "max_parallel": 2, "seed": 1}, "cv": {"folds": 3}}


def test_the_job_page_shows_which_trials_failed_and_why(services: Services, page: Page) -> None:
    resp = httpx.post(f"{services.url}/jobs", json=failing_spec(), headers=AUTH)
    assert resp.status_code == 202, resp.text
    job_id = resp.json()["job_id"]
    page.goto(f"{services.url}/ui/#/jobs/{job_id}")  # reads are open in this stack: no token needed
    expect(page.locator("h1 .status")).to_have_text("completed", timeout=SLOW * 2)

    job = httpx.get(f"{services.url}/jobs/{job_id}").json()
    failed = job["trials"]["failed"]
    assert failed >= 1 and job["trials"]["completed"] >= 1, job["trials"]  # seed 1 draws both algorithms
    rows = page.locator("#failures-table tbody tr")
    expect(rows).to_have_count(1)  # every knn failure is one group: the same error, numbers aside
    expect(page.locator("#failures h2")).to_have_text(f"Failed trials ({failed})")
    cells = rows.first.locator("td").all_inner_texts()
    assert cells[0] == str(failed) and cells[1] == "error" and cells[2] == "knn", cells
    assert "ValueError: Expected n_neighbors <= n_samples_fit" in cells[3], cells
    numbers = [int(n) for n in cells[4].replace("…", "").replace(",", " ").split()]
    failed_ids = [t["trial_id"] for t in httpx.get(f"{services.url}/jobs/{job_id}/trials",
                                                    params={"status": "failed"}).json()["items"]]
    assert numbers == [int(t.rsplit("-", 1)[1]) for t in failed_ids][:5]
