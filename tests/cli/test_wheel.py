"""The wheel installs and runs outside the checkout: build it, install it (no deps) into a fresh venv, and run
`gestura --version`, `gestura demo` and `gestura present --headless-check` from a folder outside the repository.

The fresh venv is made with `--without-pip`; a `.pth` file adds the test interpreter's site-packages after the
venv's own, so the dependencies (torch, mediapipe...) are found there while `gestura` comes from the wheel: the
editable install of the development venv is a `.pth` line of its own, which a plain path entry does not run."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import numpy as np
import pytest

import chromium_driver
from gestura import __version__

ROOT = Path(__file__).resolve().parents[2]
PACKAGED = ("gestura/assets/default/model.json", "gestura/assets/default/model.safetensors",
            "gestura/runtime/static/presenter.html", "gestura/runtime/static/presenter.js",
            "gestura/serving/static/index.html", "gestura/serving/static/app.js", "gestura/py.typed")
"""Files that must be inside the wheel: the default model and the web pages' static assets."""


def _run(argv: list[str], cwd: Path, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    env["OMP_NUM_THREADS"] = "1"
    return subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    """(wheel, venv bin folder, a working folder outside the repository)."""
    tmp = tmp_path_factory.mktemp("wheel")
    proj = tmp / "proj"  # a clean copy: building in the checkout would leave build/ and *.egg-info behind
    proj.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, proj / name)
    shutil.copytree(ROOT / "src", proj / "src", ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    res = _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index", "-q",
                "-w", str(tmp / "dist"), str(proj)], cwd=tmp, timeout=300)
    assert res.returncode == 0, res.stderr
    (wheel,) = (tmp / "dist").glob("gestura-*.whl")

    venv = tmp / "venv"
    res = _run([sys.executable, "-m", "venv", "--without-pip", str(venv)], cwd=tmp)
    assert res.returncode == 0, res.stderr
    py = venv / ("Scripts" if os.name == "nt" else "bin") / "python"
    site = _run([str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], cwd=tmp)
    (Path(site.stdout.strip()) / "_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    res = _run([str(py), "-m", "pip", "install", "--no-deps", "--no-index", "-q", str(wheel)], cwd=tmp,
               timeout=300)
    assert res.returncode == 0, res.stderr
    work = tmp / "elsewhere"
    work.mkdir()
    return wheel, py.parent, work


@pytest.mark.slow
def test_the_wheel_holds_the_default_model_and_the_web_assets(installed: tuple[Path, Path, Path]) -> None:
    wheel, _, _ = installed
    names = set(zipfile.ZipFile(wheel).namelist())
    missing = [p for p in PACKAGED if p not in names]
    assert not missing, missing
    assert not [n for n in names if n.startswith(("tests/", "bench/", "scripts/")) or "__pycache__" in n]
    entry = zipfile.ZipFile(wheel).read(f"gestura-{__version__}.dist-info/entry_points.txt").decode()
    assert "gestura = gestura.cli:main" in entry


@pytest.mark.slow
def test_the_installed_command_runs_outside_the_checkout(installed: tuple[Path, Path, Path],
                                                         tmp_path: Path) -> None:
    _, bin_dir, work = installed
    where = _run([str(bin_dir / "python"), "-c", "import gestura; print(gestura.__file__)"], cwd=work)
    assert Path(where.stdout.strip()).is_relative_to(bin_dir.parent), where.stdout  # not the checkout's src/
    gestura = str(bin_dir / "gestura")
    version = _run([gestura, "--version"], cwd=work)
    assert version.returncode == 0 and version.stdout.strip() == f"gestura {__version__}", version.stderr
    demo = _run([gestura, "demo"], cwd=work, timeout=240)
    assert demo.returncode == 0, demo.stderr[-2000:]
    assert "the embedded default model" in demo.stdout and "Runtime cost per frame" in demo.stdout


@pytest.mark.slow
@pytest.mark.real_data
@pytest.mark.browser
@pytest.mark.skipif(not chromium_driver.available(), reason="chromium not installed")
def test_the_installed_presenter_passes_its_headless_check(installed: tuple[Path, Path, Path], tmp_path: Path,
                                                           shared_datasets: Path) -> None:
    """The page and its scripts come from the installed package; the first 900 frames (30 s) of a real recording
    keep the check short."""
    _, bin_dir, work = installed
    with np.load(shared_datasets / "presentation-streams" / "meric_s2.npz") as z:
        arrays = {k: (z[k][:900] if z[k].ndim else z[k]) for k in z.files}
    np.savez(tmp_path / "head.npz", **arrays)
    res = _run([str(bin_dir / "gestura"), "present", "--source", str(tmp_path / "head.npz"), "--headless-check"],
               cwd=work, timeout=240)
    assert res.returncode == 0, (res.stdout, res.stderr[-2000:])
    assert res.stdout.startswith("present check ok: 900 frames"), res.stdout
