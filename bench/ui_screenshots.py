"""Screenshots of the web console on a stack of its own: the jobs list, a job's page while it runs and
once it is done, and the registry page, written to ``bench/results/ui/`` (``python -m bench.ui_screenshots``).

Debian's chromium, driven by Playwright (``apt-get install chromium``; no browser is downloaded).
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path

from playwright.sync_api import expect, sync_playwright

from bench._stack import TOKEN, bench_stack

OUT = Path(__file__).parent / "results" / "ui"
SPEC = {"name": "breast-cancer-console", "dataset": {"uri": "builtin:breast_cancer", "target": "target"},
        "algorithms": ["logistic_regression", "knn", "naive_bayes", "decision_tree"],
        "search": {"strategy": "tpe", "max_trials": 16, "max_parallel": 2, "seed": 11}, "cv": {"folds": 3}}
WAIT_MS = 300_000


def main() -> None:
    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    OUT.mkdir(parents=True, exist_ok=True)
    with bench_stack(trainers=2) as stack, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, headless=True,
                                     args=["--no-sandbox", "--disable-dev-shm-usage"])
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(f"{stack.url}/ui/")
        page.fill("#token", TOKEN)
        page.click("#token-form button")
        job_id = stack.submit(SPEC)
        print("submitted", job_id, flush=True)
        page.goto(f"{stack.url}/ui/#/jobs")
        expect(page.locator(f"#jobs-table tr[data-job-id='{job_id}']")).to_be_visible(timeout=WAIT_MS)
        page.screenshot(path=OUT / "jobs.png", full_page=True)
        print("jobs.png", flush=True)
        page.goto(f"{stack.url}/ui/#/jobs/{job_id}")
        expect(page.locator("#trials-table tbody tr").nth(5)).to_be_visible(timeout=WAIT_MS)
        time.sleep(1)  # the charts draw after the table
        page.screenshot(path=OUT / "job-live.png", full_page=True)
        print("job-live.png", flush=True)
        expect(page.locator("h1 .status")).to_have_text("completed", timeout=WAIT_MS)
        page.click("#trials-table th[data-key='cv_mean']")
        page.click("#trials-table th[data-key='cv_mean']")
        page.screenshot(path=OUT / "job-done.png", full_page=True)
        page.goto(f"{stack.url}/ui/#/models/{SPEC['name']}")
        expect(page.locator("#versions-table tbody tr").first).to_be_visible(timeout=WAIT_MS)
        time.sleep(1)
        page.screenshot(path=OUT / "registry.png", full_page=True)
        browser.close()
    print(f"wrote {', '.join(p.name for p in sorted(OUT.glob('*.png')))} to {OUT}")


if __name__ == "__main__":
    main()
