"""Classification and regression diagnostics for a model on its holdout: JSON, PNG plots, one HTML page.

For event detection (fraud, malware, intrusion) the numbers that matter are ranking quality (ROC,
PR), the confusion matrix at the default and the cost-optimal threshold, KS, calibration (Brier,
expected calibration error) and lift at the top of the ranking.
"""

from __future__ import annotations

import base64
import html
import io
import json
from pathlib import Path
from typing import Any

import numpy as np
from sklearn import metrics as skm
from sklearn.calibration import calibration_curve


def _png(fig: Any) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100, bbox_inches="tight")
    return buf.getvalue()


def classification(y: np.ndarray, score: np.ndarray, costs: tuple[float, float] = (1.0, 10.0)) -> dict[str, Any]:
    """Diagnostics of a binary scorer. ``costs`` = (cost of a false positive, cost of a false negative)."""
    fpr, tpr, _ = skm.roc_curve(y, score)
    precision, recall, _ = skm.precision_recall_curve(y, score)
    thresholds = np.unique(np.quantile(score, np.linspace(0, 1, 201)))
    fp_cost, fn_cost = costs
    expected = [(fp_cost * int(((score >= t) & (y == 0)).sum()) + fn_cost * int(((score < t) & (y == 1)).sum()))
                / len(y) for t in thresholds]
    best_t = float(thresholds[int(np.argmin(expected))])
    prob_true, prob_pred = calibration_curve(y, np.clip(score, 0, 1), n_bins=10, strategy="quantile")
    bins = np.clip((np.clip(score, 0, 1) * 10).astype(int), 0, 9)
    ece = float(sum(abs(y[bins == b].mean() - score[bins == b].mean()) * (bins == b).mean()
                    for b in range(10) if (bins == b).any()))
    order = np.argsort(-score)
    base_rate = float(y.mean())
    lift = {f"top_{p}%": float(y[order[: max(1, int(len(y) * p / 100))]].mean() / base_rate) if base_rate else None
            for p in (1, 5, 10, 20)}
    pos, neg = score[y == 1], score[y == 0]
    grid = np.unique(score)  # every observed score: the exact two-sample KS statistic, as scipy's ks_2samp
    ks = float(max(abs(np.searchsorted(np.sort(pos), grid, side="right") / len(pos)
                       - np.searchsorted(np.sort(neg), grid, side="right") / len(neg))))
    return {
        "task": "binary", "n": int(len(y)), "positives": int(y.sum()), "base_rate": base_rate,
        "roc_auc": float(skm.roc_auc_score(y, score)), "pr_auc": float(skm.average_precision_score(y, score)),
        "brier": float(skm.brier_score_loss(y, np.clip(score, 0, 1))), "ece": ece, "ks": ks,
        "confusion_default": skm.confusion_matrix(y, score >= 0.5, labels=[0, 1]).tolist(),
        "cost_optimal_threshold": best_t, "costs": {"fp": fp_cost, "fn": fn_cost},
        "expected_cost_at_optimum": float(min(expected)),
        "confusion_at_optimum": skm.confusion_matrix(y, score >= best_t, labels=[0, 1]).tolist(),
        "lift": lift,
        "curves": {"roc": {"fpr": fpr.tolist(), "tpr": tpr.tolist()},
                   "pr": {"precision": precision.tolist(), "recall": recall.tolist()},
                   "calibration": {"predicted": prob_pred.tolist(), "observed": prob_true.tolist()}},
    }


def multiclass(y: np.ndarray, pred: np.ndarray) -> dict[str, Any]:
    labels = sorted(set(y.tolist()) | set(pred.tolist()))
    return {"task": "multiclass", "n": int(len(y)), "accuracy": float(skm.accuracy_score(y, pred)),
            "per_class": skm.classification_report(y, pred, output_dict=True, zero_division=0),
            "confusion": skm.confusion_matrix(y, pred, labels=labels).tolist(), "labels": [str(v) for v in labels],
            "curves": {}}


