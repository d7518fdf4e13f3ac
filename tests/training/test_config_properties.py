"""Property-based tests (issue 19 item 6): any YAML run config (and any `--set` item) gives a `TrainConfig` or
one `ConfigError` line, never another exception; an accepted config has its sizes within bounds."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import pytest
import yaml

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from gestura.errors import GesturaError  # noqa: E402
from gestura.limits import MAX_BATCH, MAX_WINDOW  # noqa: E402
from gestura.training.config import load_config  # noqa: E402

SCALAR = (st.none() | st.booleans() | st.integers(-10**13, 10**13) | st.floats() | st.text(max_size=6))
VALUE = st.recursive(SCALAR, lambda inner: st.lists(inner, max_size=3)
                     | st.dictionaries(st.text(max_size=5), inner, max_size=3), max_leaves=5)
KEYS = {
    "data": ["path", "format", "max_per_class"], "split": ["window", "stride", "test_fraction", "val_fraction",
                                                           "group_by", "splits_file"],
    "optim": ["lr", "batch_size", "precision", "accum_steps"], "schedule": ["epochs", "patience", "monitor"],
    "model": ["name", "params"], "features": ["schema", "params"], "tune": ["trials", "space"],
}


@st.composite
def configs(draw: st.DrawFn) -> Any:
    if draw(st.integers(0, 9)) == 0:
        return draw(VALUE)  # not even a mapping
    doc: dict[str, Any] = {}
    for section in draw(st.lists(st.sampled_from(sorted(KEYS) + ["seed", "threads", "nonesuch"]), max_size=4)):
        if section in KEYS:
            doc[section] = {k: draw(VALUE) for k in draw(st.lists(st.sampled_from(KEYS[section]), max_size=3))}
        else:
            doc[section] = draw(VALUE)
    return doc


@settings(max_examples=80, deadline=None, derandomize=True)
@given(configs(), st.lists(st.text(max_size=24), max_size=2))
def test_any_run_config_validates_or_fails_in_one_line(doc: Any, sets: list[str]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "run.yaml"
        path.write_text(yaml.safe_dump(doc, allow_unicode=True))
        try:
            cfg = load_config(path, sets)
        except GesturaError as err:
            assert "\n" not in str(err)
            return
    assert 1 <= cfg.optim.batch_size <= MAX_BATCH
    assert cfg.split.window is None or 1 <= cfg.split.window <= MAX_WINDOW
    assert 0 < cfg.split.test_fraction < 1 and 0 < cfg.split.val_fraction < 1
