"""The bundled example datasets (``builtin:NAME``), shipped by installed packages (ISLP, scikit-learn)."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from importlib import metadata, resources

import pandas as pd

from zygarde.errors import DatasetError


@dataclass(frozen=True)
class Builtin:
    """A bundled example: how to load it, which column to predict, and what it is."""

    load: Callable[[], pd.DataFrame]
    target: str
    task: str
    description: str
    package: str


def _islp(name: str, drop: tuple[str, ...] = ()) -> Callable[[], pd.DataFrame]:
    # read the CSV the ISLP wheel ships; importing ISLP itself would pull in heavy dependencies
    def load() -> pd.DataFrame:
        with resources.as_file(resources.files("ISLP") / "data" / f"{name}.csv") as path:
            frame = pd.read_csv(path)
        return frame.drop(columns=[c for c in frame.columns if str(c).startswith("Unnamed") or c in drop])

    return load


def _sklearn(loader: str) -> Callable[[], pd.DataFrame]:
    def load() -> pd.DataFrame:
        from sklearn import datasets

        frame: pd.DataFrame = getattr(datasets, loader)(as_frame=True).frame
        return frame

    return load


BUILTINS: dict[str, Builtin] = {
    "builtin:default": Builtin(_islp("Default"), "default", "binary",
                               "credit-card default (ISLP): 10,000 rows, 3.3% positives ('Yes'); "
                               "features student, balance, income", "ISLP"),
    "builtin:caravan": Builtin(_islp("Caravan"), "Purchase", "binary",
                               "caravan insurance purchase (ISLP): 5,822 rows, 85 features, 6% 'Yes'",
                               "ISLP"),
    "builtin:breast_cancer": Builtin(_sklearn("load_breast_cancer"), "target", "binary",
                                     "breast cancer diagnosis (sklearn): 569 rows, 30 features",
                                     "scikit-learn"),
    "builtin:wine": Builtin(_sklearn("load_wine"), "target", "multiclass",
                            "wine cultivars (sklearn): 178 rows, 13 features, 3 classes", "scikit-learn"),
    "builtin:diabetes": Builtin(_sklearn("load_diabetes"), "target", "regression",
                                "diabetes progression after a year (sklearn): 442 rows, 10 features",
                                "scikit-learn"),
    "builtin:bikeshare": Builtin(_islp("Bikeshare", drop=("casual", "registered")), "bikers", "regression",
                                 "hourly bike rentals (ISLP): 8,645 rows; casual/registered removed "
                                 "because they sum to the target", "ISLP"),
    "builtin:boston": Builtin(_islp("Boston"), "medv", "regression",
                              "Boston median house values (ISLP): 506 rows, 12 features", "ISLP"),
}


def builtin(uri: str) -> Builtin:
    """The bundled example named by ``builtin:NAME``; DatasetError listing the known ones otherwise."""
    try:
        return BUILTINS[uri]
    except KeyError:
        raise DatasetError(f"dataset.uri: unknown builtin {uri.removeprefix('builtin:')!r}; known: "
                           f"{', '.join(sorted(BUILTINS))}") from None


@functools.cache
def package_version(package: str) -> str:
    """The installed version of a package, read once per process: ``metadata.version`` scans every
    installed distribution, and a trainer asked for it on every trial of a builtin dataset."""
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "missing"
