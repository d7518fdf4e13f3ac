"""A tiny headless-Chromium driver for browser tests, speaking the DevTools protocol over `websockets`.

No selenium, no new pip package: it launches `/usr/bin/chromium --headless --remote-debugging-port=0`, reads the
port from `DevToolsActivePort` in a temporary profile, attaches to the first page and sends CDP commands.

    import chromium_driver
    if not chromium_driver.available():
        pytest.skip("chromium not installed")
    with chromium_driver.Browser() as b:
        b.navigate("http://127.0.0.1:8000/")
        b.wait_for("document.querySelector('#slide') !== null", timeout=10)
        assert b.evaluate("1 + 1") == 2
        png = b.screenshot()          # PNG bytes

API: `available()`, `Browser(width=1024, height=768, chromium=None)` (context manager), `.navigate(url)`,
`.evaluate(js)` (awaits promises, returns the JSON value; a JS exception raises `BrowserError`),
`.wait_for(js_condition, timeout=10.0)` (polls until truthy, else `TimeoutError` with the last value and the
console log), `.screenshot() -> bytes`, `.console` (list of console messages), `.close()`.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

from websockets.sync.client import connect

CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "chromium", "chromium-browser", "google-chrome")


def find_chromium() -> str | None:
    """Path of a Chromium executable, or None."""
    for c in CHROMIUM_CANDIDATES:
        p = shutil.which(c)
        if p:
            return p
    return None


def available() -> bool:
    """True when a Chromium executable exists (tests skip otherwise)."""
    return find_chromium() is not None


class BrowserError(RuntimeError):
    """A CDP error or an exception thrown by evaluated JavaScript."""


class Browser:
    """One headless Chromium with one page; see the module docstring."""

    def __init__(self, width: int = 1024, height: int = 768, chromium: str | None = None,
                 start_timeout: float = 30.0) -> None:
        exe = chromium or find_chromium()
        if exe is None:
            raise BrowserError("chromium not found")
        self._profile = tempfile.mkdtemp(prefix="gestura-chromium-")
        args = [exe, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--disable-dev-shm-usage", "--mute-audio", f"--window-size={width},{height}",
                f"--user-data-dir={self._profile}", "--remote-debugging-port=0", "about:blank"]
        self._proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.console: list[str] = []
        self._id = 0
        try:
            port = self._read_port(start_timeout)
            page_ws = self._page_ws(port, start_timeout)
            self._ws = connect(page_ws, max_size=64 * 2**20, open_timeout=start_timeout).__enter__()
            self.send("Page.enable")
            self.send("Runtime.enable")
            self.send("Emulation.setDeviceMetricsOverride",
                      {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False})
        except BaseException:
            self.close()
            raise

    def _read_port(self, timeout: float) -> int:
        path = Path(self._profile) / "DevToolsActivePort"
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if self._proc.poll() is not None:
                raise BrowserError(f"chromium exited with code {self._proc.returncode}")
            if path.exists():
                lines = path.read_text().splitlines()
                if lines and lines[0].strip().isdigit():
                    return int(lines[0])
            time.sleep(0.05)
        raise BrowserError("chromium did not open a DevTools port in time")

    @staticmethod
    def _page_ws(port: int, timeout: float) -> str:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=5) as r:
                    targets = json.loads(r.read())
                pages = [t for t in targets if t.get("type") == "page"]
                if pages:
                    return str(pages[0]["webSocketDebuggerUrl"])
            except OSError:
                pass
            time.sleep(0.1)
        raise BrowserError("no page target in chromium")

    # ------------------------------------------------------------------ CDP
    def send(self, method: str, params: dict[str, Any] | None = None, timeout: float = 30.0) -> dict[str, Any]:
        """Send one CDP command and return its `result` (events that arrive meanwhile are recorded)."""
        self._id += 1
        my_id = self._id
        self._ws.send(json.dumps({"id": my_id, "method": method, "params": params or {}}))
        end = time.monotonic() + timeout
        while True:
            remaining = end - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"CDP {method} timed out")
            msg = json.loads(self._ws.recv(timeout=remaining))
            if msg.get("id") == my_id:
                if "error" in msg:
                    raise BrowserError(f"CDP {method}: {msg['error'].get('message')}")
                return msg.get("result", {})
            self._on_event(msg)

    def _on_event(self, msg: dict[str, Any]) -> None:
        if msg.get("method") == "Runtime.consoleAPICalled":
            args = msg["params"].get("args", [])
            self.console.append(" ".join(str(a.get("value", a.get("description", ""))) for a in args))
        elif msg.get("method") == "Runtime.exceptionThrown":
            self.console.append("exception: " + str(msg["params"]["exceptionDetails"].get("text")))

    def navigate(self, url: str, timeout: float = 30.0) -> None:
        """Load `url` and wait until the document has finished loading."""
        self.send("Page.navigate", {"url": url})
        self.wait_for("document.readyState === 'complete'", timeout=timeout)

    def evaluate(self, js: str) -> Any:
        """Evaluate a JS expression in the page (promises awaited) and return its JSON value."""
        res = self.send("Runtime.evaluate", {"expression": js, "returnByValue": True, "awaitPromise": True})
        if "exceptionDetails" in res:
            details = res["exceptionDetails"]
            text = details.get("exception", {}).get("description") or details.get("text")
            raise BrowserError(f"JS error in {js[:60]!r}: {text}")
        return res.get("result", {}).get("value")

    def wait_for(self, js_condition: str, timeout: float = 10.0, interval: float = 0.05) -> Any:
        """Poll `js_condition` until it is truthy and return its value; `TimeoutError` otherwise."""
        end = time.monotonic() + timeout
        last: Any = None
        while time.monotonic() < end:
            try:
                last = self.evaluate(js_condition)
            except BrowserError as err:
                last = str(err)
            else:
                if last:
                    return last
            time.sleep(interval)
        raise TimeoutError(f"timed out waiting for {js_condition!r} (last value {last!r}; console: "
                           f"{self.console[-5:]})")

    def screenshot(self) -> bytes:
        """PNG of the viewport."""
        return base64.b64decode(self.send("Page.captureScreenshot", {"format": "png"})["data"])

    def close(self) -> None:
        """Close the connection, end Chromium (this process only) and delete its temporary profile."""
        ws = getattr(self, "_ws", None)
        if ws is not None:
            try:
                ws.close()
            except Exception:
                pass
        if self._proc.poll() is None:
            self._proc.terminate()
            try:
                self._proc.wait(10)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait(5)
        shutil.rmtree(self._profile, ignore_errors=True)

    def __enter__(self) -> Browser:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _selftest() -> None:  # pragma: no cover - manual check: python tests/chromium_driver.py
    with Browser() as b:
        b.navigate("data:text/html,<h1 id=x>hi</h1>")
        print(b.evaluate("document.getElementById('x').textContent"), len(b.screenshot()), "bytes png")


if __name__ == "__main__":  # pragma: no cover
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    _selftest()
