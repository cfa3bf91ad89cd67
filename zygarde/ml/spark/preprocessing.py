"""Preprocessing with Spark's own transformers, as stages of the trial's pipeline (so each fold
fits them on its training rows only, and the winner's PipelineModel takes the raw columns).

Numbers (and booleans) are cast to double and median-imputed; text is indexed by frequency
(``__missing__`` for nulls, unseen values kept as one extra index) and one-hot encoded; then one
vector, standardised for the models that need it. Dates and other types are left out, with a note.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

NUMERIC = ("ByteType", "ShortType", "IntegerType", "LongType", "FloatType", "DoubleType", "DecimalType",
           "BooleanType")
MISSING = "__missing__"


@dataclass
class ColumnPlan:
    numeric: list[str] = field(default_factory=list)
    categorical: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _q(name: str) -> str:
    return "`" + name.replace("`", "``") + "`"


def plan_columns(schema: Any, features: list[str]) -> ColumnPlan:
    """Which feature columns are numbers, which are categories, which are left out."""
    plan = ColumnPlan()
    for f in schema.fields:
        if f.name not in features:
            continue
        kind = type(f.dataType).__name__
        if kind in NUMERIC:
            plan.numeric.append(f.name)
        elif kind == "StringType":
            plan.categorical.append(f.name)
        else:
            plan.notes.append(f"column {f.name!r} ({kind}) left out: neither a number nor text")
    return plan


def stages(plan: ColumnPlan, scale: bool) -> list[Any]:
    """Unfitted stages ending in a ``features`` vector column."""
    from pyspark.ml.feature import (
        Imputer,
        OneHotEncoder,
        SQLTransformer,
        StandardScaler,
        StringIndexer,
        VectorAssembler,
    )

    num = [f"__num{i}" for i in range(len(plan.numeric))]
    cat = [f"__cat{i}" for i in range(len(plan.categorical))]
    select = [f"CAST({_q(c)} AS DOUBLE) AS {n}" for c, n in zip(plan.numeric, num, strict=True)]
    select += [f"COALESCE(CAST({_q(c)} AS STRING), '{MISSING}') AS {n}"
               for c, n in zip(plan.categorical, cat, strict=True)]
    out: list[Any] = [SQLTransformer(statement=f"SELECT *, {', '.join(select)} FROM __THIS__")]
    vectors: list[str] = []
    if num:
        imputed = [f"{n}_imp" for n in num]
        out.append(Imputer(inputCols=num, outputCols=imputed, strategy="median"))
        vectors += imputed
    if cat:
        idx, ohe = [f"{c}_idx" for c in cat], [f"{c}_ohe" for c in cat]
        out.append(StringIndexer(inputCols=cat, outputCols=idx, handleInvalid="keep"))
        out.append(OneHotEncoder(inputCols=idx, outputCols=ohe, handleInvalid="keep"))
        vectors += ohe
    assembled = "__raw" if scale else "features"
    out.append(VectorAssembler(inputCols=vectors, outputCol=assembled, handleInvalid="keep"))
    if scale:
        out.append(StandardScaler(inputCol=assembled, outputCol="features", withMean=True, withStd=True))
    return out
