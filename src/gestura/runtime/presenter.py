"""The built-in web presenter: slides in a browser, driven by gestures over a WebSocket.

`create_presenter_router(deck, hub)` returns a FastAPI `APIRouter` (mount it anywhere: the serving app puts it
under `/presenter/`); `create_presenter_app(deck, hub)` wraps it in a small app; `serve_presenter(...)` runs
that app in a background thread for `gestura live --sink web`. The page (`static/presenter.html` +
`presenter.js`) shows one slide at a time and listens on `ws` for messages published through the
`PresenterHub`:

- `{"type": "command", "command": "next_slide" | "previous_slide" | "start_presentation" |
  "stop_presentation" | "erase_annotations" | "zoom_in_view" | "zoom_out_view", ...}`
- `{"type": "pointer", "kind": "laser" | "laser_hide" | "pen_start" | "pen_move" | "pen_end", "x", "y", ...}`
  with x, y in [0, 1] of the slide;
- `{"type": "preview", "hands": {name: [[x, y], ...]}, "jpeg": base64 | null, "state": "idle" | "armed" |
  "cooldown", "label", "score"}`: the small camera preview of `gestura present` (hands drawn by the page);
- `{"type": "status", "text": ...}`: a line for the status bar (e.g. "source ended").

The page answers on the same socket with `{"type": "ack", "applied": n, "slide": i, "count": n, "presenting",
"paused_hint", "legend": n}` after each command it applied (and once on connect); the hub keeps the latest in
`page_state`, so a caller can tell that every command it sent was applied. `GET /api/config` gives the legend
(gesture, picture, action per class of the command map), the hand skeleton and whether to show the side panel.

Slides come from an image folder (sorted by name), a PDF (rendered with `pdftoppm` from poppler-utils when it
is installed; otherwise export the PDF to images), or `make_demo_slides` (generated with Pillow).
"""

from __future__ import annotations

import asyncio
import atexit
import hmac
import os
import shutil
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import APIRouter, FastAPI, HTTPException, Request, WebSocket, WebSocketDisconnect
from fastapi.responses import FileResponse

from gestura.errors import InputError
from gestura.landmarks.skeleton import HAND_21

STATIC_DIR = Path(__file__).with_name("static")
SLIDE_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp", ".gif", ".svg")


@dataclass(frozen=True)
class SlideDeck:
    """An ordered list of slide image files."""

    slides: tuple[Path, ...]

    @classmethod
    def from_folder(cls, folder: str | os.PathLike[str]) -> SlideDeck:
        folder = Path(folder)
        if not folder.is_dir():
            raise InputError(f"{folder}: slide folder not found")
        slides = tuple(sorted(p for p in folder.iterdir() if p.suffix.lower() in SLIDE_SUFFIXES))
        if not slides:
            raise InputError(f"{folder}: no slide images ({', '.join(SLIDE_SUFFIXES)})")
        return cls(slides)

    @classmethod
    def from_pdf(cls, pdf: str | os.PathLike[str], out_dir: str | os.PathLike[str] | None = None) -> SlideDeck:
        """Render a PDF to PNGs with `pdftoppm` (poppler-utils); a clear error when it is not installed."""
        pdf = Path(pdf)
        if not pdf.is_file():
            raise InputError(f"{pdf}: PDF not found")
        exe = shutil.which("pdftoppm")
        if exe is None:
            raise InputError(f"{pdf}: rendering a PDF needs pdftoppm (apt-get install poppler-utils); "
                             "or export the slides as images and pass the folder")
        out = Path(out_dir) if out_dir else _private_temp_dir()
        out.mkdir(parents=True, exist_ok=True)
        res = subprocess.run([exe, "-png", "-r", "96", str(pdf), str(out / "slide")], capture_output=True,
                             text=True, timeout=300)
        if res.returncode != 0:
            raise InputError(f"{pdf}: pdftoppm failed: {res.stderr.strip()[:200]}")
        return cls.from_folder(out)

    @classmethod
    def open(cls, path: str | os.PathLike[str] | None) -> SlideDeck:
        """A folder, a PDF, or (None) generated demo slides."""
        if path is None:
            return cls.from_folder(make_demo_slides(_private_temp_dir()))
        p = Path(path)
        return cls.from_pdf(p) if p.suffix.lower() == ".pdf" else cls.from_folder(p)


