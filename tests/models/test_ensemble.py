"""XGBStack: scikit-learn style fit/predict_proba, JSON save/load, out-of-fold stacking without leakage."""

from __future__ import annotations

import json

import numpy as np
import pytest

from gestura.errors import InputError, ModelFileError
from gestura.models.ensemble import StackedEnsemble, XGBStack, out_of_fold, window_statistics


def _data(n: int = 240, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 3, n)
    X = rng.normal(size=(n, 5)).astype(np.float32)
    X[:, 0] += 4.0 * y
    return X, np.array(["a", "b", "c"])[y]


def test_fit_predict_proba_and_fitted_attributes() -> None:
    X, y = _data()
    stack = XGBStack(n_estimators=15, max_depth=3)
    assert not hasattr(stack, "booster_") and not hasattr(stack, "classes_")
    assert stack.fit(X[:180], y[:180]) is stack
    assert stack.classes_.tolist() == ["a", "b", "c"] and hasattr(stack, "booster_")
    p = stack.predict_proba(X[180:])
    assert p.shape == (60, 3) and np.allclose(p.sum(1), 1, atol=1e-5)
    assert (stack.predict(X[180:]) == y[180:]).mean() > 0.8
    with pytest.raises(InputError, match="expected 5 features"):
        stack.predict_proba(X[:, :4])


def test_save_load_round_trip_and_tampering(tmp_path) -> None:
    X, y = _data()
    stack = XGBStack(n_estimators=20).fit(X, y)
    stack.save(tmp_path / "s")
    meta = json.loads((tmp_path / "s" / "xgb_stack.meta.json").read_text())
    assert meta["classes"] == ["a", "b", "c"]
    again = XGBStack.load(tmp_path / "s")
    assert np.allclose(again.predict_proba(X), stack.predict_proba(X))
    booster = tmp_path / "s" / "xgb_stack.json"
    booster.write_bytes(booster.read_bytes()[:200])
    with pytest.raises(ModelFileError, match="xgb_stack.json"):
        XGBStack.load(tmp_path / "s")
    with pytest.raises(ModelFileError, match="not found"):
        XGBStack.load(tmp_path / "missing")


def test_fit_rejects_bad_input() -> None:
    X, y = _data(20)
    with pytest.raises(InputError, match="2 classes"):
        XGBStack().fit(X, np.zeros(20))
    with pytest.raises(InputError, match="NaN"):
        XGBStack().fit(np.full_like(X, np.nan), y)
    with pytest.raises(InputError, match="fit"):
        XGBStack().predict_proba(X)


def test_out_of_fold_never_scores_a_group_seen_in_training() -> None:
    X, y = _data(60)
    groups = np.repeat(np.arange(6), 10)

    def fit_predict(tr: np.ndarray, te: np.ndarray) -> np.ndarray:
        assert not set(groups[tr]) & set(groups[te])
        return np.stack([groups[te], np.full(len(te), len(tr))], axis=1).astype(np.float32)

    oof = out_of_fold(fit_predict, y, groups, n_splits=3)
    assert np.array_equal(oof[:, 0], groups) and np.all(oof[:, 1] == 40)


def test_stacked_ensemble_uses_members_and_statistics() -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(40, 6, 2)).astype(np.float32)
    y = (x[:, :, 0].mean(1) > 0).astype(int)

    class Member:
        def predict_proba(self, x: np.ndarray, mask: np.ndarray | None) -> np.ndarray:
            p = 1 / (1 + np.exp(-x[:, :, 0].mean(1) * 4))
            return np.stack([1 - p, p], axis=1)

    ens = StackedEnsemble([Member()], XGBStack(n_estimators=10))
    feats = ens.stack_features(x, None)
    assert feats.shape == (40, 2 + 6)
    ens.stack.fit(feats, y)
    assert ens.predict_proba(x, np.ones((40, 6), bool)).shape == (40, 2)
    s = window_statistics(x, np.r_[np.ones(3, bool), np.zeros(3, bool)][None].repeat(40, 0))
    assert np.allclose(s[:, :2], x[:, :3].mean(1), atol=1e-5)


