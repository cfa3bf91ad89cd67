"""The pure parts of the AutoML benchmark: scoring from predictions, normalisation, ratios, goals, tables."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pytest

from bench import automl as a
from bench import public_data


@pytest.mark.parametrize(("scores", "greater", "expected"), [
    pytest.param({"x": 0.9, "y": 0.8, "z": 0.85}, True, {"x": 1.0, "y": 0.0, "z": 0.5}, id="higher is better"),
    pytest.param({"x": 10.0, "y": 20.0, "z": 12.5}, False, {"x": 1.0, "y": 0.0, "z": 0.75}, id="rmse: lower wins"),
    pytest.param({"x": 0.7, "y": None, "z": 0.6}, True, {"x": 1.0, "z": 0.0}, id="a failed tool is left out"),
    pytest.param({"x": 0.7, "y": 0.7}, True, {"x": 1.0, "y": 1.0}, id="all equal: all best"),
    pytest.param({"x": math.nan, "y": 0.5}, True, {"y": 1.0}, id="NaN left out"),
    pytest.param({}, True, {}, id="nothing scored"),
])
def test_normalise(scores: dict[str, float | None], greater: bool, expected: dict[str, float]) -> None:
    assert a.normalise(scores, greater) == pytest.approx(expected)


def test_test_score_binary_uses_the_second_class_probability() -> None:
    out = a.Output(classes=["No", "Yes"], proba=np.array([[0.9, 0.1], [0.2, 0.8], [0.6, 0.4]]),
                   labels=["No", "Yes", "No"])
    assert a.test_score("roc_auc", ["No", "Yes", "Yes"], out) == pytest.approx(1.0)
    flipped = a.Output(classes=["Yes", "No"], proba=out.proba, labels=out.labels)  # columns in another order
    assert a.test_score("roc_auc", ["No", "Yes", "Yes"], flipped) == pytest.approx(0.0)


def test_test_score_labels_as_text_and_rmse() -> None:
    out = a.Output(labels=["1", "2", "2", "3"])
    assert a.test_score("balanced_accuracy", [1, 2, 3, 3], out) == pytest.approx((1 + 1 + 0.5) / 3)
    assert a.test_score("rmse", [1.0, 2.0], a.Output(values=np.array([2.0, 4.0]))) == pytest.approx(math.sqrt(2.5))
    with pytest.raises(ValueError, match="binary"):
        a.test_score("roc_auc", ["a"], a.Output(classes=["a", "b", "c"], proba=np.ones((1, 3))))


def _runs(scores: dict[str, float | None], walls: dict[str, float], curve: list[tuple[float, float]] | None = None,
          dataset: str = "default") -> dict[str, a.ToolRun]:
    return {t: a.ToolRun(dataset, t, s, walls[t], curve=(curve or []) if t == a.ZYGARDE else [])
            for t, s in scores.items()}


def test_summarise_dataset_ratios_reach_and_contenders() -> None:
    data = public_data.get("default")  # roc_auc
    runs = _runs({a.ZYGARDE: 0.95, a.BASELINE: 0.94, a.OPTUNA: 0.93, a.FLAML: 0.90, a.AUTOGLUON: 0.97},
                 {a.ZYGARDE: 30.0, a.BASELINE: 20.0, a.OPTUNA: 25.0, a.FLAML: 30.5, a.AUTOGLUON: 21.0},
                 curve=[(2.0, 0.92), (5.0, 0.941), (20.0, 0.95)])
    s = a.summarise_dataset(data, runs)
    assert s.wall_ratio[a.ZYGARDE] == pytest.approx(1.5) and s.wall_ratio[a.BASELINE] == pytest.approx(1.0)
    assert s.reach_ratio == pytest.approx(5.0 / 20.0)  # reached RS's 0.94 at 5 s of RS's 20 s
    assert s.zygarde_beats_baseline is True
    assert s.normalised[a.AUTOGLUON] == 1.0 and s.normalised[a.ZYGARDE] == pytest.approx(0.05 / 0.07)
    assert a.AUTOGLUON not in s.normalised_contenders and s.normalised_contenders[a.ZYGARDE] == 1.0


def test_summarise_dataset_rmse_and_never_reached() -> None:
    data = public_data.get("wage")  # rmse: lower is better
    runs = _runs({a.ZYGARDE: 35.0, a.BASELINE: 34.0}, {a.ZYGARDE: 50.0, a.BASELINE: 10.0},
                 curve=[(3.0, 36.0), (9.0, 35.0)])
    s = a.summarise_dataset(data, runs)
    assert s.reach_ratio is None and s.zygarde_beats_baseline is False
    assert s.normalised == {a.ZYGARDE: 0.0, a.BASELINE: 1.0}


def _summary(name: str, z: float, wall: float, reach: float | None, beats: bool) -> a.DatasetSummary:
    return a.DatasetSummary(name, "roc_auc", {a.ZYGARDE: z}, {a.ZYGARDE: z}, {a.ZYGARDE: wall, a.BASELINE: 1.0},
                            reach, beats)


def test_goals_met() -> None:
    rows = a.goals([_summary("p", 1.0, 0.8, 0.2, True), _summary("q", 0.96, 2.0, 0.3, True),
                    _summary("r", 1.0, 1.0, 0.5, False)])
    assert [r[3] for r in rows] == ["met"] * 4
    assert rows[2][1] == "0.30"  # median of 0.2, 0.3, 0.5


def test_goals_missed() -> None:
    rows = a.goals([_summary("p", 0.5, 2.0, None, False), _summary("q", 1.0, 1.0, None, True),
                    _summary("r", 0.9, 1.6, 0.1, False)])
    assert [r[3] for r in rows] == ["**missed**"] * 4
    assert rows[0][1] == "0.50" and rows[1][1] == "0.90"
    assert rows[2][1] == "not reached"  # two of three never reached: the median is infinitely late
    assert rows[3][1] == "p, r"


def test_table_and_median_rows() -> None:
    datasets = [public_data.get("default"), public_data.get("wage")]
    runs = {("default", t): r for t, r in _runs({a.ZYGARDE: 0.95, a.BASELINE: 0.94, a.FLAML: None},
                                               {a.ZYGARDE: 30.0, a.BASELINE: 20.0, a.FLAML: 0.0}).items()}
    runs[("default", a.FLAML)].error = "RuntimeError: boom"
    runs |= {("wage", t): r for t, r in _runs({a.ZYGARDE: 30.0, a.BASELINE: 32.0}, {a.ZYGARDE: 5.0, a.BASELINE: 10.0},
                                             dataset="wage").items()}
    summaries = {d.name: a.summarise_dataset(d, {t: r for (dn, t), r in runs.items() if dn == d.name})
                 for d in datasets}
    rows = a.table_rows(datasets, runs, summaries)
    assert rows[0][:7] == ["default (roc_auc)", a.ZYGARDE, "0.9500", "30.0", "1.00", "1.50", "+0.0100"]
    assert rows[1][4] == "0.00" and rows[1][6] == "+0.0000"  # the worst of two, never "-0.00"
    assert rows[2][2] == "failed" and rows[2][7].startswith("RuntimeError") and rows[2][4] == rows[2][6] == "-"
    assert rows[3][:7] == ["wage (rmse)", a.ZYGARDE, "30.000", "5.0", "1.00", "0.50", "+6.25 %"]  # 2 of 32 lower
    assert rows[4][4] == "0.00"  # rmse's worst: 0 / a negative span is -0.0, written "0.00"
    medians = {r[0]: r for r in a.median_rows(list(summaries.values()))}
    assert medians[a.ZYGARDE][1:4] == ["1.00", "1.00", "2 of 2"]  # ratios 1.5 and 0.5
    assert medians[a.BASELINE][1:4] == ["0.00", "1.00", "0 of 2"]
    assert medians[a.OPTUNA][1:3] == ["-", "-"]


def test_options() -> None:
    args = a.parse(["--quick", "--datasets", "oj,wage", "--strategy", "asha"])
    assert args.quick and args.datasets == "oj,wage" and args.strategy == "asha"
    assert a.default_strategy() in ("auto", "tpe")


def test_the_same_score_a_float_s_last_bit_apart_is_not_better() -> None:
    data = public_data.get("oj")  # roc_auc
    runs = _runs({a.ZYGARDE: 0.8958888991078819, a.BASELINE: 0.8958888991078818}, {a.ZYGARDE: 7.6, a.BASELINE: 3.2})
    assert a.summarise_dataset(data, runs).zygarde_beats_baseline is False


def _rounds(tool: str, scores: Sequence[float | None], walls: Sequence[float], dataset: str = "oj") -> list[a.ToolRun]:
    return [a.ToolRun(dataset, tool, s, w, detail=f"run {i}", repeat=i)
            for i, (s, w) in enumerate(zip(scores, walls, strict=True))]


def test_the_median_round_is_a_real_run_with_the_median_wall_time() -> None:
    runs = _rounds(a.OPTUNA, [0.80, 0.90, 0.85], [10.0, 30.0, 11.0])
    chosen = a.median_run(runs, greater=True)
    assert chosen.score == 0.85 and chosen.repeat == 2 and chosen.wall_s == 11.0
    assert chosen.detail == "median of 3 rounds, scores 0.8000-0.9000; its run: run 2"
    # an even count takes the worse of the middle two, in the metric's direction; a failed round ranks last
    assert a.median_run(_rounds(a.FLAML, [0.80, 0.90], [1.0, 3.0]), greater=True).score == 0.80
    assert a.median_run(_rounds(a.FLAML, [29.0, 31.0], [1.0, 3.0]), greater=False).score == 31.0
    failed = a.median_run(_rounds(a.FLAML, [0.70, None, 0.75], [1.0, 0.0, 2.0]), greater=True)
    assert failed.score == 0.70 and failed.detail.startswith("median of 3 rounds, scores 0.7000-0.7500, 1 failed")
    assert a.median_run(runs[:1], greater=True) is runs[0]


def test_rounds_are_normalised_one_by_one_and_an_old_run_is_round_zero() -> None:
    oj, grouped = public_data.get("oj"), dict[tuple[str, str], list[a.ToolRun]]()
    for tool, scores in {a.ZYGARDE: [0.90, 0.90], a.BASELINE: [0.80, 0.80], a.OPTUNA: [0.85, 0.95],
                         a.FLAML: [0.70, 0.70]}.items():
        grouped[("oj", tool)] = _rounds(tool, scores, [1.0, 1.0])
    rows = a.round_rows([oj], grouped, [0, 1])
    assert rows == [["oj", "1.00", "0.80"], ["≥ 0.95 on every dataset", "met", "**missed**"]]
    old = a.rounds_of({"commit": "abc", "started": "then", "load_before": [1.2], "load_during": [1.5, 2.0],
                       "elapsed_s": 60.0})
    assert old == [{"repeat": 0, "seed": a.SEED, "commit": "abc", "started": "then", "load_before": 1.2,
                    "elapsed_s": 60.0, "load_max": 2.0}]
    assert a.parse(["--repeats", "2", "--append"]).repeats == 2


def test_replace_keeps_the_other_datasets_runs_in_the_earlier_order_and_says_where_they_came_from() -> None:
    from dataclasses import asdict

    earlier = {"started": "then", "commit": "abc", "rounds": [{"repeat": 0, "commit": "abc", "started": "then"}],
               "runs": [asdict(r) for r in [*_rounds(a.ZYGARDE, [0.9], [1.0], "oj"),
                                            *_rounds(a.BASELINE, [0.8], [1.0], "oj"),
                                            *_rounds(a.ZYGARDE, [30.0], [2.0], "wage"),
                                            *_rounds(a.ZYGARDE, [0.7], [3.0], "caravan")]]}
    kept = a.kept_from(earlier, {"oj"})
    assert kept["datasets"] == ["wage", "caravan"] and kept["order"] == ["oj", "wage", "caravan"]
    assert [(d["dataset"], d["score"]) for d in kept["runs"]] == [("wage", 30.0), ("caravan", 0.7)]
    new = [*_rounds(a.BASELINE, [0.85], [1.0], "oj"), *_rounds(a.ZYGARDE, [0.95], [1.0], "oj")]
    docs = a.merged(kept["runs"], new, kept["order"])
    assert [(d["dataset"], d["tool"], d["score"]) for d in docs] == [
        ("oj", a.ZYGARDE, 0.95), ("oj", a.BASELINE, 0.85), ("wage", a.ZYGARDE, 30.0), ("caravan", a.ZYGARDE, 0.7)]
    note = a.kept_note({"kept": {k: v for k, v in kept.items() if k != "runs"}})
    assert note.startswith("**Rows of wage, caravan are kept from an earlier run** (started then, code at abc;")
    assert a.kept_note({}) == ""
    # a second --replace of the same dataset keeps the first note's source, not the merged run's own commit
    again = a.kept_from({"started": "now", "commit": "def", "kept": {k: v for k, v in kept.items() if k != "runs"},
                         "runs": docs}, {"oj"})
    assert again["commit"] == "abc" and again["datasets"] == ["wage", "caravan"]
    assert a.main(["--replace"]) == 2 and a.main(["--replace", "--append", "--datasets", "oj"]) == 2