GESTURE_NAMES: dict[str, tuple[str, str]] = {
    "swiping_right": ("swipe right", "arrow-right"),
    "swiping_left": ("swipe left", "arrow-left"),
    "swiping_up": ("swipe up", "arrow-up"),
    "swiping_down": ("swipe down", "arrow-down"),
    "fist": ("fist", "fist"),
    "zooming_in_full_hand": ("spread the hand", "zoom-in"),
    "zooming_out_full_hand": ("close the hand", "zoom-out"),
    "point_one": ("point, one finger", "point"),
    "point_two": ("two fingers", "pen"),
    "rotate_left": ("rotate left", "rotate-left"),
    "rotate_right": ("rotate right", "rotate-right"),
}
"""Class name -> (what a person does, picture id drawn by the page)."""
POINTER_ACTIONS = {"point_one": "laser pointer", "point_two": "draw (pen)"}
"""Continuous classes and what they do on the page (see `gestura.runtime.pointer`)."""


def legend_entries(labels: list[str] | tuple[str, ...] | None = None, command_map: Any = None) -> list[dict[str, str]]:
    """The page's legend: one entry per class that does something, in command order.

    `labels` are the model's classes (None: every class of the map plus the pointer classes); `command_map` a
    `CommandMap` (None: the default one). Each entry: `label`, `gesture` (words), `icon`, `command`, `action`.
    """
    from gestura.runtime.commands import COMMANDS, CommandMap

    cmap = command_map or CommandMap()
    names = list(labels) if labels is not None else [*cmap.mapping, *POINTER_ACTIONS]
    rows: list[dict[str, str]] = []
    for label in names:
        command = "pointer" if label in POINTER_ACTIONS else cmap.command_for(label)
        if command == "no_action":
            continue
        gesture, icon = GESTURE_NAMES.get(label, (label.replace("_", " "), "hand"))
        action = POINTER_ACTIONS.get(label) or command.replace("_view", "").replace("_", " ")
        rows.append({"label": label, "gesture": gesture, "icon": icon, "command": command, "action": action})
    order = {c: i for i, c in enumerate((*COMMANDS, "pointer"))}
    return sorted(rows, key=lambda r: order.get(r["command"], len(order)))


def resume_hint(command_map: Any = None) -> str:
    """What to do to resume after stop_presentation, e.g. "swipe up to resume" (from the command map)."""
    from gestura.runtime.commands import CommandMap

    cmap = command_map or CommandMap()
    for label, command in cmap.mapping.items():
        if command == "start_presentation":
            return f"{GESTURE_NAMES.get(label, (label.replace('_', ' '), ''))[0]} to resume"
    return "press the right arrow to resume"


def _private_temp_dir() -> Path:
    """A `gestura-slides-*` temp folder removed when the process exits (one per deck; none left behind)."""
    out = Path(tempfile.mkdtemp(prefix="gestura-slides-"))
    atexit.register(shutil.rmtree, out, ignore_errors=True)
    return out


