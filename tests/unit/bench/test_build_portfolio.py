"""The warm-start portfolio: its greedy construction, and the shipped files being points of today's spaces."""

from __future__ import annotations

import pytest

from bench import public_data
from bench.build_portfolio import candidates, greedy, kept_sections, regrets
from zygarde.ml import algorithms, portfolio
from zygarde.ml import space as sp


def test_greedy_adds_the_member_that_lowers_the_summed_regret_most_and_stops_without_gain() -> None:
    matrix = [[0.0, 0.9, 0.9],  # best on the first column only: complements the third
              [0.4, 0.4, 0.4],  # never best and no complement
              [0.9, 0.0, 0.0],  # the best single member
              [0.9, 0.0, 0.1]]  # adds nothing once the third is in
    chosen, history = greedy(matrix)
    assert chosen == [2, 0] and history == pytest.approx([0.9, 0.0])


def test_regrets_are_normalised_per_column_and_failures_are_the_worst() -> None:
    assert regrets([0.9, 0.8, None, 0.7], greater=True) == pytest.approx([0.0, 0.5, 1.0, 1.0])
    assert regrets([3.0, 2.0], greater=False) == pytest.approx([1.0, 0.0])


def test_the_pool_is_seeded_and_every_candidate_is_a_point_of_its_space() -> None:
    assert candidates("binary") == candidates("binary")
    for name, params in candidates("regression"):
        assert name in algorithms.default_algorithms("regression")
        assert set(params) <= set(algorithms.get(name).space)


@pytest.mark.parametrize("task", ["binary", "multiclass", "regression"])
def test_the_shipped_portfolio_fits_the_catalog(task: str) -> None:
    members = portfolio.members(task)
    assert 3 <= len(members) <= 10
    for name, params in members:
        space = algorithms.get(name).space
        assert task in algorithms.get(name).tasks
        for pname, value in params.items():
            dim = space[pname]
            assert value in dim.choices if isinstance(dim, sp.CategoricalDim) else dim.low <= value <= dim.high


def test_portfolio_datasets_are_disjoint_from_the_benchmark() -> None:
    assert not {d.name for d in public_data.PORTFOLIO} & {d.name for d in public_data.BENCHMARK}
    assert not {d.source for d in public_data.PORTFOLIO} & {d.source for d in public_data.BENCHMARK}


def test_a_rebuild_of_one_task_keeps_the_other_sections_of_the_report() -> None:
    page = ("# Warm-start portfolios\n\nintro\n\n## binary\n\nDatasets: a\n\n| b |\n\n"
            "## multiclass\n\nDatasets: m\n\n## regression\n\nDatasets: r\n")
    kept = kept_sections(page)
    assert kept == {"binary": "## binary\n\nDatasets: a\n\n| b |\n", "multiclass": "## multiclass\n\nDatasets: m\n",
                    "regression": "## regression\n\nDatasets: r\n"}
    assert kept_sections("") == {}
