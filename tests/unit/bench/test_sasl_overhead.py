"""The SASL benchmark's table (bench/sasl_overhead.py): the goal on the steady state, connecting beside it."""

from __future__ import annotations

import pytest

from bench.bus_throughput import BusRound
from bench.sasl_overhead import ACLS, HEADER, PLAIN, table


def test_the_ratio_is_the_steady_states_and_connection_costs_are_medians_in_ms() -> None:
    rounds = {PLAIN: [BusRound(20_000.0, 0.010, 0.100), BusRound(24_000.0, 0.030, 0.300),
                      BusRound(22_000.0, 0.020, 0.200)],
              # slow to connect (SCRAM's round trips) but as fast once connected
              ACLS: [BusRound(19_800.0, 0.090, 0.400), BusRound(21_000.0, 0.070, 0.600),
                     BusRound(9_000.0, 0.080, 0.500)]}
    rows, ratio = table(rounds)
    assert ratio == pytest.approx(19_800 / 22_000)
    assert [len(r) for r in rows] == [len(HEADER)] * 2
    assert rows[0] == [PLAIN, "22,000", "20,000 / 24,000 / 22,000", "1.00", "20", "200"]
    assert rows[1] == [ACLS, "19,800", "19,800 / 21,000 / 9,000", "0.90", "80", "500"]


def test_a_round_without_a_warm_up_has_no_connection_figure_to_count() -> None:
    rounds = {PLAIN: [BusRound(10_000.0, 0.010, 0.050), BusRound(10_000.0)],
              ACLS: [BusRound(5_000.0, 0.030, 0.070), BusRound(5_000.0, 0.050, 0.090)]}
    rows, ratio = table(rounds)
    assert ratio == 0.5
    assert rows[0][4:] == ["10", "50"] and rows[1][4:] == ["40", "80"]
