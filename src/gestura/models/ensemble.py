"""`xgb_stack`: an XGBoost meta-learner over member probabilities / embeddings plus handcrafted features.

scikit-learn style: `XGBStack(...).fit(X, y)` returns self; `classes_` and `booster_` exist only after fit;
`predict_proba(X) -> (N, K)`. Train it on out-of-fold member outputs (`out_of_fold`), never on scores the members
produced for their own training samples. Saved as `xgb_stack.json` (the booster's own JSON model) +
`xgb_stack.meta.json` (classes, parameters, feature names): no pickle.

`StackedEnsemble` is the runtime form: member models (anything with `predict_proba(x (B,T,F), mask) -> (B,K)`)
+ handcrafted window statistics -> the stack; it has the same `predict_proba` interface as a single artifact.
The ensemble's model folder (`EnsembleBundle`) lives in `gestura.artifact.ensemble`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from gestura.errors import InputError, ModelFileError
from gestura.io import read_json, write_json

BOOSTER_FILE = "xgb_stack.json"
META_FILE = "xgb_stack.meta.json"
FORMAT = "gestura-xgb-stack-v1"


class XGBStack:
    """Gradient-boosted trees (multi:softprob) over stacked features `(N, D)` -> class probabilities `(N, K)`."""

    def __init__(self, n_estimators: int = 300, max_depth: int = 4, learning_rate: float = 0.1,
                 subsample: float = 0.9, colsample_bytree: float = 0.8, min_child_weight: float = 1.0,
                 reg_lambda: float = 1.0, n_jobs: int = 1, seed: int = 0) -> None:
        self.n_estimators = n_estimators
        self.max_depth = max_depth
        self.learning_rate = learning_rate
        self.subsample = subsample
        self.colsample_bytree = colsample_bytree
        self.min_child_weight = min_child_weight
        self.reg_lambda = reg_lambda
        self.n_jobs = n_jobs
        self.seed = seed

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        return {k: getattr(self, k) for k in ("n_estimators", "max_depth", "learning_rate", "subsample",
                                              "colsample_bytree", "min_child_weight", "reg_lambda", "n_jobs", "seed")}

    def set_params(self, **params: Any) -> XGBStack:
        for k, v in params.items():
            if k not in self.get_params():
                raise InputError(f"XGBStack: unknown parameter {k!r}; valid: {sorted(self.get_params())}")
            setattr(self, k, v)
        return self

    def _xgb_params(self, n_classes: int) -> dict[str, Any]:
        return {"objective": "multi:softprob", "num_class": n_classes, "max_depth": self.max_depth,
                "eta": self.learning_rate, "subsample": self.subsample, "colsample_bytree": self.colsample_bytree,
                "min_child_weight": self.min_child_weight, "lambda": self.reg_lambda, "nthread": self.n_jobs,
                "seed": self.seed, "eval_metric": "mlogloss", "tree_method": "hist"}

    def fit(self, X: np.ndarray, y: Sequence[Any] | np.ndarray, feature_names: Sequence[str] | None = None) -> XGBStack:
        """Fit on `(N, D)` features and `(N,)` labels (any sortable type); returns self."""
        import xgboost as xgb

        X = _check_x(X)
        y = np.asarray(y)
        if len(y) != len(X):
            raise InputError(f"XGBStack.fit: {len(X)} rows of X but {len(y)} labels")
        classes, yi = np.unique(y, return_inverse=True)
        if len(classes) < 2:
            raise InputError(f"XGBStack.fit: need at least 2 classes, got {classes.tolist()}")
        self.feature_names_ = list(feature_names) if feature_names is not None else [f"f{i}" for i in range(X.shape[1])]
        if len(self.feature_names_) != X.shape[1]:
            raise InputError(f"XGBStack.fit: {len(self.feature_names_)} feature names for {X.shape[1]} columns")
        self.n_features_in_ = X.shape[1]
        dtrain = xgb.DMatrix(X, label=yi)
        self.booster_ = xgb.train(self._xgb_params(len(classes)), dtrain, num_boost_round=self.n_estimators)
        self.classes_ = classes
        return self

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        """`(N, D) -> (N, K)` probabilities in the order of `classes_`."""
        import xgboost as xgb

        if not hasattr(self, "booster_"):
            raise InputError("XGBStack: call fit() (or load()) before predict_proba()")
        X = _check_x(X)
        if X.shape[1] != self.n_features_in_:
            raise InputError(f"XGBStack: expected {self.n_features_in_} features, got {X.shape[1]}")
        p = self.booster_.predict(xgb.DMatrix(X))
        return np.asarray(p, dtype=np.float64).reshape(len(X), len(self.classes_))

    def predict(self, X: np.ndarray) -> np.ndarray:
        """`(N, D) -> (N,)` predicted labels."""
        return self.classes_[self.predict_proba(X).argmax(axis=1)]

    def save(self, out_dir: str | Path) -> Path:
        """Write the booster JSON and the metadata JSON into `out_dir` (atomically); returns `out_dir`."""
        if not hasattr(self, "booster_"):
            raise InputError("XGBStack: nothing to save, call fit() first")
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        raw = self.booster_.save_raw(raw_format="json")
        from gestura.io import atomic_write

        with atomic_write(out / BOOSTER_FILE, "wb") as f:
            f.write(bytes(raw))
        write_json(out / META_FILE, {"format": FORMAT, "params": self.get_params(),
                                     "classes": self.classes_.tolist(), "feature_names": self.feature_names_})
        return out

    @classmethod
    def load(cls, out_dir: str | Path) -> XGBStack:
        """Load what `save` wrote; a missing or damaged file is a one-line `ModelFileError`."""
        import xgboost as xgb

        out = Path(out_dir)
        try:
            meta = read_json(out / META_FILE)
        except InputError as err:
            raise ModelFileError(str(err)) from None
        if not isinstance(meta, dict) or meta.get("format") != FORMAT:
            raise ModelFileError(f"{out / META_FILE}: not a {FORMAT} metadata file")
        try:
            stack = cls(**meta["params"])
            booster = xgb.Booster()
            booster.load_model(bytearray((out / BOOSTER_FILE).read_bytes()))
        except FileNotFoundError:
            raise ModelFileError(f"{out / BOOSTER_FILE}: file not found") from None
        except (xgb.core.XGBoostError, KeyError, TypeError) as err:
            raise ModelFileError(f"{out / BOOSTER_FILE}: damaged XGBoost model ({str(err).splitlines()[0]})") from None
        stack.booster_ = booster
        stack.classes_ = np.asarray(meta["classes"])
        stack.feature_names_ = list(meta["feature_names"])
        stack.n_features_in_ = len(stack.feature_names_)
        if booster.num_features() != stack.n_features_in_:
            raise ModelFileError(f"{out}: booster has {booster.num_features()} features, metadata {stack.n_features_in_}")
        return stack


def _check_x(X: np.ndarray) -> np.ndarray:
    X = np.asarray(X, dtype=np.float32)
    if X.ndim != 2:
        raise InputError(f"XGBStack: X must be (N, D), got shape {X.shape}")
    if not np.isfinite(X).all():
        raise InputError("XGBStack: X contains NaN/inf")
    return X


def window_statistics(x: np.ndarray, mask: np.ndarray | None = None) -> np.ndarray:
    """Handcrafted window features: mean, std, and last-minus-first over real frames: `(B, T, F) -> (B, 3F)`."""
    x = np.asarray(x, dtype=np.float64)
    m = np.ones(x.shape[:2], bool) if mask is None else np.asarray(mask, bool)
    n = np.maximum(m.sum(1, keepdims=True), 1)
    mean = (x * m[..., None]).sum(1) / n
    std = np.sqrt((((x - mean[:, None]) ** 2) * m[..., None]).sum(1) / n)
    last = np.maximum(m.sum(1) - 1, 0)
    delta = x[np.arange(len(x)), last] - x[:, 0]
    return np.concatenate([mean, std, delta], axis=1).astype(np.float32)


def out_of_fold(fit_predict: Callable[[np.ndarray, np.ndarray], np.ndarray], y: np.ndarray, groups: np.ndarray,
                n_splits: int = 5) -> np.ndarray:
    """Out-of-fold member outputs `(N, D)`: `fit_predict(train_idx, test_idx) -> (len(test_idx), D)` per
    GroupKFold fold, so no row is scored by a member that saw its group in training."""
    from sklearn.model_selection import GroupKFold

    y, groups = np.asarray(y), np.asarray(groups)
    n_splits = min(n_splits, len(np.unique(groups)))
    if n_splits < 2:
        raise InputError("out_of_fold: need at least 2 distinct groups")
    out: np.ndarray | None = None
    for tr, te in GroupKFold(n_splits=n_splits).split(np.zeros(len(y)), y, groups):
        p = np.asarray(fit_predict(tr, te), dtype=np.float32)
        if out is None:
            out = np.zeros((len(y), p.shape[1]), np.float32)
        out[te] = p
    assert out is not None
    return out


class StackedEnsemble:
    """Members + handcrafted statistics -> `XGBStack`, with the single-model `predict_proba(x, mask)` interface.

    Stack columns are, in order, each member's `(B, K)` probabilities then `window_statistics(x, mask)`.
    """

    def __init__(self, members: Sequence[Any], stack: XGBStack, use_statistics: bool = True) -> None:
        self.members = list(members)
        self.stack = stack
        self.use_statistics = use_statistics

    def stack_features(self, x: np.ndarray, mask: np.ndarray | None = None) -> np.ndarray:
        """`(B, T, F), (B, T) -> (B, D)` the stack's input."""
        cols = [np.asarray(m.predict_proba(x, mask)) for m in self.members]
        if self.use_statistics:
            cols.append(window_statistics(x, mask))
        return np.concatenate(cols, axis=1)

    def predict_proba(self, x: np.ndarray, mask: np.ndarray | None = None) -> np.ndarray:
        """`(B, T, F), (B, T) -> (B, K)` in the order of `stack.classes_`."""
        return self.stack.predict_proba(self.stack_features(x, mask))
