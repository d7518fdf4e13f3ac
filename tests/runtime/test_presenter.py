"""The web presenter in real headless Chromium: page loads, receives next_slide, shows slide 2 and the pointer."""

from __future__ import annotations

import io
from pathlib import Path

import httpx
import numpy as np
import pytest

import chromium_driver
from gestura.errors import InputError
from gestura.runtime.commands import CommandMap, Dispatcher, WebPresenterBackend
from gestura.runtime.presenter import PresenterServer, SlideDeck, make_demo_slides


def test_deck_from_folder_and_errors(tmp_path: Path) -> None:
    deck = SlideDeck.from_folder(make_demo_slides(tmp_path / "s", n=3, size=(320, 180)))
    assert [p.name for p in deck.slides] == ["slide_01.png", "slide_02.png", "slide_03.png"]
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError, match="no slide images"):
        SlideDeck.from_folder(tmp_path / "empty")
    with pytest.raises(InputError, match="not found"):
        SlideDeck.open(tmp_path / "missing.pdf")


def test_http_api(tmp_path: Path) -> None:
    deck = SlideDeck.from_folder(make_demo_slides(tmp_path, n=2, size=(320, 180)))
    with PresenterServer(deck) as srv:
        assert httpx.get(srv.url + "api/slides").json() == {"count": 2, "slides": ["slides/0", "slides/1"]}
        assert httpx.get(srv.url + "slides/1").content[:4] == b"\x89PNG"
        assert httpx.get(srv.url + "slides/5").status_code == 404
        assert "presenter.js" in httpx.get(srv.url).text
        assert httpx.post(srv.url + "api/message", json={"type": "bogus"}).status_code == 422
        assert httpx.post(srv.url + "api/message", json={"type": "command", "command": "next_slide"}).json()["ok"]
        assert srv.hub.published == 1


def _pixel(png: bytes, x: int, y: int) -> tuple[int, int, int]:
    from PIL import Image

    img = np.asarray(Image.open(io.BytesIO(png)).convert("RGB"))
    return tuple(int(v) for v in img[y, x])


@pytest.mark.browser
@pytest.mark.skipif(not chromium_driver.available(), reason="chromium not installed")
def test_presenter_in_headless_chromium(tmp_path: Path) -> None:
    deck = SlideDeck.from_folder(make_demo_slides(tmp_path, n=3, size=(640, 360)))
    with PresenterServer(deck) as srv, chromium_driver.Browser(width=640, height=360) as browser:
        browser.navigate(srv.url)
        browser.wait_for("window.presenter && window.presenter.connected && window.presenter.count === 3")
        browser.wait_for("document.getElementById('slide').naturalWidth > 0")
        assert _pixel(browser.screenshot(), 600, 340) == (33, 64, 154)  # slide 1's colour

        dispatcher = Dispatcher(CommandMap(), [WebPresenterBackend(srv.hub)])
        dispatcher.handle("swiping_right", 0.93, 1.0)
        browser.wait_for("window.presenter.slide === 1")
        browser.wait_for("document.getElementById('slide').src.endsWith('slides/1')"
                         " && document.getElementById('slide').complete")
        assert browser.evaluate("window.presenter.lastCommand") == "next_slide"
        assert _pixel(browser.screenshot(), 600, 340) == (20, 120, 90)  # slide 2's colour

        srv.hub.publish({"type": "pointer", "kind": "laser", "x": 0.25, "y": 0.5, "t": 1.1})
        browser.wait_for("getComputedStyle(document.getElementById('pointer')).display === 'block'")
        r, g, b = _pixel(browser.screenshot(), 160, 180)
        assert r > 200 and g < 120 and b < 120  # the red laser dot at (0.25, 0.5) of the slide
        srv.hub.publish({"type": "pointer", "kind": "laser_hide", "x": 0.25, "y": 0.5, "t": 1.2})
        browser.wait_for("getComputedStyle(document.getElementById('pointer')).display === 'none'")

        dispatcher.handle("swiping_left", 0.9, 2.0)
        browser.wait_for("window.presenter.slide === 0")
        assert browser.evaluate("window.presenter.commands") == ["next_slide", "previous_slide"]
