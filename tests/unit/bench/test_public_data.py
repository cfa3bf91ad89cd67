"""The public datasets of the AutoML benchmark: two disjoint lists, and one fixed split every tool shares."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from bench import public_data as pd_


def test_benchmark_and_portfolio_share_no_dataset() -> None:
    bench_sources = {d.source for d in pd_.BENCHMARK}
    portfolio_sources = {d.source for d in pd_.PORTFOLIO}
    assert bench_sources.isdisjoint(portfolio_sources)
    assert {d.name for d in pd_.BENCHMARK}.isdisjoint(d.name for d in pd_.PORTFOLIO)
    assert len(bench_sources) == len(pd_.BENCHMARK) and len(portfolio_sources) == len(pd_.PORTFOLIO)


@pytest.mark.parametrize("datasets", [pd_.BENCHMARK, pd_.PORTFOLIO], ids=["benchmark", "portfolio"])
def test_each_list_covers_every_kind(datasets: tuple[pd_.PublicDataset, ...]) -> None:
    kinds = {d.kind for d in datasets}
    assert kinds == {"rare-positive binary", "balanced binary", "multiclass", "regression"}
    assert {d.metric for d in datasets} == {"roc_auc", "balanced_accuracy", "rmse"}


def test_list_sizes() -> None:
    assert len(pd_.BENCHMARK) >= 10
    assert 9 <= len(pd_.PORTFOLIO) <= 16
    tasks = [d.task for d in pd_.PORTFOLIO]
    assert min(tasks.count(t) for t in ("binary", "multiclass", "regression")) >= 3
    assert tasks.count("binary") >= 6  # what the binary portfolio is learned from (caravan-like data included)


def _frame(n: int = 500) -> pd.DataFrame:
    return pd.DataFrame({"x": range(n), "c": ["a", "b"] * (n // 2), "y": ["yes" if i % 10 == 0 else "no"
                                                                        for i in range(n)]})


def test_split_is_fixed_stratified_and_80_20() -> None:
    data = pd_.PublicDataset("toy", "none:toy", "y", "binary", "rare-positive binary", "toy")
    frame = _frame()
    train, test = pd_.split(data, frame)
    again_train, again_test = pd_.split(data, frame)
    assert len(test) == 100 and len(train) == 400
    pd.testing.assert_frame_equal(train, again_train)
    pd.testing.assert_frame_equal(test, again_test)
    assert set(train["x"]).isdisjoint(test["x"]) and len(set(train["x"]) | set(test["x"])) == 500
    for seed in range(8):  # stratified: exactly 10 % positives in every test part (a plain split varies)
        assert (pd_.split(data, frame, seed=seed)[1]["y"] == "yes").sum() == 10
    other_train, _ = pd_.split(data, frame, seed=pd_.SPLIT_SEED + 1)
    assert list(other_train["x"]) != list(train["x"])


def test_regression_split_is_not_stratified_but_still_fixed() -> None:
    data = pd_.PublicDataset("toy", "none:toy", "x", "regression", "regression", "toy")
    train, test = pd_.split(data, _frame())
    assert len(test) == 100 and list(pd_.split(data, _frame())[1]["x"]) == list(test["x"])


def test_select() -> None:
    assert pd_.select(None) == pd_.BENCHMARK
    assert [d.name for d in pd_.select("oj, default")] == ["oj", "default"]
    with pytest.raises(KeyError, match="nope"):
        pd_.select("oj,nope")
    with pytest.raises(KeyError, match="treatment"):
        pd_.select("treatment")  # a portfolio dataset is not a benchmark dataset


def test_load_and_write_split(tmp_path: Path) -> None:
    data = pd_.get("oj")
    frame = pd_.load(data)
    assert len(frame) == 1070 and not any(str(c).startswith("Unnamed") for c in frame.columns)
    files = pd_.write_split(data, tmp_path)
    train, test = pd.read_csv(files.train), pd.read_csv(files.test)
    assert (len(train), len(test)) == (856, 214)
    assert files.train_uri.startswith("file://") and files.train_uri.endswith("/oj/train.csv")
    written = files.train.stat().st_mtime_ns
    pd_.write_split(data, tmp_path)
    assert files.train.stat().st_mtime_ns == written  # unchanged content is not rewritten


def test_leaking_columns_are_dropped() -> None:
    frame = pd_.load(pd_.get("bikeshare"))
    assert "casual" not in frame.columns and "registered" not in frame.columns


def test_rdata_dataset_loads_from_the_wheel() -> None:
    frame = pd_.load(pd_.get("hdma"))
    assert len(frame) == 2381 and set(frame["deny"]) == {"no", "yes"}
