"""The diagnostics report: its numbers are sklearn's and scipy's on the same holdout predictions, the
HTML has every section, and every PNG opens."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import matplotlib.image
import numpy as np
import pytest
from PIL import Image
from scipy.stats import ks_2samp
from sklearn import metrics as skm
from sklearn.datasets import make_classification
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split

from zygarde.registry import comparison, diagnostics, reports
from zygarde.settings import Settings


@pytest.fixture(scope="module")
def holdout() -> tuple[np.ndarray, np.ndarray]:
    X, y = make_classification(n_samples=3000, n_features=8, weights=[0.9], flip_y=0.05, random_state=0)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.3, random_state=0, stratify=y)
    score = LogisticRegression(max_iter=500).fit(X_train, y_train).predict_proba(X_test)[:, 1]
    return y_test, score


def test_numbers_match_sklearn_and_scipy(holdout: tuple[np.ndarray, np.ndarray]) -> None:
    y, score = holdout
    report = diagnostics.classification(y, score)
    assert report["roc_auc"] == pytest.approx(skm.roc_auc_score(y, score))
    assert report["pr_auc"] == pytest.approx(skm.average_precision_score(y, score))
    assert report["brier"] == pytest.approx(skm.brier_score_loss(y, score))
    assert report["ks"] == pytest.approx(ks_2samp(score[y == 1], score[y == 0]).statistic)
    assert report["confusion_default"] == skm.confusion_matrix(y, score >= 0.5, labels=[0, 1]).tolist()
    t = report["cost_optimal_threshold"]
    assert report["confusion_at_optimum"] == skm.confusion_matrix(y, score >= t, labels=[0, 1]).tolist()
    (tn, fp), (fn, tp) = report["confusion_default"]
    assert tn + fp + fn + tp == len(y) == report["n"] and fn + tp == int(y.sum()) == report["positives"]
    fpr, tpr, _ = skm.roc_curve(y, score)
    assert report["curves"]["roc"]["fpr"] == pytest.approx(fpr.tolist())
    assert report["curves"]["roc"]["tpr"] == pytest.approx(tpr.tolist())


def _png_opens(path: str | bytes) -> tuple[int, ...]:
    data = path if isinstance(path, bytes) else Path(path).read_bytes()
    with Image.open(io.BytesIO(data)) as img:
        img.verify()
    return tuple(matplotlib.image.imread(io.BytesIO(data), format="png").shape)


def test_report_files_have_every_section_and_open(holdout: tuple[np.ndarray, np.ndarray], tmp_path: Path) -> None:
    y, score = holdout
    card = {"name": "unit", "algorithm": "logistic_regression", "params": {"C": 1.0}, "holdout_score": 0.9}
    paths = diagnostics.write(tmp_path / "report", "unit <test>", card, diagnostics.classification(y, score))
    page = Path(paths["html"]).read_text()
    for section in ("model-card", "diagnostics", "plots"):
        assert f"<section id='{section}'>" in page
    assert "unit &lt;test&gt;" in page  # escaped
    for name in ("roc", "pr", "calibration"):
        shape = _png_opens(paths[name])
        assert shape[0] > 100 and shape[1] > 100
        assert f'alt="{name}"' in page


def test_comparison_of_top_trials(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path / "home", data_roots=str(tmp_path))  # type: ignore[call-arg]
    job = {"_id": "j1", "task": "binary", "spec": {"name": "cmp", "metric": "roc_auc",
                                                    "dataset": {"uri": "builtin:breast_cancer", "target": "target"}}}
    leaders: list[dict[str, Any]] = [
        {"_id": f"j1-0000{i}", "algorithm": "logistic_regression", "params": {"C": c}, "cv_mean": 0.99 - i / 100,
         "cv_std": 0.01, "fold_scores": [0.98 - i / 100, 1.0 - i / 100], "fit_seconds": 0.1}
        for i, c in enumerate((1.0, 0.01))]
    rows = comparison.rows(settings, job, leaders)
    split = reports.load_split(settings, job)
    for row, leader in zip(rows, leaders, strict=True):
        pipeline = reports.refit(split, leader["algorithm"], leader["params"])
        score = pipeline.predict_proba(split.features)[:, 1]
        assert row["roc_auc"] == pytest.approx(skm.roc_auc_score(split.y, score))
        assert row["holdout_score"] == pytest.approx(row["roc_auc"])
        assert row["brier"] == pytest.approx(skm.brier_score_loss(split.y, score))
    png = comparison.plot(rows, "roc_auc")
    assert _png_opens(png)[1] > 300
    section = comparison.section(rows, "roc_auc", png)
    assert section.startswith("<section id='comparison'>") and section.count("<tr>") == 3