def make_demo_slides(out_dir: str | os.PathLike[str], n: int = 5, size: tuple[int, int] = (1280, 720),
                     legend: list[dict[str, str]] | None = None) -> Path:
    """Write `n` numbered demo slides (PNG) into `out_dir` and return it.

    Each slide has a title and the gestures of `legend` (default: `legend_entries()`), three per slide in turn;
    every line is shrunk until it fits inside the margins, so no text is cut."""
    from PIL import Image, ImageDraw

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    colours = [(33, 64, 154), (20, 120, 90), (150, 60, 40), (110, 50, 140), (40, 40, 40)]
    rows = legend if legend is not None else legend_entries()
    w, h = size
    margin = max(16, w // 16)
    for i in range(n):
        img = Image.new("RGB", size, colours[i % len(colours)])
        d = ImageDraw.Draw(img)
        lines = [(f"gestura demo - slide {i + 1} of {n}", h // 10)]
        picked = [rows[(3 * i + j) % len(rows)] for j in range(min(3, len(rows)))] if rows else []
        lines += [(f"{r['gesture']}: {r['action']}", h // 16) for r in picked]
        y: float = margin
        for k, (text, size_px) in enumerate(lines):
            font = _fitting_font(d, text, w - 2 * margin, size_px)
            d.text((margin, y), text, fill="white", font=font)
            bottom = d.textbbox((margin, y), text, font=font)[3]
            y = bottom + (h // 8 if k == 0 else h // 24)
        with open(out / f"slide_{i + 1:02d}.png", "wb") as f:
            img.save(f, format="PNG")
    return out


def _fitting_font(draw: Any, text: str, max_width: int, size: int) -> Any:
    """The largest default font of at most `size` px whose rendering of `text` is at most `max_width` wide."""
    from PIL import ImageFont

    while True:
        try:
            font = ImageFont.load_default(size=max(size, 8))
        except TypeError:  # Pillow < 10.1: one small bitmap size only
            return ImageFont.load_default()
        if size <= 8 or draw.textlength(text, font=font) <= max_width:
            return font
        size = int(size * 0.9)


class PresenterHub:
    """Fan-out of presenter messages to every connected browser; `publish` is safe from any thread."""

    def __init__(self) -> None:
        self._clients: list[tuple[asyncio.AbstractEventLoop, asyncio.Queue[dict[str, Any]]]] = []
        self._lock = threading.Lock()
        self._connected = threading.Condition(self._lock)
        self.published = 0
        self.undelivered = 0
        self.page_state: dict[str, Any] = {}
        """The latest `ack` a page sent: `applied`, `slide`, `count`, `presenting`, `legend`..."""

    @property
    def n_clients(self) -> int:
        with self._lock:
            return len(self._clients)

    def wait_for_client(self, timeout: float | None = None) -> bool:
        """Block until at least one page is connected (or `timeout` seconds pass); True if one is."""
        with self._connected:
            return self._connected.wait_for(lambda: bool(self._clients), timeout)

    def publish(self, message: dict[str, Any]) -> None:
        """Send `message` to every connected page; counted in `undelivered` when none is connected."""
        with self._lock:
            clients = list(self._clients)
            self.published += 1
            self.undelivered += not clients
        for loop, queue in clients:
            loop.call_soon_threadsafe(queue.put_nowait, message)

    def drain(self, timeout: float = 2.0) -> bool:
        """Wait until every connected client's queue is sent (before stopping the server); True if it was."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            with self._lock:
                if all(q.empty() for _, q in self._clients):
                    return True
            time.sleep(0.02)
        return False

    def _add(self, loop: asyncio.AbstractEventLoop, queue: asyncio.Queue[dict[str, Any]]) -> None:
        with self._connected:
            self._clients.append((loop, queue))
            self._connected.notify_all()

    def _remove(self, queue: asyncio.Queue[dict[str, Any]]) -> None:
        with self._lock:
            self._clients = [c for c in self._clients if c[1] is not queue]


def create_presenter_router(deck: SlideDeck, hub: PresenterHub, api_key: str | None = None,
                            config: dict[str, Any] | None = None) -> APIRouter:
    """FastAPI router: `/` page, `/static/*`, `/api/slides`, `/api/config`, `/slides/{i}`, `POST /api/message`,
    `ws /ws`. `config` overrides the page settings (`legend`, `resume_hint`, `panel`, `title`).

    With `api_key`, the two control channels (`POST /api/message`, `ws /ws`) need it as the `X-API-Key` header or
    the `api_key` query parameter (the page forwards its own `?api_key=`); slides stay readable.
    """
    router = APIRouter()
    page_file = STATIC_DIR / f"{(config or {}).get('page', 'presenter')}.html"
    if not page_file.is_file():
        raise InputError(f"{page_file}: no such page")

    def key_ok(headers: Any, query: Any) -> bool:
        if api_key is None:
            return True
        given = headers.get("x-api-key") or query.get("api_key")
        return given is not None and hmac.compare_digest(api_key.encode(), str(given).encode())

    @router.get("/", include_in_schema=False)
    def page() -> FileResponse:
        return FileResponse(page_file, media_type="text/html")

    @router.get("/static/{name}", include_in_schema=False)
    def static(name: str) -> FileResponse:
        path = STATIC_DIR / name
        if "/" in name or name.startswith(".") or not path.is_file():
            raise HTTPException(404, f"no static file {name!r}")
        return FileResponse(path)

    @router.get("/api/slides")
    def slides() -> dict[str, Any]:
        return {"count": len(deck.slides), "slides": [f"slides/{i}" for i in range(len(deck.slides))]}

    page_config = {"legend": legend_entries(), "resume_hint": resume_hint(), "panel": True,
                   "edges": [list(e) for e in HAND_21.edges], "title": "gestura presenter", **(config or {})}

    @router.get("/api/config")
    def page_settings() -> dict[str, Any]:
        return page_config

    @router.get("/slides/{index}", include_in_schema=False)
    def slide(index: int) -> FileResponse:
        if not 0 <= index < len(deck.slides):
            raise HTTPException(404, f"slide {index} out of range 0..{len(deck.slides) - 1}")
        return FileResponse(deck.slides[index])

    @router.post("/api/message")
    def message(msg: dict[str, Any], request: Request) -> dict[str, Any]:
        if not key_ok(request.headers, request.query_params):
            raise HTTPException(401, "missing or wrong API key (send the X-API-Key header)")
        if msg.get("type") not in ("command", "pointer"):
            raise HTTPException(422, "message type must be 'command' or 'pointer'")
        hub.publish(msg)
        return {"ok": True, "clients": hub.n_clients}

    @router.websocket("/ws")
    async def ws(websocket: WebSocket) -> None:
        if not key_ok(websocket.headers, websocket.query_params):
            await websocket.close(code=1008, reason="missing or wrong API key")
            return
        await websocket.accept()
        queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        hub._add(asyncio.get_running_loop(), queue)

        async def forward_incoming() -> None:
            while True:
                msg = await websocket.receive_json()
                if isinstance(msg, dict) and msg.get("type") in ("command", "pointer"):
                    hub.publish(msg)
                elif isinstance(msg, dict) and msg.get("type") == "ack":
                    hub.page_state = msg

        reader = asyncio.create_task(forward_incoming())
        try:
            while not reader.done():
                getter = asyncio.create_task(queue.get())
                done, _ = await asyncio.wait({getter, reader}, return_when=asyncio.FIRST_COMPLETED)
                if getter in done:
                    await websocket.send_json(getter.result())
                else:
                    getter.cancel()
        except (WebSocketDisconnect, RuntimeError):
            pass
        finally:
            reader.cancel()
            hub._remove(queue)

    return router


def create_presenter_app(deck: SlideDeck, hub: PresenterHub, api_key: str | None = None,
                         config: dict[str, Any] | None = None) -> FastAPI:
    """A FastAPI app serving the presenter at `/` (no /docs: its API is the page's, documented in docs/runtime.md)."""
    app = FastAPI(title="gestura presenter", docs_url=None, redoc_url=None)
    app.include_router(create_presenter_router(deck, hub, api_key=api_key, config=config))
    return app


class PresenterServer:
    """The presenter app under uvicorn in a background thread; `url` is where to open it; `stop()` ends it."""

    def __init__(self, deck: SlideDeck, hub: PresenterHub | None = None, host: str = "127.0.0.1",
                 port: int = 0, config: dict[str, Any] | None = None) -> None:
        import socket

        import uvicorn

        self.hub = hub or PresenterHub()
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            self._sock.bind((host, port))
        except OSError as err:
            raise InputError(f"presenter: cannot listen on {host}:{port} ({err.strerror})") from None
        self.port = self._sock.getsockname()[1]
        self.url = f"http://{host}:{self.port}/"
        server_config = uvicorn.Config(create_presenter_app(deck, self.hub, config=config), log_level="warning",
                                       lifespan="off")
        self._server = uvicorn.Server(server_config)
        self._thread = threading.Thread(target=self._server.run, kwargs={"sockets": [self._sock]}, daemon=True)
        self._thread.start()
        for _ in range(200):
            if self._server.started:
                break
            self._thread.join(0.05)
        if not self._server.started:
            raise InputError(f"presenter: server did not start on {self.url}")

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(10)
        self._sock.close()

    def __enter__(self) -> PresenterServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
