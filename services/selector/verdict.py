"""Whether the selector announces an ensemble: its gain over the best trial out of fold and on the
holdout, weighed together (see ``final_model``'s docstring for why)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

VETO_Z = 2.0  # the holdout turns an ensemble away when it loses there by more than this many of its standard errors


@dataclass
class Verdict:
    announce: bool
    pooled_gain: float
    holdout_error: float | None  # the standard error of the holdout gain, from the per-fold gains
    reason: str


def judge(oof_gain: float, oof_rows: int, holdout_gain: float, holdout_rows: int, fold_sd: float | None,
          fold_rows: float) -> Verdict:
    """Announce the ensemble or not, from its gains over the best trial (in the metric's direction) out of
    fold, over ``oof_rows``, and on the holdout, over ``holdout_rows`` (see the module's docstring): when
    their row-weighted mean is a gain and the holdout gain is not below ``-VETO_Z`` of its standard error.
    That error is ``fold_sd``, the standard deviation of the gains on folds of ``fold_rows`` rows, times
    the root of ``fold_rows / holdout_rows``. Without ``fold_sd`` the holdout decides alone."""
    pooled = (oof_rows * oof_gain + holdout_rows * holdout_gain) / max(1, oof_rows + holdout_rows)
    if fold_sd is None or holdout_rows < 1:
        won = holdout_gain > 0
        return Verdict(won, pooled, None, "wins on the holdout (no per-fold gains to weigh it with)" if won else
                       "does not win on the holdout (no per-fold gains to weigh it with)")
    error = fold_sd * float(np.sqrt(fold_rows / holdout_rows))
    if holdout_gain < -VETO_Z * error:
        return Verdict(False, pooled, error, f"worse on the holdout by over {VETO_Z:g} standard errors ({error:.3g})")
    if pooled <= 0:
        return Verdict(False, pooled, error, f"no gain over both ({pooled:.3g}, weighted by rows)")
    return Verdict(True, pooled, error, f"a gain of {pooled:.3g} over both (weighted by rows), the holdout "
                   f"within {VETO_Z:g} standard errors ({error:.3g})")
