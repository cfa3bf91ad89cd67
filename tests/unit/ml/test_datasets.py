"""Datasets: confinement to the data roots, limits, caches, builtins, task detection."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tests.unit.ml.conftest import frame
from zygarde.errors import DatasetError
from zygarde.ml import datasets


@pytest.fixture
def root(tmp_path: Path) -> Path:
    root = tmp_path / "root"
    root.mkdir()
    (tmp_path / "outside.csv").write_text("a,b\n1,2\n")
    (root / "data.txt").write_text("a\n1\n")
    (root / "inside.csv").write_text("a,b\n1,2\n")
    os.symlink(tmp_path / "outside.csv", root / "link.csv")
    os.symlink(root / "inside.csv", root / "alias.csv")
    return root


@pytest.mark.parametrize("make_uri, reason", [
    pytest.param(lambda r: f"file://{r}/../outside.csv", "outside the data roots", id="dotdot"),
    pytest.param(lambda r: f"file://{r}/%2E%2E/outside.csv", "outside the data roots", id="encoded-dotdot"),
    pytest.param(lambda r: f"file://{r}/link.csv", "outside the data roots", id="symlink-out"),
    pytest.param(lambda r: "file:///etc/passwd", "outside the data roots", id="etc-passwd"),
    pytest.param(lambda r: "http://example.com/x.csv", "scheme 'http' is not allowed", id="http"),
    pytest.param(lambda r: "s3://bucket/x.csv", "s3:// needs ZYGARDE_S3_DATA_ROOTS", id="s3-without-buckets"),
    pytest.param(lambda r: f"{r}/inside.csv", "bare path", id="no-scheme"),
    pytest.param(lambda r: "file://evil.host/x.csv", "must not name a host", id="remote-host"),
    pytest.param(lambda r: f"file://{r}/missing.csv", "does not exist", id="missing"),
    pytest.param(lambda r: f"file://{r}/data.txt", "not .csv or .parquet", id="extension"),
    pytest.param(lambda r: "builtin:../../etc/passwd", "unknown builtin", id="builtin-escape"),
])
def test_dataset_uris_are_confined(tmp_path: Path, root: Path, make_uri: Callable[[Path], str],
                                   reason: str) -> None:
    with pytest.raises(DatasetError, match=reason):
        datasets.load_frame(make_uri(root), [root], tmp_path / "cache")


def test_symlink_inside_the_root_is_fine(tmp_path: Path, root: Path) -> None:
    assert datasets.resolve_path(f"file://{root}/alias.csv", [root]) == (root / "inside.csv").resolve()
    assert list(datasets.load_frame(f"file://{root}/alias.csv", [root], tmp_path / "c").columns) == ["a", "b"]


@pytest.mark.parametrize("header", [
    pytest.param(",".join(f"c{i}" for i in range(200_000)), id="header-over-1MB"),
    pytest.param(",".join(f"c{i}" for i in range(10_001)), id="over-10k-columns"),
])
def test_absurd_headers_are_refused(tmp_path: Path, header: str) -> None:
    path = tmp_path / "wide.csv"
    path.write_text(header + "\n")
    with pytest.raises(DatasetError, match="header|columns"):
        datasets.load_frame(path.as_uri(), [tmp_path], tmp_path / "cache")


def test_size_limit_is_configurable(tmp_path: Path) -> None:
    path = tmp_path / "d.csv"
    frame("binary").to_csv(path, index=False)
    with pytest.raises(DatasetError, match="over the limit"):
        datasets.load_frame(path.as_uri(), [tmp_path], tmp_path / "cache", max_bytes=100)


@pytest.mark.parametrize("content, reason", [
    pytest.param("", "cannot read", id="empty"),
    pytest.param("a,b\n", "no rows", id="header-only"),
])
def test_unreadable_files(tmp_path: Path, content: str, reason: str) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(content)
    with pytest.raises(DatasetError, match=reason):
        datasets.load_frame(path.as_uri(), [tmp_path], tmp_path / "cache")


def test_parquet_and_the_caches(tmp_path: Path) -> None:
    path = tmp_path / "d.parquet"
    df = frame("binary", n=5000)
    df.to_parquet(path)
    first = datasets.load_frame(path.as_uri(), [tmp_path], tmp_path / "cache")
    pd.testing.assert_frame_equal(first, df)
    key = datasets.content_hash(path.as_uri(), [tmp_path])
    assert (tmp_path / "cache" / f"{key}.{datasets.PARSER}.parquet").exists()
    started = time.perf_counter()
    assert datasets.load_frame(path.as_uri(), [tmp_path], tmp_path / "cache") is first  # in-process LRU
    assert time.perf_counter() - started < 0.05
    datasets._memory.clear()  # a fresh process: served from the Parquet cache, same content
    pd.testing.assert_frame_equal(datasets.load_frame(path.as_uri(), [tmp_path], tmp_path / "cache"), df)


def test_content_hash_follows_the_bytes(tmp_path: Path) -> None:
    path = tmp_path / "d.csv"
    path.write_text("a,b\n1,2\n")
    before = datasets.content_hash(path.as_uri(), [tmp_path])
    path.write_text("a,b\n1,3\n")
    os.utime(path, ns=(time.time_ns(), time.time_ns() + 10**9))
    assert datasets.content_hash(path.as_uri(), [tmp_path]) != before
    assert datasets.content_hash("builtin:wine", []) != datasets.content_hash("builtin:diabetes", [])


@pytest.mark.parametrize("uri", list(datasets.BUILTINS))
def test_builtins_load_without_network(tmp_path: Path, uri: str) -> None:
    spec = datasets.BUILTINS[uri]
    df = datasets.load_frame(uri, [], tmp_path / "cache")
    assert spec.target in df.columns and len(df) > 100 and spec.description
    assert datasets.detect_task(df[spec.target]) == spec.task


def test_default_has_rare_positives(tmp_path: Path) -> None:
    df = datasets.load_frame("builtin:default", [], tmp_path / "cache")
    assert len(df) == 10_000 and 0.02 < (df["default"] == "Yes").mean() < 0.05


@pytest.mark.parametrize("series, task", [
    pytest.param(pd.Series([0, 1, 0, 1]), "binary", id="binary-ints"),
    pytest.param(pd.Series(["Yes", "No", "No"]), "binary", id="binary-strings"),
    pytest.param(pd.Series([True, False, None]), "binary", id="binary-bools-with-missing"),
    pytest.param(pd.Series(["a", "b", "c", "a"]), "multiclass", id="multiclass-strings"),
    pytest.param(pd.Series([0, 1, 2, 3, 1, 2]), "multiclass", id="multiclass-ints"),
    pytest.param(pd.Series(np.linspace(0, 1, 50)), "regression", id="regression-floats"),
    pytest.param(pd.Series(np.arange(100)), "regression", id="regression-many-ints"),
])
def test_task_detection(series: pd.Series, task: str) -> None:
    assert datasets.detect_task(series) == task


def test_latin1_csv_is_read(tmp_path: Path) -> None:
    path = tmp_path / "l.csv"
    path.write_bytes("city,y\nMünchen,1\nZürich,0\n".encode("latin-1"))
    df = datasets.load_frame(path.as_uri(), [tmp_path], tmp_path / "c")
    assert list(df["city"]) == ["München", "Zürich"]


def test_a_semicolon_file_with_decimal_commas_is_read_as_numbers(tmp_path: Path) -> None:
    # a spreadsheet's export in many locales: ';' between fields, ',' before the decimals
    path = tmp_path / "export.csv"
    path.write_text("price;city;y\n1,5;Lyon;1\n-2,25;Nice;0\n3,0;Paris;1\n10;Metz;0\n")
    df = datasets.load_frame(path.as_uri(), [tmp_path], tmp_path / "c")
    assert list(df.columns) == ["price", "city", "y"]
    assert df["price"].tolist() == [1.5, -2.25, 3.0, 10.0] and df["price"].dtype == float


@pytest.mark.parametrize("content, dialect", [
    pytest.param("a,b,y\n1.5,x,1\n2.5,y,0\n", datasets.CsvDialect(",", "."), id="comma-point"),
    pytest.param("a;b;y\n1.5;x;1\n2.5;y;0\n", datasets.CsvDialect(";", "."), id="semicolon-point"),
    pytest.param("a\tb\ty\n1,5\tx\t1\n2,5\ty\t0\n", datasets.CsvDialect("\t", ","), id="tab-comma"),
    pytest.param("a|b|y\n1|x|1\n2|y|0\n", datasets.CsvDialect("|", "."), id="pipe-integers"),
    pytest.param("y\n1\n0\n1\n", datasets.CsvDialect(",", "."), id="one-column"),
])
def test_csv_dialect_is_sniffed(tmp_path: Path, content: str, dialect: datasets.CsvDialect) -> None:
    path = tmp_path / "d.csv"
    path.write_text(content)
    assert datasets.sniff_csv(path) == dialect
