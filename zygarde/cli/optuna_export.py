"""``zygarde export-optuna``: a job's trials as an Optuna study, so ``optuna-dashboard`` and
``optuna.visualization`` work on any Zygarde job.

One study per job. Each trial carries its own distributions, as Optuna's conditional search spaces
do: ``algorithm`` a categorical over the job's algorithms, then that algorithm's parameters prefixed
(``random_forest__max_depth``, the planner's TPE naming), the other algorithms' parameters absent.
The value is the mean CV score, the direction the metric's. The trials come from the planner's
leaderboard, every page of it; it lists the completed trials, so a trial the answer marks failed or
pruned (``status``) is the only way a FAIL or PRUNED state is written.
"""

from __future__ import annotations

import math
from typing import Any

import typer

import zygarde.cli.http as http
from zygarde.cli.app import app, console
from zygarde.cli.jobs import job_id_of, trial_number
from zygarde.ml import algorithms
from zygarde.ml import space as sp

ALGORITHM = "algorithm"
PAGE = 1000
STATES = {"completed": "COMPLETE", "failed": "FAIL", "pruned": "PRUNED"}


def distribution(dim: sp.Dimension | None, values: list[Any]) -> Any:
    """The Optuna distribution of one parameter over every value the job's trials gave it: the
    dimension's, widened to hold them (a space the job overrode, or one that changed since the job ran,
    must not make its trials unloadable), else a categorical of the dimension's choices and the values."""
    from optuna.distributions import CategoricalDistribution, FloatDistribution, IntDistribution

    numbers = [v for v in values if isinstance(v, int | float) and not isinstance(v, bool)]
    if isinstance(dim, sp.FloatDim) and len(numbers) == len(values):
        return FloatDistribution(min([dim.low, *numbers]), max([dim.high, *numbers]), log=dim.log)
    whole = [v for v in numbers if isinstance(v, int)]
    if isinstance(dim, sp.IntDim) and len(whole) == len(values):
        return IntDistribution(min([dim.low, *whole]), max([dim.high, *whole]), log=dim.log)
    choices = list(dim.choices) if isinstance(dim, sp.CategoricalDim) else []
    return CategoricalDistribution([*choices, *(v for v in dict.fromkeys(values) if v not in choices)])


def distributions(items: list[dict[str, Any]], spaces: dict[str, sp.Space]) -> dict[str, Any]:
    """One distribution per prefixed parameter, the same in every trial (Optuna refuses a categorical
    whose choices change from one trial to the next)."""
    seen: dict[tuple[str, str], list[Any]] = {}
    for item in items:
        for name, value in (item.get("params") or {}).items():
            seen.setdefault((str(item["algorithm"]), name), []).append(value)
    return {f"{algorithm}__{name}": distribution(spaces.get(algorithm, {}).get(name), values)
            for (algorithm, name), values in seen.items()}


def job_algorithms(job: dict[str, Any], items: list[dict[str, Any]]) -> list[str]:
    """The algorithms the job searched (its spec's, else the task's defaults), and any its trials ran."""
    spec = job.get("spec") or {}
    named = [a if isinstance(a, str) else a.get("name") for a in spec.get("algorithms") or []]
    if not named and job.get("task") in ("binary", "multiclass", "regression"):
        named = algorithms.default_algorithms(str(job["task"]), "spark" if spec.get("engine") == "spark" else "local")
    return sorted({*[str(n) for n in named if n], *(str(i["algorithm"]) for i in items)})


def job_spaces(job: dict[str, Any], names: list[str]) -> dict[str, sp.Space]:
    """Each algorithm's space: the spec's override, else the catalog's (empty for a name it lacks)."""
    overrides = {a["name"]: a.get("space") for a in (job.get("spec") or {}).get("algorithms") or []
                 if isinstance(a, dict)}
    spaces: dict[str, sp.Space] = {}
    for name in names:
        try:
            spaces[name] = algorithms.space_for(name, overrides.get(name))
        except (KeyError, ValueError):
            spaces[name] = {}
    return spaces