def regression(y: np.ndarray, pred: np.ndarray) -> dict[str, Any]:
    residuals = y - pred
    return {"task": "regression", "n": int(len(y)), "rmse": float(np.sqrt(skm.mean_squared_error(y, pred))),
            "mae": float(skm.mean_absolute_error(y, pred)), "r2": float(skm.r2_score(y, pred)),
            "abs_error_percentiles": {str(p): float(np.percentile(np.abs(residuals), p)) for p in (50, 90, 95, 99)},
            "curves": {"residuals": {"predicted": pred.tolist()[:2000], "residual": residuals.tolist()[:2000]}}}


def plots(report: dict[str, Any]) -> dict[str, bytes]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out: dict[str, bytes] = {}
    c = report["curves"]
    if report["task"] == "binary":
        for name, (x, y, xl, yl) in {
            "roc": (c["roc"]["fpr"], c["roc"]["tpr"], "false positive rate", "true positive rate"),
            "pr": (c["pr"]["recall"], c["pr"]["precision"], "recall", "precision"),
            "calibration": (c["calibration"]["predicted"], c["calibration"]["observed"], "predicted", "observed"),
        }.items():
            fig, ax = plt.subplots(figsize=(4.5, 4))
            ax.plot(x, y, lw=2)
            if name in ("roc", "calibration"):
                ax.plot([0, 1], [0, 1], ls="--", color="grey")
            ax.set_xlabel(xl)
            ax.set_ylabel(yl)
            ax.set_title(name.upper())
            out[name] = _png(fig)
            plt.close(fig)
    elif report["task"] == "regression":
        fig, ax = plt.subplots(figsize=(4.5, 4))
        ax.scatter(c["residuals"]["predicted"], c["residuals"]["residual"], s=4, alpha=0.5)
        ax.axhline(0, color="grey", ls="--")
        ax.set_xlabel("predicted")
        ax.set_ylabel("residual")
        out["residuals"] = _png(fig)
        plt.close(fig)
    return out


def html_page(title: str, card: dict[str, Any], report: dict[str, Any], images: dict[str, bytes]) -> str:
    """One self-contained page: model card, headline numbers, confusion matrices, plots inline."""
    rows = "".join(f"<tr><th>{html.escape(str(k))}</th><td>{html.escape(json.dumps(v, default=str))}</td></tr>"
                   for k, v in card.items())
    numbers = {k: v for k, v in report.items() if k != "curves"}
    nums = "".join(f"<tr><th>{html.escape(k)}</th><td>{html.escape(json.dumps(v))}</td></tr>"
                   for k, v in numbers.items())
    imgs = "".join(f'<figure><img alt="{n}" src="data:image/png;base64,{base64.b64encode(b).decode()}">'
                   f"<figcaption>{n}</figcaption></figure>" for n, b in images.items())
    return (f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
            "<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}"
            "td,th{border:1px solid #ccc;padding:4px 8px;text-align:left}figure{display:inline-block}</style>"
            f"</head><body><h1>{html.escape(title)}</h1>"
            f"<section id='model-card'><h2>Model card</h2><table>{rows}</table>"
            f"</section><section id='diagnostics'><h2>Diagnostics (holdout)</h2><table>{nums}</table></section>"
            f"<section id='plots'><h2>Plots</h2>{imgs}</section></body></html>")


def write(folder: Path, title: str, card: dict[str, Any], report: dict[str, Any]) -> dict[str, str]:
    """Write report.json, one PNG per plot and report.html into ``folder``; returns their paths."""
    folder.mkdir(parents=True, exist_ok=True)
    images = plots(report)
    (folder / "report.json").write_text(json.dumps({"model_card": card, "diagnostics": report}, default=str))
    for name, data in images.items():
        (folder / f"{name}.png").write_bytes(data)
    (folder / "report.html").write_text(html_page(title, card, report, images))
    return {"json": str(folder / "report.json"), "html": str(folder / "report.html"),
            **{name: str(folder / f"{name}.png") for name in images}}
