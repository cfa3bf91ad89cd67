"""Spark MLlib's catalog. Names carry a ``spark_`` prefix, so a name alone says which engine trains
it, every name has one search space, and the planner plans spark trials like any others.

Builders import pyspark when called (never at import time): the planner reads names and spaces
without a JVM. Spaces follow the local engine's (log scales for penalties, rates and counts).
"""

from __future__ import annotations

from typing import Any

from zygarde.ml.algorithms._base import ALL, CLS, REG, Algorithm
from zygarde.ml.space import CategoricalDim, FloatDim, IntDim

BIN_REG = frozenset({"binary", "regression"})
BIN = frozenset({"binary"})
COLUMNS = {"featuresCol": "features", "labelCol": "label"}


def _cls(name: str) -> Any:
    from pyspark.ml import classification

    return getattr(classification, name)


def _reg(name: str) -> Any:
    from pyspark.ml import regression

    return getattr(regression, name)


def _kw(p: dict[str, Any], **defaults: Any) -> dict[str, Any]:
    return {k: type(v)(p.get(k, v)) for k, v in defaults.items()}


def _logistic(p: dict[str, Any], task: str, seed: int) -> Any:
    family = "binomial" if task == "binary" else "multinomial"
    return _cls("LogisticRegression")(**COLUMNS, family=family,
                                      **_kw(p, regParam=1e-4, elasticNetParam=0.0, maxIter=100))


def _svc(p: dict[str, Any], task: str, seed: int) -> Any:
    return _cls("LinearSVC")(**COLUMNS, **_kw(p, regParam=1e-4, maxIter=100))


def _tree(p: dict[str, Any], task: str, seed: int) -> Any:
    cls = _reg("DecisionTreeRegressor") if task == "regression" else _cls("DecisionTreeClassifier")
    return cls(**COLUMNS, seed=seed, **_kw(p, maxDepth=5, minInstancesPerNode=1))


def _forest(p: dict[str, Any], task: str, seed: int) -> Any:
    cls = _reg("RandomForestRegressor") if task == "regression" else _cls("RandomForestClassifier")
    return cls(**COLUMNS, seed=seed, **_kw(p, numTrees=50, maxDepth=8, featureSubsetStrategy="auto",
                                           subsamplingRate=1.0))


def _gbt(p: dict[str, Any], task: str, seed: int) -> Any:
    cls = _reg("GBTRegressor") if task == "regression" else _cls("GBTClassifier")
    return cls(**COLUMNS, seed=seed, **_kw(p, maxIter=50, maxDepth=4, stepSize=0.1, subsamplingRate=1.0))


def _naive_bayes(p: dict[str, Any], task: str, seed: int) -> Any:
    # gaussian: multinomial/bernoulli need non-negative counts, which scaled features are not
    return _cls("NaiveBayes")(**COLUMNS, modelType="gaussian")


def _mlp(p: dict[str, Any], task: str, seed: int) -> Any:
    # the layers' sizes need the feature and class counts: see ``finish``
    return _cls("MultilayerPerceptronClassifier")(**COLUMNS, seed=seed, **_kw(p, maxIter=100, stepSize=0.03))


def _linear(p: dict[str, Any], task: str, seed: int) -> Any:
    return _reg("LinearRegression")(**COLUMNS, **_kw(p, regParam=1e-4, elasticNetParam=0.0, maxIter=100))


def _glm(p: dict[str, Any], task: str, seed: int) -> Any:
    return _reg("GeneralizedLinearRegression")(**COLUMNS, family="gaussian",
                                                **_kw(p, regParam=1e-4, link="identity", maxIter=50))


def finish(model: Any, params: dict[str, Any], n_features: int, n_classes: int) -> Any:
    """Set what depends on the data's shape: an MLP's layer sizes."""
    if type(model).__name__ == "MultilayerPerceptronClassifier":
        model.setLayers([n_features, int(params.get("hidden", 32)), max(2, n_classes)])
    return model


PENALTY = FloatDim(1e-6, 1.0, log=True)
MIX = CategoricalDim((0.0, 0.5, 1.0))
ALGORITHMS = [
    Algorithm("spark_logistic_regression", CLS, {"regParam": PENALTY, "elasticNetParam": MIX}, _logistic,
              needs_scaling=True, supports_class_weight=True,
              description="MLlib logistic regression, L2 / elastic-net / L1; regParam on a log scale"),
    Algorithm("spark_linear_svc", BIN, {"regParam": PENALTY}, _svc, needs_scaling=True,
              supports_class_weight=True, description="MLlib linear SVM (hinge loss; scores are margins)"),
    Algorithm("spark_decision_tree", ALL, {
        "maxDepth": IntDim(2, 12), "minInstancesPerNode": IntDim(1, 100, log=True),
    }, _tree, supports_class_weight=True, description="MLlib decision tree"),
    Algorithm("spark_random_forest", ALL, {
        "numTrees": IntDim(20, 200, log=True), "maxDepth": IntDim(4, 12),
        "featureSubsetStrategy": CategoricalDim(("sqrt", "log2", "onethird")),
        "subsamplingRate": FloatDim(0.5, 1.0),
    }, _forest, supports_class_weight=True, description="MLlib random forest"),
    Algorithm("spark_gbt", BIN_REG, {
        "maxIter": IntDim(20, 200, log=True), "maxDepth": IntDim(2, 6),
        "stepSize": FloatDim(0.01, 0.3, log=True), "subsamplingRate": FloatDim(0.5, 1.0),
    }, _gbt, supports_class_weight=True, description="MLlib gradient-boosted trees (binary or regression)"),
    Algorithm("spark_naive_bayes", CLS, {}, _naive_bayes, needs_scaling=True, supports_class_weight=True,
              description="MLlib gaussian naive Bayes"),
    Algorithm("spark_mlp", CLS, {
        "hidden": IntDim(8, 128, log=True), "stepSize": FloatDim(1e-3, 0.1, log=True),
        "maxIter": IntDim(50, 200, log=True),
    }, _mlp, needs_scaling=True, description="MLlib multilayer perceptron, one hidden layer (sigmoid)"),
    Algorithm("spark_linear_regression", REG, {"regParam": PENALTY, "elasticNetParam": MIX}, _linear,
              needs_scaling=True, description="MLlib least squares, L2 / elastic-net / L1"),
    Algorithm("spark_glm", REG, {"regParam": PENALTY}, _glm, needs_scaling=True,
              description="MLlib generalized linear model (gaussian family, identity link), ridge penalty"),
]
REGISTRY: dict[str, Algorithm] = {a.name: a for a in ALGORITHMS}

DEFAULTS = {
    "binary": ["spark_logistic_regression", "spark_random_forest", "spark_gbt"],
    "multiclass": ["spark_logistic_regression", "spark_random_forest", "spark_naive_bayes"],
    "regression": ["spark_linear_regression", "spark_random_forest", "spark_gbt"],
}
