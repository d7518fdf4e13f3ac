"""`gestura serve`'s pages in REAL headless Chromium that cannot resolve any host but 127.0.0.1.

/docs and /redoc must render the API's operations from bundled assets (no CDN); the demo page lists the
gestures with their pictures and instructions, and shows an API-key box only when the service has a key.
"""

from __future__ import annotations

import io
import re
import stat
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest

chromium_driver = pytest.importorskip("chromium_driver")
pytestmark = [pytest.mark.browser,
              pytest.mark.skipif(not chromium_driver.available(), reason="chromium not installed")]


def offline_chromium(tmp: Path) -> str:
    """A launcher adding a resolver rule that fails every host name except 127.0.0.1: a CDN cannot load."""
    script = tmp / "chromium-offline"
    script.write_text("#!/bin/sh\n"
                      f'exec "{chromium_driver.find_chromium()}" '
                      '"--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1" "$@"\n')
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return str(script)


def _img(png: bytes) -> np.ndarray:
    from PIL import Image

    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB")).astype(int)


def test_docs_pages_reference_no_outside_host(open_server: Any) -> None:
    for page in ("/docs", "/redoc"):
        html = httpx.get(open_server.url + page).text
        urls = re.findall(r"""(?:src|href)=["']([^"']+)""", html) + re.findall(r"""url: ?['"]([^'"]+)""", html)
        assert urls and all(u.startswith("/") for u in urls), (page, urls)


def test_swagger_and_redoc_render_operations_offline(open_server: Any, tmp_path: Path) -> None:
    with chromium_driver.Browser(width=1200, height=900, chromium=offline_chromium(tmp_path)) as browser:
        browser.navigate(open_server.url + "/docs")
        browser.wait_for("document.querySelectorAll('.opblock').length >= 5", timeout=30)
        paths = browser.evaluate("[...document.querySelectorAll('.opblock-summary-path')].map(e => e.textContent)")
        assert {"/v1/predict", "/v1/gestures", "/healthz"} <= {p.replace("\u200b", "") for p in paths}
        shot = _img(browser.screenshot())
        post = (abs(shot[..., 0] - 73) < 12) & (abs(shot[..., 1] - 204) < 12) & (abs(shot[..., 2] - 144) < 12)
        assert post.sum() > 200, "no green POST badge drawn: Swagger UI did not render"

        browser.navigate(open_server.url + "/redoc")
        browser.wait_for("document.querySelectorAll('[data-section-id^=\"operation/\"]').length >= 5", timeout=30)
        text = browser.evaluate("document.body.innerText")
        assert "/v1/predict" in text and "Hand-gesture and isolated-sign recognition" in text


def test_demo_page_lists_gestures_and_hides_the_key_box_without_a_key(open_server: Any, live_server: Any,
                                                                      tmp_path: Path) -> None:
    with chromium_driver.Browser(width=1280, height=900, chromium=offline_chromium(tmp_path)) as browser:
        browser.navigate(open_server.url + "/")
        browser.wait_for("document.querySelectorAll('#gestures li svg').length >= 3", timeout=20)
        rows = browser.evaluate("[...document.querySelectorAll('#gestures li')].map(li => {"
                                " const r = li.querySelector('svg').getBoundingClientRect();"
                                " return [li.textContent, r.left, r.top, r.width, r.height]; })")
        texts = [r[0] for r in rows]
        assert any("swipe right" in t and "next slide" in t for t in texts), texts
        assert any("fist" in t and "erase" in t for t in texts), texts
        assert browser.evaluate("document.getElementById('keybox').offsetParent") is None
        steps = browser.evaluate("document.getElementById('steps').innerText")
        assert "Start camera" in steps
        shot = _img(browser.screenshot())
        for text, left, top, w, h in rows:
            box = shot[int(top):int(top + h), int(left):int(left + w)]
            assert (box.min(axis=2) > 200).sum() > 20, f"no picture drawn for {text!r}"

        browser.navigate(live_server.url + "/")  # this one has api_key="secret"
        browser.wait_for("document.querySelectorAll('#gestures li').length >= 3", timeout=20)
        assert browser.evaluate("document.getElementById('keybox').offsetParent !== null")
