"""`gestura live` end to end on a landmark file: the log backend prints one JSON line per command."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

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


def _fire_everything(tmp: Path) -> tuple[Path, Path]:
    """A decision file that fires on any score and a map that sends next_slide for every class: every window
    of a tiny untrained model becomes a command, so the sinks have something to carry."""
    dec = tmp / "decision.yaml"
    dec.write_text("threshold: 0.01\nrearm: 0.0\nmin_frames: 1\nsmoothing: none\ncooldown_s: 0\n"
                   "refractory_s: 0\nlatch_all: false\ncontinuous: []\nunknown: none\n")
    cmap = tmp / "map.yaml"
    cmap.write_text("fist: next_slide\nswiping_right: next_slide\nswiping_left: next_slide\n"
                    "point_one: next_slide\nunknown: next_slide\n")
    return dec, cmap


def test_live_log_backend_on_landmarks(tmp_path: Path) -> None:
    art = _bundle(tmp_path)
    seq = make_session(["swiping_left", "fist"], SubjectStyle(subject="l"), seed=2)
    npz = tmp_path / "s.npz"
    seq.to_npz(npz)
    dec, cmap = _fire_everything(tmp_path)
    res = CliRunner().invoke(app, ["live", str(art), "--source", str(npz), "--sink", "log",
                                   "--decision", str(dec), "--command-map", str(cmap)])
    assert res.exit_code == 0, res.output
    lines = [json.loads(x) for x in res.stdout.splitlines() if x.startswith("{")]
    assert lines and all(x["command"] == "next_slide" for x in lines)
    assert f"{seq.n_frames} frames, {len(lines)} commands" in res.output


def test_live_bad_backend(tmp_path: Path) -> None:
    art = _bundle(tmp_path)
    res = CliRunner().invoke(app, ["live", str(art), "--source", "x.npz", "--sink", "fax"])
    assert res.exit_code == 2 and "keyboard|web|log|ws" in res.output


def test_live_web_backend_says_when_no_page_got_the_commands(tmp_path: Path) -> None:
    art = _bundle(tmp_path)
    make_session(["swiping_left"], SubjectStyle(subject="l"), seed=2).to_npz(tmp_path / "s.npz")
    dec, cmap = _fire_everything(tmp_path)
    res = CliRunner().invoke(app, ["live", str(art), "--source", str(tmp_path / "s.npz"),
                                   "--sink", "web", "--port", "0", "--decision", str(dec),
                                   "--command-map", str(cmap)])
    assert res.exit_code == 0, res.output
    assert "reached no page" in res.stderr


def test_live_ws_sink_sends_commands_to_a_websocket_client(tmp_path: Path) -> None:
    """`--sink ws`: recognition waits for a client, then every command arrives as JSON on ws://.../ws."""
    import threading

    from websockets.sync.client import connect

    from gestura.runtime.live import run_live

    art = _bundle(tmp_path)
    make_session(["swiping_left", "fist"], SubjectStyle(subject="l"), seed=2).to_npz(tmp_path / "s.npz")
    dec, cmap = _fire_everything(tmp_path)
    said: list[str] = []
    result: dict[str, Any] = {}
    worker = threading.Thread(target=lambda: result.update(run_live(
        str(tmp_path / "s.npz"), art, "ws", decision=dec, command_map=cmap, port=0, say=said.append)))
    worker.start()
    for _ in range(200):
        if said:
            break
        worker.join(0.05)
    url = said[0].split(" on ")[1].split(";")[0]
    assert url.startswith("ws://127.0.0.1:") and url.endswith("/ws")
    worker.join(0.5)
    assert worker.is_alive()  # nothing recognised before a client connects
    from websockets.exceptions import ConnectionClosed

    got = []
    with connect(url) as ws:
        while True:
            try:
                got.append(json.loads(ws.recv(timeout=1.0)))
            except TimeoutError:
                if not worker.is_alive():
                    break
            except ConnectionClosed:  # the sink closes when the source ends
                break
    worker.join(60)
    assert not worker.is_alive() and result["commands"] > 0
    commands = [m for m in got if m.get("type") == "command"]
    assert len(commands) == result["commands"] and all(m["command"] == "next_slide" for m in commands)
