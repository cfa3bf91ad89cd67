"""The per-trial SASL benchmark's table (bench/sasl_platform.py): ratios of the brokers' medians over their
rounds, the goal judged on the amortized and the median overhead only."""

from __future__ import annotations

import pytest

from bench.sasl_platform import ACLS, FIGURES, HEADER, PLAIN, BrokerRound, table


def rounds_of(*figures: tuple[float, float, float, float]) -> list[BrokerRound]:
    return [BrokerRound(*f) for f in figures]


ROUNDS = {
    # (amortized, median, p95, broker CPU) per round
    PLAIN: rounds_of((10.0, 8.0, 50.0, 5.0), (20.0, 9.0, 60.0, 5.0), (12.0, 10.0, 70.0, 5.0)),
    # one slow round: the medians keep it out, a mean or a median of per-round ratios would not
    ACLS: rounds_of((13.0, 10.0, 200.0, 6.0), (13.2, 11.0, 300.0, 6.0), (40.0, 12.0, 400.0, 6.0)),
}


def test_each_ratio_is_of_the_medians_over_the_rounds() -> None:
    _, ratios = table(ROUNDS)
    assert ratios == pytest.approx({"amortized_ms": 13.2 / 12.0, "median_ms": 11.0 / 9.0, "p95_ms": 300.0 / 60.0,
                                    "kafka_cpu_ms": 6.0 / 5.0})


def test_the_goal_judges_the_amortized_and_median_overhead_and_nothing_else() -> None:
    rows, _ = table(ROUNDS)
    assert [len(r) for r in rows] == [len(HEADER)] * len(FIGURES)
    assert [r[-1] for r in rows] == ["met", "**missed**", "-", "-"]
    assert rows[0][1:4] == ["12.0 ms (10.0 / 20.0 / 12.0)", "13.2 ms (13.0 / 13.2 / 40.0)", "1.10"]
    assert rows[1][1:4] == ["9.0 ms (8.0 / 9.0 / 10.0)", "11.0 ms (10.0 / 11.0 / 12.0)", "1.22"]


def test_a_ratio_just_above_the_goal_is_missed() -> None:
    rounds = {PLAIN: rounds_of((10.0, 10.0, 10.0, 1.0)), ACLS: rounds_of((11.2, 9.0, 10.0, 1.0))}
    rows, ratios = table(rounds)
    assert ratios["amortized_ms"] == pytest.approx(1.12) and rows[0][-1] == "**missed**"
    assert ratios["median_ms"] == pytest.approx(0.9) and rows[1][-1] == "met"
