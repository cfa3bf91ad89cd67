"""The artifact-store registry: the root's scheme picks the store, an unknown one is refused with the
known ones named; keys never leave a folder store's root; an S3 root names only its own objects."""

from __future__ import annotations

from pathlib import Path

import pytest

from zygarde.errors import ArtifactIntegrityError, ZygardeError
from zygarde.registry import artifacts
from zygarde.registry.stores import STORES, check_key, open_store
from zygarde.registry.stores.file import FileStore
from zygarde.registry.stores.s3 import S3Store


def test_the_scheme_picks_the_store(tmp_path: Path) -> None:
    assert isinstance(open_store(str(tmp_path)), FileStore)
    assert isinstance(open_store(tmp_path.as_uri()), FileStore)
    s3 = open_store("s3://bucket/a/b")
    assert isinstance(s3, S3Store) and (s3.bucket, s3.prefix, s3.root_uri) == ("bucket", "a/b/", "s3://bucket/a/b/")
    assert set(STORES) == {"file", "s3"}


def test_an_unknown_scheme_is_refused_with_the_known_ones() -> None:
    with pytest.raises(ZygardeError, match=r"no artifact store for gs:// \(known: file, s3\)"):
        open_store("gs://bucket/prefix/")


@pytest.mark.parametrize("key", ["../x", "a/../../x", "/etc/passwd", "a//b", "a/./b", "a\\b"])
def test_a_key_that_could_leave_the_root_is_refused(key: str) -> None:
    with pytest.raises(ArtifactIntegrityError, match="cannot name an object"):
        check_key(key)


def test_a_folder_store_keeps_its_uris_and_refuses_outside(tmp_path: Path) -> None:
    store = FileStore(tmp_path / "root")
    uri = store.put("job-1/oof/t.1.npy", b"bytes")
    assert uri == (tmp_path / "root" / "job-1" / "oof" / "t.1.npy").as_uri()  # file:// as before
    assert store.key_of(uri) == "job-1/oof/t.1.npy" and store.get("job-1/oof/t.1.npy") == b"bytes"
    assert [p.name for p in (tmp_path / "root" / "job-1" / "oof").iterdir()] == ["t.1.npy"]  # no temporary left
    for outside in ((tmp_path / "elsewhere" / "x").as_uri(), "s3://bucket/job-1/x", "http://host/x"):
        with pytest.raises(ArtifactIntegrityError, match="artifact store"):
            store.key_of(outside)
    with pytest.raises(ArtifactIntegrityError, match="cannot read it from the artifact store"):
        store.get("job-1/missing.joblib")


def test_an_s3_root_names_only_its_own_objects() -> None:
    store = S3Store("bucket", "team/", None)
    assert store.uri("job/model.joblib") == "s3://bucket/team/job/model.joblib"
    assert store.key_of("s3://bucket/team/job/model.joblib") == "job/model.joblib"
    assert store.signed_name("job/model.joblib") == "s3://bucket/team/job/model.joblib"
    for outside in ("s3://bucket/teammate/job/model.joblib", "s3://other/team/job/model.joblib",
                    "s3://bucket/team/job/model.joblib?versionId=1", "file:///team/job/model.joblib"):
        with pytest.raises(ArtifactIntegrityError, match="is not inside the artifact store s3://bucket/team/"):
            store.key_of(outside)
    with pytest.raises(ArtifactIntegrityError, match="holds no local files"):
        artifacts.path_of(store, "s3://bucket/team/job/model.joblib")