def optuna_trial(item: dict[str, Any], choices: list[str], known: dict[str, Any]) -> Any:
    """One leaderboard entry as a frozen Optuna trial (``known``: every parameter's distribution)."""
    import optuna
    from optuna.distributions import CategoricalDistribution

    algorithm = str(item["algorithm"])
    params: dict[str, Any] = {ALGORITHM: algorithm}
    dists: dict[str, Any] = {ALGORITHM: CategoricalDistribution(choices)}
    for name, value in (item.get("params") or {}).items():
        key = f"{algorithm}__{name}"
        dists[key] = known[key]
        params[key] = value
    state = optuna.trial.TrialState[STATES.get(str(item.get("status", "completed")), "COMPLETE")]
    score = item.get("cv_mean")
    value = float(score) if state == optuna.trial.TrialState.COMPLETE and score is not None else None
    if value is not None and math.isnan(value):
        state, value = optuna.trial.TrialState.FAIL, None
    attrs = {"trial_id": item["trial_id"], "trial": trial_number(str(item["trial_id"])),
             "fold_scores": list(item.get("fold_scores") or []), "cv_std": item.get("cv_std"),
             "fit_seconds": item.get("fit_seconds"), "attempt": item.get("attempt", 1)}
    if item.get("reason"):
        attrs["reason"] = item["reason"]
    return optuna.trial.create_trial(state=state, value=value, params=params, distributions=dists,
                                     user_attrs=attrs)


def leaderboard_items(job_id: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Every page of the job's leaderboard: the first page's header and all its items."""
    first: dict[str, Any] = {}
    items: list[dict[str, Any]] = []
    while True:
        page = http.call("GET", f"/jobs/{job_id}/leaderboard?limit={PAGE}&offset={len(items)}")
        first = first or page
        items.extend(page["items"])
        total = page.get("total")
        if not page["items"] or (total is not None and len(items) >= total) or (total is None
                                                                              and len(page["items"]) < PAGE):
            return first, items


def redact(storage: str) -> str:
    """The storage URL with its password hidden (it is printed and may reach a log)."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        return make_url(storage).render_as_string(hide_password=True)
    except ArgumentError:
        return storage.split("@", 1)[-1] if "@" in storage else storage


def _scrub(message: str, storage: str) -> str:
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        password = make_url(storage).password
    except ArgumentError:
        password = None
    text = message.replace(storage, redact(storage))
    return text.replace(str(password), "***") if password else text


@app.command("export-optuna")
def export_optuna(
    job: str = typer.Argument(..., help="job id or a unique prefix of it"),
    storage: str = typer.Option(..., help="an Optuna storage URL, e.g. sqlite:///job.db"),
    study_name: str = typer.Option("", help="default: the job's name and the first 12 characters of its id"),
) -> None:
    """Write the job's trials into an Optuna study (for optuna-dashboard or optuna.visualization)."""
    import optuna

    job_id = job_id_of(job)
    view = http.call("GET", f"/jobs/{job_id}")
    board, items = leaderboard_items(job_id)
    greater = board.get("greater_is_better")
    if greater is None:
        http.say(f"error: job {job_id} has no metric direction yet (status {view.get('status')})")
        raise typer.Exit(http.EXIT_CONFLICT)
    name = study_name or f"{view.get('name') or 'job'}-{job_id[:12]}"
    choices = job_algorithms(view, items)
    known = distributions(items, job_spaces(view, choices))
    trials = [optuna_trial(item, choices, known) for item in items]
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    try:
        study = optuna.create_study(storage=storage, study_name=name,
                                    direction="maximize" if greater else "minimize")
    except optuna.exceptions.DuplicatedStudyError as exc:
        http.say(f"error: the storage already has a study named {name!r}; pass --study-name or delete it")
        raise typer.Exit(http.EXIT_CONFLICT) from exc
    except Exception as exc:  # noqa: BLE001  (a bad URL or unreachable database: one line, no password)
        http.say(f"error: cannot open the Optuna storage {redact(storage)}: "
                 f"{_scrub(str(exc).splitlines()[0] if str(exc) else type(exc).__name__, storage)}")
        raise typer.Exit(http.EXIT_REFUSED) from exc
    study.set_user_attr("job_id", job_id)
    study.set_user_attr("metric", board.get("metric") or view.get("metric"))
    study.set_user_attr("task", view.get("task"))
    study.add_trials(trials)
    console.print(f"wrote {len(trials)} trials of job {job_id} to study {name!r} in {redact(storage)}",
                  markup=False, highlight=False, soft_wrap=True)
