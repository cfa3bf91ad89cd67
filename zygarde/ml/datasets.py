"""Datasets: ``file://`` CSV/Parquet confined to the data roots, ``s3://`` objects confined to the
configured s3 roots (read through a local mirror, zygarde/objectstore.py), or ``builtin:NAME``
examples shipped by installed packages (``builtin_datasets.py``, re-exported here).

Parsed frames are cached per content sha256 as Parquet under ``cache_dir`` and in a small
in-process LRU, so a trainer's second trial on the same data loads in milliseconds. Frames from
:func:`load_frame` are shared between callers: treat them as read-only.
"""

from __future__ import annotations

import csv
import hashlib
import logging
import os
import re
import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlparse

import pandas as pd

from zygarde.errors import DatasetError
from zygarde.ml.builtin_datasets import BUILTINS, Builtin, builtin, package_version

log = logging.getLogger(__name__)

__all__ = ["BUILTINS", "Builtin", "builtin"]  # callers name them ``datasets.builtin`` and so on

MAX_FILE_BYTES = 2 * 1024**3  # default ceiling on a dataset file; load_frame(max_bytes=...) overrides
MAX_COLUMNS = 10_000
MAX_HEADER_BYTES = 1_000_000
MEMORY_SLOTS = 8  # parsed frames kept in process
EXTENSIONS = (".csv", ".parquet")
# names the way files are parsed into cached frames; a frame an earlier parser cached (before the CSV
# dialect was sniffed, a ';' file was one column) is not reused
PARSER = "p2"


_memory: OrderedDict[str, pd.DataFrame] = OrderedDict()
_hashes: dict[tuple[str, int, int, int], str] = {}
_lock = threading.Lock()


def resolve_path(uri: str, roots: list[Path], max_bytes: int = MAX_FILE_BYTES) -> Path:
    """The file a ``file://`` URI names, after symlinks and ``..``; refused outside the roots.

    An ``s3://`` URI inside a configured s3 root names its local mirror copy (zygarde/objectstore.py),
    fetched first, and then goes through the same checks."""
    parsed = urlparse(uri)
    if parsed.scheme == "s3":
        from zygarde import objectstore

        path = objectstore.fetch(uri, max_bytes)
    else:
        if parsed.scheme != "file":
            what = f"scheme {parsed.scheme!r}" if parsed.scheme else "a bare path"
            raise DatasetError(f"dataset.uri: {what} is not allowed; use file:///abs/path.csv inside the data "
                               "roots, s3://bucket/key inside ZYGARDE_S3_DATA_ROOTS, or builtin:NAME")
        if parsed.netloc not in ("", "localhost"):
            raise DatasetError("dataset.uri: file:// URIs must not name a host")
        path = Path(unquote(parsed.path))
        if not path.is_absolute():
            raise DatasetError("dataset.uri: the path must be absolute (file:///abs/path.csv)")
    real = path.resolve()
    real_roots = [r.resolve() for r in roots]
    if not any(real == r or r in real.parents for r in real_roots):
        raise DatasetError(f"dataset.uri: {path} is outside the data roots")
    if real.suffix.lower() not in EXTENSIONS:
        raise DatasetError(f"dataset.uri: {real.suffix or 'no extension'} is not .csv or .parquet")
    if not real.is_file():
        raise DatasetError(f"dataset.uri: {path} does not exist or is not a file")
    if not os.access(real, os.R_OK):
        raise DatasetError(f"dataset.uri: {path} is not readable")
    size = real.stat().st_size
    if size > max_bytes:
        raise DatasetError(f"dataset.uri: {path} is {size} bytes, over the limit of {max_bytes}")
    return real


def content_hash(uri: str, roots: list[Path], max_bytes: int = MAX_FILE_BYTES) -> str:
    """sha256 of the file's bytes (remembered per path, size, mtime); of name and version for builtins."""
    if uri.startswith("builtin:"):
        spec = builtin(uri)
        return hashlib.sha256(f"{uri}|{spec.package}=={package_version(spec.package)}".encode()).hexdigest()
    path = resolve_path(uri, roots, max_bytes)
    stat = path.stat()
    key = (str(path), stat.st_size, stat.st_mtime_ns, stat.st_ino)
    with _lock:
        known = _hashes.get(key)
    if known is not None:
        return known
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    with _lock:
        _hashes[key] = digest.hexdigest()
    return digest.hexdigest()


@dataclass(frozen=True)
class CsvDialect:
    """How a CSV file is written: field delimiter and decimal mark."""

    delimiter: str = ","
    decimal: str = "."


DELIMITERS = ",;\t|"
SNIFF_BYTES = 64 * 1024
_COMMA_DECIMAL = re.compile(r"^\s*[-+]?\d+,\d+\s*$")
_POINT_DECIMAL = re.compile(r"^\s*[-+]?\d*\.\d+([eE][-+]?\d+)?\s*$")


