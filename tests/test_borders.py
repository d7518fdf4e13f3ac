"""The stages' borders, checked by import-linter over every import (module level and inside functions), and the
types, checked by mypy."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_import_contracts_hold() -> None:
    """pyproject.toml [tool.importlinter]: features and landmarks never import models; runtime and models never
    import training; the runtime never imports evaluation or serving; evaluation never imports training; models
    never import the model folder (artifact), which never imports runtime, training, evaluation or serving."""
    exe = shutil.which("lint-imports", path=str(Path(sys.executable).parent))
    if exe is None:
        pytest.skip("import-linter is not installed (dev extra)")
    run = subprocess.run([exe, "--no-cache", "--config", str(ROOT / "pyproject.toml")], cwd=ROOT / "src",
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stdout[-3000:]
    assert "6 kept, 0 broken" in run.stdout


@pytest.mark.slow
def test_src_type_checks() -> None:
    """mypy over src/gestura with pyproject.toml's [tool.mypy] (pydantic plugin; untyped third-party libraries
    skipped): no errors. The cache lives in .mypy_cache, so a second local run takes seconds."""
    pytest.importorskip("mypy", reason="mypy is not installed (dev extra)")
    run = subprocess.run([sys.executable, "-m", "mypy", "src/gestura"], cwd=ROOT, capture_output=True, text=True,
                         timeout=600)
    assert run.returncode == 0, run.stdout[-3000:]
    assert "Success: no issues found" in run.stdout
