"""`gestura live` end to end on a landmark file: the log backend prints one JSON line per command."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from gestura.cli import app
from gestura.data.synthetic import SubjectStyle, make_session


def _bundle(tmp: Path) -> Path:
    """A small random-weight artifact (the decisions below do not depend on the model being any good)."""
    import torch

    from gestura.artifact import ModelBundle
    from gestura.features.pipeline import FeaturePipeline
    from gestura.models import create_model

    torch.manual_seed(0)
    pipe = FeaturePipeline("feature-schema-v1")
    labels = ["fist", "swiping_right", "swiping_left", "point_one", "unknown"]
    ModelBundle(model=create_model("lstm", input_dim=pipe.dim, num_classes=len(labels)), pipeline=pipe,
                labels=labels, window=16, stride=4).save(tmp / "art", card=False)
    return tmp / "art"


def test_live_log_backend_on_landmarks(tmp_path: Path) -> None:
    art = _bundle(tmp_path)
    seq = make_session(["swiping_left", "fist"], SubjectStyle(subject="l"), seed=2)
    npz = tmp_path / "s.npz"
    seq.to_npz(npz)
    dec = tmp_path / "decision.yaml"
    dec.write_text("threshold: 0.01\nrearm: 0.0\nmin_frames: 1\nsmoothing: none\ncooldown_s: 0\n"
                   "refractory_s: 0\nlatch_all: false\ncontinuous: []\nunknown: none\n")
    cmap = tmp_path / "map.yaml"
    cmap.write_text("fist: next_slide\nswiping_right: next_slide\nswiping_left: next_slide\n"
                    "point_one: next_slide\nunknown: next_slide\n")
    res = CliRunner().invoke(app, ["live", str(art), "--source", str(npz), "--sink", "log",
                                   "--decision", str(dec), "--command-map", str(cmap)])
    assert res.exit_code == 0, res.output
    lines = [json.loads(x) for x in res.stdout.splitlines() if x.startswith("{")]
    assert lines and all(x["command"] == "next_slide" for x in lines)
    assert f"{seq.n_frames} frames, {len(lines)} commands" in res.output


def test_live_bad_backend(tmp_path: Path) -> None:
    art = _bundle(tmp_path)
    res = CliRunner().invoke(app, ["live", str(art), "--source", "x.npz", "--sink", "fax"])
    assert res.exit_code == 2 and "keyboard|web|log" in res.output


def test_live_web_backend_says_when_no_page_got_the_commands(tmp_path: Path) -> None:
    art = _bundle(tmp_path)
    make_session(["swiping_left"], SubjectStyle(subject="l"), seed=2).to_npz(tmp_path / "s.npz")
    dec = tmp_path / "decision.yaml"
    dec.write_text("threshold: 0.01\nrearm: 0.0\nmin_frames: 1\nsmoothing: none\ncooldown_s: 0\n"
                   "refractory_s: 0\nlatch_all: false\ncontinuous: []\nunknown: none\n")
    cmap = tmp_path / "map.yaml"
    cmap.write_text("fist: next_slide\nswiping_right: next_slide\nswiping_left: next_slide\n"
                    "point_one: next_slide\nunknown: next_slide\n")
    res = CliRunner().invoke(app, ["live", str(art), "--source", str(tmp_path / "s.npz"),
                                   "--sink", "web", "--port", "0", "--decision", str(dec),
                                   "--command-map", str(cmap)])
    assert res.exit_code == 0, res.output
    assert "reached no page" in res.stderr
