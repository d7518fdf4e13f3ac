"""Property-based tests (issue 19 item 6): any mutation of a valid `model.json` loads or fails with one
`GesturaError` line, never another exception, and never builds a model whose sizes the weights do not have."""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path
from typing import Any

import pytest

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from gestura.artifact import ModelBundle  # noqa: E402
from gestura.errors import GesturaError  # noqa: E402

JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-10**13, 10**13) | st.floats(allow_nan=False) | st.text(max_size=6),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=6)
FIELDS = [("window",), ("stride",), ("resample_fps",), ("thresholds",), ("thresholds", "a"), ("labels",),
          ("architecture",), ("architecture", "name"), ("architecture", "params"),
          ("architecture", "params", "units"), ("architecture", "params", "dense"),
          ("architecture", "params", "input_dim"), ("architecture", "params", "num_classes"),
          ("architecture", "params", "dropout"), ("features",), ("features", "pipeline"), ("features", "dim"),
          ("weights",), ("weights", "sha256"), ("meta",), ("format_version",)]


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from gestura.features.pipeline import FeaturePipeline
    from gestura.models import create_model

    pipe = FeaturePipeline("fingertip-trajectory-v1")
    model = create_model("lstm", input_dim=pipe.dim, num_classes=3, units=(8,), dense=(8,))
    return ModelBundle(model=model, pipeline=pipe, labels=["a", "b", "c"], window=16).save(
        tmp_path_factory.mktemp("m") / "m", card=False)


def _set(doc: dict[str, Any], path: tuple[str, ...], value: Any) -> None:
    node: Any = doc
    for key in path[:-1]:
        if not isinstance(node, dict):
            return
        node = node.setdefault(key, {})
    if isinstance(node, dict):
        node[path[-1]] = value


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture],
          derandomize=True)
@given(st.lists(st.tuples(st.sampled_from(FIELDS), JSON | st.lists(st.integers(-10**12, 10**12), max_size=3)),
                min_size=1, max_size=3))
def test_any_model_json_loads_or_fails_in_one_line(model_dir: Path, edits: list[tuple[tuple[str, ...], Any]]) -> None:
    doc = json.loads((model_dir / "model.json").read_text())
    for path, value in edits:
        _set(doc, path, value)
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        shutil.copy(model_dir / "model.safetensors", d / "model.safetensors")
        (d / "model.json").write_text(json.dumps(doc))
        try:
            b = ModelBundle.load(d)
        except GesturaError as err:
            assert "\n" not in str(err)
            return
        assert 1 <= b.window <= 4096 and 1 <= b.stride <= 4096 and len(b.labels) == 3
        assert all(0 <= v <= 1 for v in b.thresholds.values())
