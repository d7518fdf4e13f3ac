"""The CLI's shared grammar: `--version`, native MediaPipe log lines hidden unless `--verbose`, results on stdout
and diagnostics on stderr (evaluate-stream, with `--json`)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from gestura import __version__
from gestura.cli import app

SRC = Path(__file__).resolve().parents[2] / "src"


def _gestura(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": f"{SRC}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
    return subprocess.run([sys.executable, "-m", "gestura", *args], capture_output=True, text=True, cwd=cwd,
                          env=env, timeout=300)


def test_version_prints_the_version() -> None:
    res = CliRunner().invoke(app, ["--version"])
    assert res.exit_code == 0 and res.stdout.strip() == f"gestura {__version__}"


def test_native_log_filter_drops_absl_lines_and_keeps_the_rest(tmp_path: Path) -> None:
    """fd-level, as MediaPipe's C++ writes: INFO/WARNING records go, errors and normal lines stay."""
    code = ("import os, sys\n"
            "from gestura.native_logs import quiet_native_logs\n"
            "f = quiet_native_logs()\n"
            "os.write(2, b'WARNING: All log messages before absl::InitializeLog() is called are written to STDERR\\n')\n"
            "os.write(2, b'W0000 00:00:1796015844.129496   14129 inference_feedback_manager.cc:114] Feedback\\n')\n"
            "os.write(2, b'I0000 00:00:1796015844.2   14129 gl_context.cc:369] GL version\\n')\n"
            "os.write(2, b'INFO: Created TensorFlow Lite XNNPACK delegate for CPU.\\n')\n"
            "os.write(2, b'E0000 00:00:1796015844.3   14129 calculator.cc:1] real trouble\\n')\n"
            "print('error: something the user must see', file=sys.stderr)\n"
            "f.restore()\n"
            "print('after', file=sys.stderr, flush=True)\n"
            "print(f.dropped)\n")
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60)
    assert res.returncode == 0, res.stderr
    assert res.stderr.splitlines() == ["E0000 00:00:1796015844.3   14129 calculator.cc:1] real trouble",
                                       "error: something the user must see", "after"]
    assert res.stdout.strip() == "4"


@pytest.mark.real_data
@pytest.mark.slow
def test_mediapipe_warnings_hidden_unless_verbose(shared_datasets: Path, tmp_path: Path) -> None:
    pytest.importorskip("mediapipe")
    video = shared_datasets / "media" / "mediapipe-samples" / "open_hand_video.mp4"
    if not video.is_file():
        pytest.skip(f"{video} not present")
    quiet = _gestura("demo", "--video", str(video), cwd=tmp_path)
    assert quiet.returncode == 0, quiet.stderr
    assert "W0000" not in quiet.stderr and "XNNPACK" not in quiet.stderr, quiet.stderr
    assert "a hand found in" in quiet.stdout  # the results (no command: a raised still hand) reach stdout
    loud = _gestura("--verbose", "demo", "--video", str(video), cwd=tmp_path)
    assert loud.returncode == 0 and "W0000" in loud.stderr  # the lines exist: hiding them above is the filter


def _random_artifact(tmp: Path) -> Path:
    import torch

    from gestura.artifact import ModelBundle
    from gestura.features.pipeline import FeaturePipeline
    from gestura.models import create_model

    torch.manual_seed(0)
    pipe = FeaturePipeline("feature-schema-v1")
    labels = ["fist", "swiping_left", "swiping_right", "unknown"]
    ModelBundle(model=create_model("lstm", input_dim=pipe.dim, num_classes=len(labels), units=(8,), dense=(8,)),
                pipeline=pipe, labels=labels, window=16).save(tmp / "model", card=False)
    return tmp / "model"


def test_evaluate_stream_results_on_stdout_and_json(tmp_path: Path) -> None:
    from gestura.data.formats import write_seed003
    from gestura.data.synthetic import SubjectStyle, make_session

    model = _random_artifact(tmp_path)
    script = ["swiping_left", "fist", "swiping_right"]
    write_seed003(tmp_path / "streams", [make_session(script, SubjectStyle(subject="b"), seed=6, fps=15.0)])
    args = ["evaluate-stream", str(model), "--data", str(tmp_path / "streams"), "--fast"]
    res = CliRunner().invoke(app, [*args, "--out", str(tmp_path / "e1")])
    assert res.exit_code == 0, res.output
    assert "per gesture" in res.stdout and "swiping_left" in res.stdout and "3 prompts" in res.stdout
    assert "b: hit" in res.stdout
    assert "wrote" in res.stderr and "wrote" not in res.stdout

    res = CliRunner().invoke(app, [*args, "--out", str(tmp_path / "e2"), "--json"])
    assert res.exit_code == 0, res.output
    summary = json.loads(res.stdout)  # stdout is exactly one JSON document
    assert summary["overall"]["n_prompts"] == 3 and list(summary["per_person"]) == ["b"]
    assert set(summary["overall"]["per_class"]) == set(script)
    assert Path(summary["report"]).is_file() and Path(summary["timeline"]).is_file()
