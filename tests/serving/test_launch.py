"""`gestura serve` start-up (issue 19 items 6, 7): empty keys refused, auth state printed, the port checked and
the real bound port printed, no `gestura-slides-*` folder left behind."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from gestura.cli import app
from gestura.errors import ConfigError
from gestura.serving.launch import bind_socket, check_api_key

runner = CliRunner()
SRC = Path(__file__).resolve().parents[2] / "src"


def test_empty_keys_are_refused() -> None:
    with pytest.raises(ConfigError, match="--api-key is empty"):
        check_api_key("", {})
    with pytest.raises(ConfigError, match="--api-key is empty"):
        check_api_key("   ", {})
    with pytest.raises(ConfigError, match="GESTURA_API_KEY is set but empty"):
        check_api_key(None, {"GESTURA_API_KEY": ""})
    assert check_api_key(None, {}) is None and check_api_key("k", {}) == "k"


def test_create_app_refuses_an_empty_key(tiny_artifact: Path) -> None:
    from gestura.serving.app import create_app

    with pytest.raises(ConfigError, match="empty"):
        create_app(tiny_artifact, api_key="")


@pytest.mark.parametrize("args, env, needle", [
    (["--api-key", ""], {}, "--api-key is empty"),
    ([], {"GESTURA_API_KEY": ""}, "GESTURA_API_KEY is set but empty"),
    (["--port", "70000"], {}, "--port 70000: out of bounds (must be 0..65535)"),
    (["--port", "-1"], {}, "--port -1: out of bounds"),
])
def test_serve_refuses_at_start(tiny_artifact: Path, args: list[str], env: dict, needle: str) -> None:
    res = runner.invoke(app, ["serve", str(tiny_artifact), "--threads", "0", *args], env=env)
    assert res.exit_code == 2, res.output
    assert needle in res.stderr and len(res.stderr.strip().splitlines()) == 1


def test_port_in_use_is_one_line() -> None:
    sock = bind_socket("127.0.0.1", 0)  # listening: SO_REUSEADDR never lets a second socket bind it
    try:
        with pytest.raises(ConfigError, match="cannot listen"):
            bind_socket("127.0.0.1", sock.getsockname()[1])
    finally:
        sock.close()


@pytest.mark.parametrize("key", [None, "s3cret"])
def test_serve_prints_the_real_port_and_auth_state_and_cleans_up(tiny_artifact: Path, tmp_path: Path,
                                                                 key: str | None) -> None:
    env = {**os.environ, "PYTHONPATH": str(SRC), "TMPDIR": str(tmp_path)}
    env.pop("GESTURA_API_KEY", None)
    cmd = [sys.executable, "-m", "gestura", "serve", str(tiny_artifact), "--port", "0", "--threads", "1"]
    proc = subprocess.Popen(cmd + (["--api-key", key] if key else []), env=env, stderr=subprocess.PIPE, text=True)
    try:
        first = proc.stderr.readline()  # type: ignore[union-attr]
        auth = proc.stderr.readline()  # type: ignore[union-attr]
        m = re.search(r"http://127\.0\.0\.1:(\d+)/", first)
        assert m and int(m.group(1)) > 0, first
        assert ("auth: on" if key else "auth: off") in auth
        deadline = time.monotonic() + 30
        while True:
            try:
                r = httpx.get(f"http://127.0.0.1:{m.group(1)}/healthz", timeout=2)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline
                time.sleep(0.2)
        assert r.status_code == 200
        assert list(tmp_path.glob("gestura-slides-*")), "the presenter's demo slides exist while serving"
    finally:
        proc.send_signal(signal.SIGINT)
        rest = proc.communicate(timeout=30)[1]
    assert not list(tmp_path.glob("gestura-slides-*"))
    assert "leaked" not in rest and "Traceback" not in rest, rest
