"""Side by side: the top N trials of a job, refitted on the training split and scored on the holdout,
as a table and one plot (cross-validation folds, holdout scores, ROC curves for binary tasks) added
to the winner's report page as ``<section id='comparison'>``.

A failure here never blocks the winner: it is logged and the report stays as it was.
"""

from __future__ import annotations

import base64
import html
import json
import logging
from pathlib import Path
from typing import Any

from sklearn import metrics as skm

from zygarde.registry import diagnostics, reports
from zygarde.settings import Settings
from zygarde.store import ResultRepository

log = logging.getLogger(__name__)


def rows(settings: Settings, job: dict[str, Any], leaders: list[dict[str, Any]],
         fitted: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """One row per trial, best CV first: CV numbers and, after a refit, holdout numbers. ``fitted``:
    trials already fitted on the training split (the selector's winner and ensemble members), not refitted."""
    split = reports.load_split(settings, job)
    out = []
    for rank, trial in enumerate(leaders, start=1):
        pipeline = (fitted or {}).get(trial["_id"]) or reports.refit(split, trial["algorithm"], trial["params"])
        row: dict[str, Any] = {
            "rank": rank, "trial_id": trial["_id"], "algorithm": trial["algorithm"], "params": trial["params"],
            "cv_mean": trial["cv_mean"], "cv_std": trial.get("cv_std"), "fold_scores": trial.get("fold_scores", []),
            "fit_seconds": trial.get("fit_seconds"), "holdout_score": reports.holdout_score(split, pipeline),
        }
        if split.task == "binary":
            score = reports.positive_scores(pipeline, split.features)
            y = split.y
            fpr, tpr, _ = skm.roc_curve(y, score)
            row.update(roc_auc=float(skm.roc_auc_score(y, score)), pr_auc=float(skm.average_precision_score(y, score)),
                       brier=float(skm.brier_score_loss(y, score.clip(0, 1))),
                       roc={"fpr": fpr.tolist(), "tpr": tpr.tolist()})
        out.append(row)
    return out


def plot(rows: list[dict[str, Any]], metric: str) -> bytes:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    panels = 3 if any("roc" in r for r in rows) else 2
    fig, axes = plt.subplots(1, panels, figsize=(5 * panels, 4))
    labels = [f"#{r['rank']} {r['algorithm']}" for r in rows]
    for i, r in enumerate(rows):
        folds = r["fold_scores"] or [r["cv_mean"]]
        axes[0].scatter([i] * len(folds), folds, s=14, alpha=0.6)
        axes[0].errorbar([i], [r["cv_mean"]], yerr=[r["cv_std"] or 0.0], fmt="D", color="black", capsize=4)
    axes[0].set_xticks(range(len(rows)), labels, rotation=20, ha="right")
    axes[0].set_title(f"cross-validation {metric} (folds, mean ± std)")
    axes[1].bar(range(len(rows)), [r["holdout_score"] for r in rows], color="tab:blue")
    axes[1].set_xticks(range(len(rows)), labels, rotation=20, ha="right")
    axes[1].set_title(f"holdout {metric}")
    if panels == 3:
        for r, label in zip(rows, labels, strict=True):
            axes[2].plot(r["roc"]["fpr"], r["roc"]["tpr"], lw=1.5, label=f"{label} ({r['roc_auc']:.3f})")
        axes[2].plot([0, 1], [0, 1], ls="--", color="grey")
        axes[2].set_xlabel("false positive rate")
        axes[2].set_ylabel("true positive rate")
        axes[2].set_title("ROC on the holdout")
        axes[2].legend(fontsize=8)
    data = diagnostics._png(fig)
    plt.close(fig)
    return data


def section(rows: list[dict[str, Any]], metric: str, png: bytes) -> str:
    cols = ["rank", "trial_id", "algorithm", "cv_mean", "cv_std", "holdout_score", "roc_auc", "pr_auc", "brier",
            "fit_seconds", "params"]
    cols = [c for c in cols if any(c in r for r in rows)]

    def cell(v: Any) -> str:
        text = f"{v:.4f}" if isinstance(v, float) else (json.dumps(v) if isinstance(v, dict) else str(v))
        return f"<td>{html.escape(text)}</td>"

    head = "".join(f"<th>{html.escape(c)}</th>" for c in cols)
    body = "".join("<tr>" + "".join(cell(r.get(c, "")) for c in cols) + "</tr>" for r in rows)
    img = base64.b64encode(png).decode()
    return (f"<section id='comparison'><h2>Top {len(rows)} trials side by side ({html.escape(metric)}; "
            f"each refitted on the training split, scored on the holdout)</h2><table><tr>{head}</tr>{body}</table>"
            f"<figure><img alt='comparison' src='data:image/png;base64,{img}'><figcaption>comparison</figcaption>"
            "</figure></section>")


def add_to_report(db: Any, settings: Settings, job: dict[str, Any], model: dict[str, Any], top: int,
                  fitted: dict[str, Any] | None = None) -> None:
    """Write comparison.json/.png beside the winner's report and add the section to report.html."""
    paths = model.get("report") or {}
    if not paths.get("html"):
        return
    try:
        metric = model["metric"]
        table = rows(settings, job, ResultRepository(db).leaderboard(job["_id"], limit=top), fitted)
        png = plot(table, metric)
        folder = Path(paths["html"]).parent
        (folder / "comparison.png").write_bytes(png)
        (folder / "comparison.json").write_text(json.dumps([{k: v for k, v in r.items() if k != "roc"}
                                                            for r in table], default=str))
        page = Path(paths["html"]).read_text()
        if "id='comparison'" not in page:
            page = page.replace("</body>", section(table, metric, png) + "</body>")
            Path(paths["html"]).write_text(page)
        paths = {**paths, "comparison": str(folder / "comparison.png"),
                 "comparison_json": str(folder / "comparison.json")}
        db.models.find_one_and_update({"_id": job["_id"]}, {"$set": {"report": paths}})
        model["report"] = paths
    except Exception:
        log.exception("comparison of the top trials failed", extra={"job_id": job["_id"]})
