"""The stages' borders, checked by import-linter over every import (module level and inside functions)."""

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
