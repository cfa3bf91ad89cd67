"""AutoGluon-Tabular on one dataset, run by ``bench/automl.py`` in AutoGluon's own virtualenv
(``make bench-env``: AutoGluon needs pandas<2.4, the project runs on pandas 3). It imports nothing
of the project.

``python bench/_autogluon_fit.py REQUEST.json``: the request names the training and test CSV files,
the target, the problem type, AutoGluon's metric name, the time limit and a work folder; the answer,
written to ``OUT``, holds the fit's wall time (from ``fit`` to the test predictions, imports not
counted, as for the in-process tools) and the test predictions: class probabilities with their
class names for classification, values for regression.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path


def main(request_path: str) -> None:
    request = json.loads(Path(request_path).read_text())
    import pandas as pd
    from autogluon.tabular import TabularPredictor

    train = pd.read_csv(request["train"])
    test = pd.read_csv(request["test"]).drop(columns=[request["target"]])
    t0 = time.time()
    predictor = TabularPredictor(label=request["target"], problem_type=request["problem_type"],
                                 eval_metric=request["eval_metric"], path=request["workdir"], verbosity=0)
    predictor.fit(train, presets=request["presets"], time_limit=request["time_limit"], num_cpus=request["cpus"],
                  num_gpus=0)
    if request["problem_type"] == "regression":
        output: dict[str, object] = {"values": predictor.predict(test).astype(float).tolist()}
    else:
        proba = predictor.predict_proba(test)
        output = {"classes": [str(c) for c in proba.columns], "proba": proba.to_numpy().tolist(),
                  "labels": [str(v) for v in predictor.predict(test)]}
    wall = time.time() - t0
    board = predictor.leaderboard(silent=True)
    answer = {"wall_s": wall, "best_model": str(predictor.model_best), "models": int(len(board)), **output}
    Path(request["out"]).write_text(json.dumps(answer))


if __name__ == "__main__":
    main(sys.argv[1])