def test_ensemble_bundle_round_trip(tmp_path) -> None:
    from gestura.artifact import ModelBundle
    from gestura.features.pipeline import FeaturePipeline
    from gestura.models import create_model
    from gestura.artifact import EnsembleBundle

    pipe = FeaturePipeline("feature-schema-v1")
    labels = ["a", "b", "c"]
    members = [ModelBundle(model=create_model(n, input_dim=147, num_classes=3, **kw).eval(), pipeline=pipe,
                           labels=labels, window=6)
               for n, kw in (("bilstm", {"hidden": 8}), ("stgcn", {"channels": (8,), "dilations": (1,)}))]
    rng = np.random.default_rng(0)
    x = rng.normal(size=(30, 6, 147)).astype(np.float32)
    y = rng.integers(0, 2, 30)
    ens = EnsembleBundle(members, XGBStack(n_estimators=5), labels)
    ens.stack.fit(ens.stack_features(x, None), y)
    p = ens.predict_proba(x[:4])
    assert p.shape == (4, 3) and np.all(p[:, 2] == 0) and np.allclose(p.sum(1), 1, atol=1e-5)
    ens.save(tmp_path / "ens")
    again = EnsembleBundle.load(tmp_path / "ens")
    assert again.window == 6 and again.labels == labels
    assert np.allclose(again.predict_proba(x[:4]), p, atol=1e-6)
    (tmp_path / "ens" / "ensemble.json").write_text("{}")
    with pytest.raises(ModelFileError, match="ensemble.json"):
        EnsembleBundle.load(tmp_path / "ens")


def test_ensemble_artifact_runs_in_the_recognizer(tmp_path) -> None:
    from gestura.artifact import ModelBundle, load_artifact
    from gestura.data.synthetic import SubjectStyle, make_clip
    from gestura.features.pipeline import FeaturePipeline
    from gestura.models import create_model
    from gestura.artifact import EnsembleBundle
    from gestura.runtime.recognizer import Recognizer

    pipe = FeaturePipeline("feature-schema-v1")
    labels = ["fist", "point_one", "unknown"]
    members = [ModelBundle(model=create_model(n, input_dim=147, num_classes=3).eval(), pipeline=pipe,
                           labels=labels, window=8) for n in ("lstm", "bilstm")]
    rng = np.random.default_rng(1)
    x = rng.normal(size=(24, 8, 147)).astype(np.float32)
    ens = EnsembleBundle(members, XGBStack(n_estimators=5), labels)
    ens.stack.fit(ens.stack_features(x, None), np.arange(24) % 3)
    ens.save(tmp_path / "ens")
    assert isinstance(load_artifact(tmp_path / "ens"), EnsembleBundle)
    clip = make_clip("fist", SubjectStyle.sample(rng, "s0"), rng)
    pred = Recognizer.from_file(tmp_path / "ens").predict(clip)
    assert pred.label in labels and abs(sum(pred.scores.values()) - 1.0) < 1e-4


@pytest.mark.parametrize("field, value, needle", [
    ("members", ["../../base"], r"members\[0\]: '../../base' points outside"),
    ("members", ["members/0", "/abs/path"], r"members\[1\]: '/abs/path' is an absolute path"),
    ("members", "members/0", "members: expected a list"),
    ("members", [3], r"members\[0\]: expected a relative path"),
    ("stack", "../../../../etc", "stack: '../../../../etc' points outside"),
    ("stack", "members/../../x", "points outside"),
])
def test_ensemble_paths_stay_inside_the_folder(tmp_path, field: str, value: object, needle: str) -> None:
    """Issue 19 item 5: member and stack paths of ensemble.json are confined to the ensemble's folder."""
    from gestura.artifact import ModelBundle
    from gestura.features.pipeline import FeaturePipeline
    from gestura.models import create_model
    from gestura.artifact import EnsembleBundle

    pipe = FeaturePipeline("feature-schema-v1")
    outside = ModelBundle(model=create_model("lstm", input_dim=147, num_classes=2, units=(4,), dense=(4,)),
                          pipeline=pipe, labels=["a", "b"], window=6)
    outside.save(tmp_path / "base", card=False)  # a real model the traversal would otherwise reach
    ens = tmp_path / "a" / "ens"
    outside.save(ens / "members" / "0", card=False)
    doc = {"format": "gestura-ensemble-v1", "labels": ["a", "b"], "members": ["members/0"], "stack": "stack"}
    doc[field] = value
    ens.mkdir(parents=True, exist_ok=True)
    (ens / "ensemble.json").write_text(json.dumps(doc))
    with pytest.raises(ModelFileError, match=needle) as err:
        EnsembleBundle.load(ens)
    assert "\n" not in str(err.value)


def test_path_inside_refuses_links_that_leave(tmp_path) -> None:
    from gestura.io import path_inside

    (tmp_path / "root").mkdir()
    (tmp_path / "root" / "link").symlink_to(tmp_path)
    with pytest.raises(InputError, match="points outside"):
        path_inside(tmp_path / "root", "link/x", "ensemble.json: stack")
    assert path_inside(tmp_path / "root", "sub/x", "w") == tmp_path / "root" / "sub" / "x"
