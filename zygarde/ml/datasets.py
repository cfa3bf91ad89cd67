"""Datasets: ``file://`` CSV/Parquet confined to the data roots, or ``builtin:`` examples shipped
by installed packages. Parsed frames are cached per content hash as Parquet, and in memory."""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable
from importlib import resources
from pathlib import Path
from urllib.parse import unquote, urlparse

import pandas as pd

from zygarde.errors import DatasetError

MAX_FILE_BYTES = 2 * 1024**3
MAX_COLUMNS = 10_000
MAX_HEADER_BYTES = 1_000_000


def _islp(name: str) -> Callable[[], pd.DataFrame]:
    def load() -> pd.DataFrame:
        path = resources.files("ISLP") / "data" / f"{name}.csv"
        with resources.as_file(path) as p:
            frame = pd.read_csv(p)
        return frame.drop(columns=[c for c in frame.columns if c.startswith("Unnamed")])

    return load


def _sklearn(loader: str) -> Callable[[], pd.DataFrame]:
    def load() -> pd.DataFrame:
        from sklearn import datasets

        bunch = getattr(datasets, loader)(as_frame=True)
        return bunch.frame

    return load


# name -> (loader, target column, what it is)
BUILTINS: dict[str, tuple[Callable[[], pd.DataFrame], str, str]] = {
    "default": (_islp("Default"), "default", "credit-card default, 10,000 rows, 3.3% positives (ISLP)"),
    "caravan": (_islp("Caravan"), "Purchase", "caravan insurance purchase, 5,822 rows, 6% positives (ISLP)"),
    "breast_cancer": (_sklearn("load_breast_cancer"), "target", "breast cancer diagnosis, binary (sklearn)"),
    "wine": (_sklearn("load_wine"), "target", "wine cultivars, 3 classes (sklearn)"),
    "diabetes": (_sklearn("load_diabetes"), "target", "diabetes progression, regression (sklearn)"),
    "bikeshare": (_islp("Bikeshare"), "bikers", "hourly bike rentals, regression (ISLP)"),
}

_memory: OrderedDict[str, pd.DataFrame] = OrderedDict()
_lock = threading.Lock()


def resolve_path(uri: str, roots: list[Path]) -> Path:
    """The file a ``file://`` URI names, after symlinks and ``..``; refused outside the roots."""
    parsed = urlparse(uri)
    if parsed.scheme != "file":
        raise DatasetError(f"dataset.uri: scheme {parsed.scheme or 'none'!r} is not allowed (use file:// or builtin:)")
    if parsed.netloc not in ("", "localhost"):
        raise DatasetError("dataset.uri: file:// URIs must not name a host")
    path = Path(unquote(parsed.path))
    if not path.is_absolute():
        raise DatasetError("dataset.uri: the path must be absolute")
    real = path.resolve()
    if not any(real == r or r in real.parents for r in roots):
        raise DatasetError(f"dataset.uri: {path} is outside the data roots")
    if real.suffix.lower() not in (".csv", ".parquet"):
        raise DatasetError(f"dataset.uri: {real.suffix or 'no extension'} is not .csv or .parquet")
    if not real.is_file():
        raise DatasetError(f"dataset.uri: {path} does not exist or is not a file")
    if real.stat().st_size > MAX_FILE_BYTES:
        raise DatasetError(f"dataset.uri: {path} is larger than {MAX_FILE_BYTES} bytes")
    return real


def content_hash(uri: str, roots: list[Path]) -> str:
    if uri.startswith("builtin:"):
        return hashlib.sha256(uri.encode()).hexdigest()
    digest = hashlib.sha256()
    with open(resolve_path(uri, roots), "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _read_file(path: Path) -> pd.DataFrame:
    try:
        if path.suffix.lower() == ".parquet":
            frame = pd.read_parquet(path)
        else:
            with open(path, "rb") as fh:
                header = fh.readline(MAX_HEADER_BYTES + 1)
            if len(header) > MAX_HEADER_BYTES:
                raise DatasetError(f"dataset: header line of {path.name} is over {MAX_HEADER_BYTES} bytes")
            frame = pd.read_csv(path, low_memory=False)
    except DatasetError:
        raise
    except Exception as exc:  # noqa: BLE001 - any parser failure is an unreadable dataset
        raise DatasetError(f"dataset: cannot read {path.name}: {type(exc).__name__}: {exc}"[:500]) from exc
    if frame.shape[1] > MAX_COLUMNS:
        raise DatasetError(f"dataset: {frame.shape[1]} columns is over the limit of {MAX_COLUMNS}")
    if any(frame[c].map(type).eq(bytes).any() for c in frame.columns if frame[c].dtype == object):
        raise DatasetError("dataset: binary (bytes) columns are refused")
    return frame


def load_frame(uri: str, roots: list[Path], cache_dir: Path) -> pd.DataFrame:
    """The parsed dataset; a second load of the same content is served from the caches."""
    if uri.startswith("builtin:"):
        name = uri.removeprefix("builtin:")
        if name not in BUILTINS:
            raise DatasetError(f"dataset.uri: unknown builtin {name!r}; known: {', '.join(sorted(BUILTINS))}")
    key = content_hash(uri, roots)
    with _lock:
        if key in _memory:
            _memory.move_to_end(key)
            return _memory[key]
    cached = cache_dir / f"{key}.parquet"
    if cached.exists():
        frame = pd.read_parquet(cached)
    else:
        if uri.startswith("builtin:"):
            try:
                frame = BUILTINS[uri.removeprefix("builtin:")][0]()
            except (ModuleNotFoundError, FileNotFoundError) as exc:
                raise DatasetError(f"dataset.uri: {uri} needs a package that is not installed: {exc}") from exc
        else:
            frame = _read_file(resolve_path(uri, roots))
        cache_dir.mkdir(parents=True, exist_ok=True)
        tmp = cached.with_suffix(f".{threading.get_ident()}.tmp")
        frame.to_parquet(tmp, index=False)
        tmp.replace(cached)
    with _lock:
        _memory[key] = frame
        while len(_memory) > 8:
            _memory.popitem(last=False)
    return frame


def detect_task(y: pd.Series) -> str:
    """binary / multiclass / regression, from the target's values."""
    values = y.dropna()
    n_unique = values.nunique()
    if n_unique <= 2:
        return "binary"
    if pd.api.types.is_float_dtype(values) and not (values == values.round()).all():
        return "regression"
    if pd.api.types.is_numeric_dtype(values) and n_unique > 20:
        return "regression"
    return "multiclass"