def sniff_csv(path: Path) -> CsvDialect:
    """The delimiter (one of ``,;<tab>|``) and decimal mark of a CSV file, from its first 64 KiB.

    Spreadsheets in many locales export ``;``-separated files with decimal commas (``1,5``); read
    with pandas' defaults such a file is one column. A decimal comma is only possible when the
    delimiter is not a comma, and is chosen when more fields look like ``1,5`` than like ``1.5``.
    """
    with open(path, "rb") as fh:
        sample = fh.read(SNIFF_BYTES).decode("utf-8", errors="replace")
    lines = sample.splitlines()
    if len(sample) == SNIFF_BYTES and len(lines) > 1:
        lines = lines[:-1]  # the last line may be cut in the middle
    text = "\n".join(lines)
    try:
        delimiter = csv.Sniffer().sniff(text, delimiters=DELIMITERS).delimiter
    except csv.Error:  # no delimiter stands out (one column, or too little text): the default
        delimiter = ","
    if delimiter == ",":
        return CsvDialect()
    comma = point = 0
    for row in csv.reader(lines[1:], delimiter=delimiter):
        for value in row:
            comma += bool(_COMMA_DECIMAL.match(value))
            point += bool(_POINT_DECIMAL.match(value))
    return CsvDialect(delimiter, "," if comma > point else ".")


def _check_csv_header(path: Path, delimiter: str = ",") -> None:
    with open(path, "rb") as fh:
        header = fh.readline(MAX_HEADER_BYTES + 1)
    if len(header) > MAX_HEADER_BYTES:
        raise DatasetError(f"dataset: the header line of {path.name} is over {MAX_HEADER_BYTES} bytes")
    columns = next(csv.reader([header.decode("utf-8", errors="replace")], delimiter=delimiter), [])
    if len(columns) > MAX_COLUMNS:
        raise DatasetError(f"dataset: {len(columns)} columns is over the limit of {MAX_COLUMNS}")


def _read_file(path: Path) -> pd.DataFrame:
    try:
        if path.suffix.lower() == ".parquet":
            import pyarrow.parquet as pq

            n_columns = len(pq.read_schema(path).names)
            if n_columns > MAX_COLUMNS:
                raise DatasetError(f"dataset: {n_columns} columns is over the limit of {MAX_COLUMNS}")
            frame = pd.read_parquet(path)
        else:
            dialect = sniff_csv(path)
            _check_csv_header(path, dialect.delimiter)
            options = {"sep": dialect.delimiter, "decimal": dialect.decimal, "low_memory": False}
            try:
                frame = pd.read_csv(path, **options)
            except UnicodeDecodeError:  # not UTF-8: latin-1 maps every byte, so it always decodes
                frame = pd.read_csv(path, encoding="latin-1", **options)
    except DatasetError:
        raise
    except Exception as exc:  # any parser failure is an unreadable dataset
        raise DatasetError(f"dataset: cannot read {path.name}: {type(exc).__name__}: {exc}"[:500]) from exc
    if frame.shape[1] > MAX_COLUMNS:
        raise DatasetError(f"dataset: {frame.shape[1]} columns is over the limit of {MAX_COLUMNS}")
    if frame.empty:
        raise DatasetError(f"dataset: {path.name} has no rows")
    for col in frame.columns:
        if frame[col].dtype == object and frame[col].map(type).eq(bytes).any():
            raise DatasetError(f"dataset: column {col!r} holds binary (bytes) values")
    return frame


def _write_cache(frame: pd.DataFrame, cached: Path) -> None:
    try:
        cached.parent.mkdir(parents=True, exist_ok=True)
        tmp = cached.with_suffix(f".{os.getpid()}.{threading.get_ident()}.tmp")
        frame.to_parquet(tmp, index=False)
        tmp.replace(cached)  # atomic: concurrent trainers never read half a file
    except Exception as exc:  # the cache is an optimisation; a frame Parquet cannot hold still loads
        log.warning("dataset cache not written (%s): %s", cached.name, exc)


def load_frame(uri: str, roots: list[Path], cache_dir: Path, max_bytes: int = MAX_FILE_BYTES) -> pd.DataFrame:
    """The parsed dataset; a second load of the same content is served from the caches."""
    key = content_hash(uri, roots, max_bytes)
    with _lock:
        if key in _memory:
            _memory.move_to_end(key)
            return _memory[key]
    cached = cache_dir / f"{key}.{PARSER}.parquet"
    frame: pd.DataFrame | None = None
    if cached.exists():
        try:
            frame = pd.read_parquet(cached)
        except Exception as exc:  # a damaged cache entry is rebuilt from the source
            log.warning("dataset cache %s unreadable, rebuilding: %s", cached.name, exc)
    if frame is None:
        if uri.startswith("builtin:"):
            try:
                frame = builtin(uri).load()
            except (ModuleNotFoundError, FileNotFoundError) as exc:
                raise DatasetError(f"dataset.uri: {uri} needs a package that is missing: {exc}") from exc
        else:
            frame = _read_file(resolve_path(uri, roots, max_bytes))
        _write_cache(frame, cached)
    with _lock:
        _memory[key] = frame
        while len(_memory) > MEMORY_SLOTS:
            _memory.popitem(last=False)
    return frame


def detect_task(y: pd.Series) -> str:
    """binary / multiclass / regression, from the target's values.

    Two values (or booleans): binary. Text or categories: multiclass. Numbers with fractional parts,
    or more than 20 distinct integers: regression. A few distinct integers: multiclass.
    """
    values = y.dropna()
    n_unique = values.nunique()
    if n_unique <= 2 or pd.api.types.is_bool_dtype(values):
        return "binary"
    if not pd.api.types.is_numeric_dtype(values):
        return "multiclass"
    if pd.api.types.is_float_dtype(values) and not (values == values.round()).all():
        return "regression"
    return "regression" if n_unique > 20 else "multiclass"
