"""The registry's alias rules, table-style: what champion and challenger point at after a registration."""

from __future__ import annotations

import pytest

from zygarde.registry.rules import aliases_after_registration, beats


@pytest.mark.parametrize("aliases, new, new_holdout, champion_holdout, greater, auto, min_improvement, expected", [
    # the first version of a name is both champion and challenger
    pytest.param({}, 1, 0.90, None, True, False, 0.0, {"champion": 1, "challenger": 1}, id="first-version"),
    # a later winner is only challenger while auto-promotion is off, however good it is
    pytest.param({"champion": 1, "challenger": 1}, 2, 0.99, 0.90, True, False, 0.0,
                 {"champion": 1, "challenger": 2}, id="manual-only"),
    # auto-promotion: higher is better and it is higher
    pytest.param({"champion": 1, "challenger": 1}, 2, 0.95, 0.90, True, True, 0.0,
                 {"champion": 2, "challenger": 2}, id="auto-beats-higher-better"),
    # auto-promotion: higher is better and it is lower
    pytest.param({"champion": 1, "challenger": 1}, 2, 0.85, 0.90, True, True, 0.0,
                 {"champion": 1, "challenger": 2}, id="auto-loses-higher-better"),
    # auto-promotion with an error metric (rmse): lower wins
    pytest.param({"champion": 1, "challenger": 1}, 2, 3.0, 4.0, False, True, 0.0,
                 {"champion": 2, "challenger": 2}, id="auto-beats-lower-better"),
    # an error metric that went up never promotes
    pytest.param({"champion": 1, "challenger": 1}, 2, 5.0, 4.0, False, True, 0.0,
                 {"champion": 1, "challenger": 2}, id="auto-loses-lower-better"),
    # a tie is not an improvement
    pytest.param({"champion": 3, "challenger": 3}, 4, 0.90, 0.90, True, True, 0.0,
                 {"champion": 3, "challenger": 4}, id="tie-keeps-champion"),
    # better, but not by the required margin
    pytest.param({"champion": 1, "challenger": 1}, 2, 0.905, 0.90, True, True, 0.01,
                 {"champion": 1, "challenger": 2}, id="under-min-improvement"),
    # better by more than the margin
    pytest.param({"champion": 1, "challenger": 1}, 2, 0.93, 0.90, True, True, 0.01,
                 {"champion": 2, "challenger": 2}, id="over-min-improvement"),
    # no holdout score on either side: nothing to compare, keep the champion
    pytest.param({"champion": 1, "challenger": 1}, 2, None, 0.90, True, True, 0.0,
                 {"champion": 1, "challenger": 2}, id="no-holdout-new"),
    pytest.param({"champion": 1, "challenger": 1}, 2, 0.9, None, True, True, 0.0,
                 {"champion": 1, "challenger": 2}, id="no-holdout-champion"),
    # an explicitly promoted champion stays when a worse challenger arrives
    pytest.param({"champion": 2, "challenger": 3}, 4, 0.80, 0.95, True, True, 0.0,
                 {"champion": 2, "challenger": 4}, id="promoted-champion-stays"),
    # re-applying the rules for the champion's own version changes nothing (idempotent re-run)
    pytest.param({"champion": 2, "challenger": 2}, 2, 0.95, 0.95, True, True, 0.0,
                 {"champion": 2, "challenger": 2}, id="rerun-is-idempotent"),
])
def test_aliases_after_registration(aliases: dict[str, int], new: int, new_holdout: float | None,
                                    champion_holdout: float | None, greater: bool, auto: bool,
                                    min_improvement: float, expected: dict[str, int]) -> None:
    after, reason = aliases_after_registration(aliases, new, new_holdout, champion_holdout, greater, auto,
                                               min_improvement)
    assert after == expected
    assert reason
    assert aliases_after_registration(after, new, new_holdout, champion_holdout, greater, auto,
                                      min_improvement)[0] == expected


@pytest.mark.parametrize("score, reference, greater, margin, expected", [
    pytest.param(0.9, 0.8, True, 0.0, True, id="higher-wins"),
    pytest.param(0.8, 0.9, True, 0.0, False, id="lower-loses"),
    pytest.param(1.0, 2.0, False, 0.0, True, id="lower-error-wins"),
    pytest.param(2.0, 1.0, False, 0.0, False, id="higher-error-loses"),
    pytest.param(0.9, 0.9, True, 0.0, False, id="tie"),
    pytest.param(None, 0.9, True, 0.0, False, id="missing"),
])
def test_beats(score: float | None, reference: float | None, greater: bool, margin: float, expected: bool) -> None:
    assert beats(score, reference, greater, margin) is expected
