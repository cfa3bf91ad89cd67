"""s3:// datasets against a real S3 server process (moto's server mode, over HTTP on the loopback).

Only the configured bucket/prefix may be read; what is read goes through the same checks as a
``file://`` dataset (CSV/Parquet, size limit) and its sha256 is that of the object's bytes; a changed
object is fetched again.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests import s3server
from zygarde import objectstore
from zygarde.errors import DatasetError
from zygarde.ml import datasets
from zygarde.settings import Settings

pytestmark = pytest.mark.integration

CSV = b"age,income,churned\n" + b"".join(f"{20 + i % 50},{1000 + 37 * i},{i % 3 == 0}\n".encode()
                                          for i in range(200))


@pytest.fixture(scope="module")
def s3_server() -> Iterator[str]:
    with s3server.s3_server() as url:
        yield url


@pytest.fixture
def s3(s3_server: str, monkeypatch: pytest.MonkeyPatch) -> Any:
    for key, value in s3server.CREDENTIALS.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setattr(objectstore, "_roots", {})
    monkeypatch.setattr(objectstore, "_clients", {})
    import boto3

    client = boto3.client("s3", endpoint_url=s3_server)
    for bucket in ("zygarde-data", "elsewhere"):
        if bucket not in {b["Name"] for b in client.list_buckets()["Buckets"]}:
            client.create_bucket(Bucket=bucket)
    client.put_object(Bucket="zygarde-data", Key="datasets/churn.csv", Body=CSV)
    client.put_object(Bucket="zygarde-data", Key="other/secret.csv", Body=CSV)
    client.put_object(Bucket="elsewhere", Key="datasets/churn.csv", Body=CSV)
    return client


def settings_for(tmp_path: Path, endpoint: str, roots: str = "s3://zygarde-data/datasets/") -> Settings:
    return Settings(home=tmp_path / "home", data_roots=str(tmp_path / "data"), s3_data_roots=roots,
                    s3_endpoint_url=endpoint)


def test_an_s3_dataset_loads_with_the_sha256_of_its_bytes(s3: Any, s3_server: str, tmp_path: Path) -> None:
    settings = settings_for(tmp_path, s3_server)
    roots = settings.data_root_paths
    uri = "s3://zygarde-data/datasets/churn.csv"
    frame = datasets.load_frame(uri, roots, settings.dataset_cache)
    assert list(frame.columns) == ["age", "income", "churned"] and len(frame) == 200
    assert datasets.content_hash(uri, roots) == hashlib.sha256(CSV).hexdigest()
    mirror = datasets.resolve_path(uri, roots)
    assert mirror.read_bytes() == CSV and settings.home / "s3" in mirror.parents


def test_a_changed_object_is_fetched_again(s3: Any, s3_server: str, tmp_path: Path) -> None:
    roots = settings_for(tmp_path, s3_server).data_root_paths
    uri = "s3://zygarde-data/datasets/churn.csv"
    before = datasets.content_hash(uri, roots)
    changed = CSV + b"70,99999,True\n"
    s3.put_object(Bucket="zygarde-data", Key="datasets/churn.csv", Body=changed)
    assert datasets.content_hash(uri, roots) == hashlib.sha256(changed).hexdigest() != before


@pytest.mark.parametrize("uri, reason", [
    ("s3://zygarde-data/other/secret.csv", "outside the configured s3 roots"),
    ("s3://elsewhere/datasets/churn.csv", "outside the configured s3 roots"),
    ("s3://zygarde-data/datasets/../other/secret.csv", "is not s3://bucket/key"),
    ("s3://zygarde-data/datasets/missing.csv", "cannot be read"),
    ("s3://zygarde-data/datasets/", "is not s3://bucket/key"),
])
def test_only_configured_prefixes_are_read(s3: Any, s3_server: str, tmp_path: Path, uri: str, reason: str) -> None:
    roots = settings_for(tmp_path, s3_server).data_root_paths
    with pytest.raises(DatasetError, match=reason):
        datasets.resolve_path(uri, roots)
    assert not any((tmp_path / "home" / "s3").rglob("secret.csv")), "nothing outside the roots is fetched"


def test_the_size_limit_and_the_extension_hold_before_anything_is_kept(s3: Any, s3_server: str,
                                                                     tmp_path: Path) -> None:
    roots = settings_for(tmp_path, s3_server).data_root_paths
    with pytest.raises(DatasetError, match="over the limit of 100"):
        datasets.resolve_path("s3://zygarde-data/datasets/churn.csv", roots, max_bytes=100)
    assert not (tmp_path / "home" / "s3" / "zygarde-data" / "datasets" / "churn.csv").exists()
    s3.put_object(Bucket="zygarde-data", Key="datasets/model.pkl", Body=b"not a dataset")
    with pytest.raises(DatasetError, match="is not .csv or .parquet"):
        datasets.resolve_path("s3://zygarde-data/datasets/model.pkl", roots)


def test_s3_without_configured_roots_says_so(s3: Any, tmp_path: Path) -> None:
    roots = Settings(home=tmp_path / "home", data_roots=str(tmp_path / "data")).data_root_paths
    with pytest.raises(DatasetError, match="needs ZYGARDE_S3_DATA_ROOTS"):
        datasets.resolve_path("s3://zygarde-data/datasets/churn.csv", roots)


def test_a_malformed_root_is_a_configuration_error(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="is not s3://bucket/prefix/"):
        objectstore.parse_roots("s3://zygarde-data/../x/", tmp_path, None)
    with pytest.raises(ValueError, match="is not s3://bucket/prefix/"):
        objectstore.parse_roots("file:///data", tmp_path, None)
