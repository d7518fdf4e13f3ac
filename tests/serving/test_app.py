"""The service over a REAL uvicorn server on 127.0.0.1: every endpoint, auth, limits, malformed input, paths."""

from __future__ import annotations

import base64
import http.client
import io
import json
import time
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import connect

KEY = {"X-API-Key": "secret"}
LABELS = ["fist", "swiping_left", "swiping_right", "unknown"]  # the tiny_artifact fixture's
LiveServer = Any  # tests/serving/conftest.py: url, ws_url, app, port


def body_of(frames: np.ndarray, name: str, fps: float = 30.0) -> dict:
    return {"fps": fps, "streams": {name: np.round(frames, 6).tolist()}}


def ws_connect(server: LiveServer, query: str = "?api_key=secret", **kw: object):  # noqa: ANN201
    return connect(server.ws_url + "/v1/stream" + query, open_timeout=10, **kw)


def raw_get(server: LiveServer, path: str) -> int:
    """GET with the path sent byte-for-byte (httpx would normalise `..`)."""
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    conn.request("GET", path)
    status = conn.getresponse().status
    conn.close()
    return status


# ------------------------------------------------------------------------------------------------- basics
def test_healthz_needs_no_key_and_describes_the_model(live_server: LiveServer) -> None:
    r = httpx.get(live_server.url + "/healthz")
    assert r.status_code == 200
    h = r.json()
    assert h["status"] == "ok" and h["labels"] == LABELS and h["window"] == 16 and h["engine"] == "torch"


def test_openapi_lists_every_route(live_server: LiveServer) -> None:
    spec = httpx.get(live_server.url + "/openapi.json").json()
    assert {"/v1/predict", "/v1/predict/video", "/healthz", "/metrics"} <= set(spec["paths"])
    assert httpx.get(live_server.url + "/docs").status_code == 200


@pytest.mark.parametrize("headers", [{}, {"X-API-Key": "wrong"}, {"X-API-Key": ""}])
def test_routes_need_the_key(live_server: LiveServer, headers: dict, hand_clip: tuple) -> None:
    name, frames, _ = hand_clip
    r = httpx.post(live_server.url + "/v1/predict", json=body_of(frames[:20], name), headers=headers)
    assert r.status_code == 401 and "API key" in r.json()["detail"]
    assert httpx.get(live_server.url + "/metrics", headers=headers).status_code == 401
    r = httpx.post(live_server.url + "/v1/predict/video", files={"video": ("a.mp4", b"x")}, headers=headers)
    assert r.status_code == 401


def test_websocket_needs_the_key(live_server: LiveServer) -> None:
    for query in ("", "?api_key=nope"):
        with pytest.raises(InvalidStatus) as err:
            with ws_connect(live_server, query):
                pass
        assert err.value.response.status_code == 403
    with connect(live_server.ws_url + "/v1/stream", additional_headers=KEY, open_timeout=10) as ws:
        ws.send(json.dumps({"type": "reset", "seq": 1}))
        assert json.loads(ws.recv(timeout=10))["seq"] == 1


def test_presenter_control_channels_need_the_key(live_server: LiveServer) -> None:
    msg = {"type": "command", "command": "next_slide"}
    assert httpx.post(live_server.url + "/presenter/api/message", json=msg).status_code == 401
    assert httpx.post(live_server.url + "/presenter/api/message", json=msg, headers=KEY).status_code == 200
    with pytest.raises(InvalidStatus):
        with connect(live_server.ws_url + "/presenter/ws", open_timeout=10):
            pass
    with connect(live_server.ws_url + "/presenter/ws?api_key=secret", open_timeout=10):
        pass
    assert httpx.get(live_server.url + "/presenter/api/slides").status_code == 200


# ------------------------------------------------------------------------------------------------- predict
def test_predict_matches_the_recognizer(live_server: LiveServer, tiny_artifact: Path, hand_clip: tuple) -> None:
    from gestura.landmarks.sequence import LandmarkSequence
    from gestura.runtime.recognizer import Recognizer

    name, frames, fps = hand_clip
    clip = frames[:40]
    r = httpx.post(live_server.url + "/v1/predict", json=body_of(clip, name, fps), headers=KEY)
    assert r.status_code == 200, r.text
    out = r.json()
    assert out["n_frames"] == 40 and out["frames_with_hand"] == 40
    pred = out["prediction"]
    assert pred["label"] in LABELS and abs(sum(pred["scores"].values()) - 1) < 1e-4
    local = Recognizer.from_file(tiny_artifact).predict(
        LandmarkSequence.from_arrays({name: np.round(clip, 6)}, fps))
    assert pred["label"] == local.label
    assert np.allclose([pred["scores"][k] for k in LABELS], [local.scores[k] for k in LABELS], atol=1e-5)


def test_predict_without_any_hand_gives_no_prediction(live_server: LiveServer) -> None:
    r = httpx.post(live_server.url + "/v1/predict", json=body_of(np.zeros((10, 21, 3)), "right_hand"), headers=KEY)
    assert r.status_code == 200 and r.json()["prediction"] is None and r.json()["frames_with_hand"] == 0


@pytest.mark.parametrize("payload, fragment", [
    ({"streams": {"right_hand": [[[0.1, 0.2, 0.3]] * 20] * 5}}, "20 joints, expected 21"),
    ({"streams": {"right_hand": [[[0.1, 0.2, 0.3]] * 21, [[0.1, 0.2]] * 21]}}, "ragged"),
    ({"streams": {"tail": [[[0.1, 0.2, 0.3]] * 21]}}, "streams.tail"),
    ({"streams": {}}, "streams"),
    ({"streams": {"right_hand": [[[0.1, 0.2, 0.3]] * 21] * 3}, "fps": -5}, "fps"),
    ({"streams": {"right_hand": [[[0.1, 0.2, 0.3]] * 21] * 3}, "t": [0.0, 0.1, 0.05]}, "increasing"),
    ({"streams": {"right_hand": [[[0.1, 0.2, 0.3]] * 21] * 3}, "extra": 1}, "extra"),
    ({"streams": {"right_hand": "nope"}}, "streams.right_hand"),
    ([1, 2, 3], "body"),
    # issue 19 item 7: strings and booleans were coerced to coordinates
    ({"streams": {"right_hand": [[["0.5", 0.2, 0.3]] + [[0.1, 0.2, 0.3]] * 20] * 3}},
     "streams.right_hand.0.0.0: Input should be a valid number"),
    ({"streams": {"right_hand": [[[True, 0.2, 0.3]] + [[0.1, 0.2, 0.3]] * 20] * 3}}, "valid number"),
    ({"streams": {"right_hand": [[[0.1, 0.2, 0.3]] * 21] * 3}, "t": ["0", "1", "2"]}, "t.0"),
    ({"streams": {"right_hand": [[[0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7]] * 21] * 3}}, "at most 4 items"),
])
def test_malformed_sequences_are_422_with_one_line(live_server: LiveServer, payload: object, fragment: str) -> None:
    r = httpx.post(live_server.url + "/v1/predict", json=payload, headers=KEY)
    assert r.status_code == 422
    detail = r.json()["detail"]
    assert isinstance(detail, str) and "\n" not in detail and fragment in detail


@pytest.mark.parametrize("raw", [b"{not json", b'{"streams": {"right_hand": [[[NaN, 1, 2]]]}}', b"", b"\xff\xfe"])
def test_undecodable_bodies_are_422(live_server: LiveServer, raw: bytes) -> None:
    r = httpx.post(live_server.url + "/v1/predict", content=raw,
                   headers={**KEY, "content-type": "application/json"})
    assert r.status_code == 422 and isinstance(r.json()["detail"], str)


def test_oversized_bodies_are_413(live_server: LiveServer) -> None:
    big = {"streams": {"right_hand": [[[0.123456789] * 3] * 21] * 500}}  # > 300 kB and > 120 frames
    r = httpx.post(live_server.url + "/v1/predict", json=big, headers=KEY)
    assert r.status_code == 413 and "limit" in r.json()["detail"]

    def chunks():  # no Content-Length: the streamed body is counted instead
        for _ in range(40):
            yield b" " * 10_000

    r = httpx.post(live_server.url + "/v1/predict", content=chunks(), headers={**KEY, "content-type":
                                                                                 "application/json"})
    assert r.status_code == 413
    many = {"streams": {"right_hand": [[[0.5, 0.5, 0.0]] * 21] * 130}}  # small body, too many frames
    r = httpx.post(live_server.url + "/v1/predict", json=many, headers=KEY)
    assert r.status_code == 413 and "130 frames" in r.json()["detail"]


# ------------------------------------------------------------------------------------------------- video
def test_video_upload_rejects_junk_empty_and_oversized(live_server: LiveServer, tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    url = live_server.url + "/v1/predict/video"
    r = httpx.post(url, files={"video": ("../../escape.mp4", b"this is not a video" * 50, "video/mp4")},
                   headers=KEY)
    assert r.status_code == 422 and "video" in r.json()["detail"]
    assert not (tmp_path.parent.parent / "escape.mp4").exists() and not list(tmp_path.iterdir())
    r = httpx.post(url, files={"video": ("a.mp4", b"", "video/mp4")}, headers=KEY)
    assert r.status_code == 422 and "empty" in r.json()["detail"]
    r = httpx.post(url, files={"video": ("a.mp4", b"\0" * 500_000, "video/mp4")}, headers=KEY)
    assert r.status_code == 413
    r = httpx.post(url, data={"other": "x"}, headers=KEY)
    assert r.status_code == 422 and "video" in r.json()["detail"]


def _clip(shared: Path, out: Path, seconds: float, size: tuple[int, int] = (320, 180)) -> Path:
    import cv2

    cap = cv2.VideoCapture(str(shared / "media" / "mediapipe-samples" / "open_hand_video.mp4"))
    fps = cap.get(cv2.CAP_PROP_FPS) or 25.0
    writer = cv2.VideoWriter(str(out), cv2.VideoWriter_fourcc(*"mp4v"), fps, size)
    for _ in range(int(seconds * fps)):
        ok, frame = cap.read()
        if not ok:
            break
        writer.write(cv2.resize(frame, size))
    writer.release()
    cap.release()
    return out


@pytest.mark.real_data
@pytest.mark.slow
def test_video_upload_extracts_a_hand_and_enforces_duration(live_server: LiveServer, shared_datasets: Path,
                                                            tmp_path: Path) -> None:
    pytest.importorskip("mediapipe")
    url = live_server.url + "/v1/predict/video"
    short = _clip(shared_datasets, tmp_path / "short.mp4", 1.0)
    r = httpx.post(url, files={"video": ("short.mp4", short.read_bytes(), "video/mp4")}, headers=KEY, timeout=120)
    assert r.status_code == 200, r.text
    out = r.json()
    assert out["n_frames"] >= 20 and out["frames_with_hand"] >= out["n_frames"] // 2
    assert out["prediction"]["label"] in LABELS
    long = _clip(shared_datasets, tmp_path / "long.mp4", 3.0, size=(160, 90))
    r = httpx.post(url, files={"video": ("long.mp4", long.read_bytes(), "video/mp4")}, headers=KEY, timeout=120)
    assert r.status_code == 422 and "1.5 s limit" in r.json()["detail"]


@pytest.mark.real_data
@pytest.mark.slow
def test_stream_jpeg_frames_are_tracked(live_server: LiveServer, shared_datasets: Path) -> None:
    pytest.importorskip("mediapipe")
    import cv2

    cap = cv2.VideoCapture(str(shared_datasets / "media" / "mediapipe-samples" / "open_hand_video.mp4"))
    jpegs = []
    for _ in range(6):
        ok, frame = cap.read()
        assert ok
        jpegs.append(cv2.imencode(".jpg", cv2.resize(frame, (320, 180)))[1].tobytes())
    cap.release()
    with ws_connect(live_server) as ws:
        replies = []
        for i, jpg in enumerate(jpegs):
            if i >= 3:
                ws.send(jpg)  # binary frames: stamped on arrival, after the JSON ones
            else:
                ws.send(json.dumps({"type": "jpeg", "seq": i, "t_ms": 40 * i + 1,
                                    "data": base64.b64encode(jpg).decode()}))
            replies.append(json.loads(ws.recv(timeout=60)))
    assert all(r["type"] == "frame" for r in replies)
    hands = [r for r in replies if r["hand"]]
    assert len(hands) >= 4
    pts = np.array(next(iter(hands[-1]["landmarks"].values())))
    assert pts.shape == (21, 3) and (pts[:, :2] >= -0.1).all() and (pts[:, :2] <= 1.1).all()


# ------------------------------------------------------------------------------------------------- streaming
def _stream(ws, name: str, frames: np.ndarray, start: int = 0) -> list[dict]:  # noqa: ANN001
    out = []
    for i, f in enumerate(frames):
        ws.send(json.dumps({"seq": start + i, "t_ms": (start + i) * 33 + 1, "streams": {name: np.round(f, 6)
                                                                                             .tolist()}}))
        out.append(json.loads(ws.recv(timeout=10)))
    return out


def test_stream_replies_once_per_frame_like_the_local_runtime(live_server: LiveServer, tiny_artifact: Path,
                                                                hand_clip: tuple) -> None:
    from gestura.runtime.recognizer import Recognizer

    name, frames, _ = hand_clip
    frames = frames[:30]
    with ws_connect(live_server) as ws:
        replies = _stream(ws, name, frames)
    assert [r["seq"] for r in replies] == list(range(30)) and all(r["hand"] for r in replies)
    session = Recognizer.from_file(tiny_artifact).session()
    for i, (f, r) in enumerate(zip(frames, replies)):
        p = session.push({name: np.round(f, 6), "left_hand" if name == "right_hand" else "right_hand": None},
                         timestamp_ms=i * 33 + 1)
        assert r["top"]["label"] == p.label
        assert np.allclose([r["top"]["scores"][k] for k in LABELS], [p.scores[k] for k in LABELS], atol=1e-5)


def test_streams_keep_their_own_state(live_server: LiveServer, hand_clip: tuple) -> None:
    name, frames, _ = hand_clip
    a_frames, b_frames = frames[:20], frames[60:80]
    with ws_connect(live_server) as ws:
        alone = _stream(ws, name, b_frames)
    with ws_connect(live_server) as wa, ws_connect(live_server) as wb:
        mixed_b = []
        for i in range(20):  # interleave: A's frames must not leak into B's buffer
            _stream(wa, name, a_frames[i : i + 1], start=i)
            mixed_b += _stream(wb, name, b_frames[i : i + 1], start=i)
    assert [r["top"]["scores"] for r in mixed_b] == [r["top"]["scores"] for r in alone]


def test_bad_stream_frames_get_error_replies_and_the_stream_goes_on(live_server: LiveServer,
                                                                    hand_clip: tuple) -> None:
    name, frames, _ = hand_clip
    bad = [
        "not json",
        json.dumps({"seq": 1, "t_ms": 10, "streams": {name: [[0.1, 0.2, 0.3]] * 20}}),
        json.dumps({"seq": 2, "t_ms": 10, "streams": {"tail": [[0.1, 0.2, 0.3]] * 21}}),
        json.dumps({"seq": 3, "t_ms": 10, "type": "jpeg", "data": "%%%"}),
        json.dumps({"seq": 4, "t_ms": 10, "type": "jpeg", "data": base64.b64encode(b"not an image").decode()}),
        json.dumps({"seq": 5, "t_ms": -3, "streams": {}}),
        json.dumps([1, 2]),
    ]
    with ws_connect(live_server) as ws:
        for msg in bad:
            ws.send(msg)
            reply = json.loads(ws.recv(timeout=10))
            assert reply["type"] == "error" and isinstance(reply["detail"], str), msg
        ok = _stream(ws, name, frames[:2], start=100)
        assert [r["type"] for r in ok] == ["frame", "frame"]
        ws.send(json.dumps({"seq": 7, "t_ms": 50, "streams": {name: frames[2].tolist()}}))  # time went back
        assert "does not increase" in json.loads(ws.recv(timeout=10))["detail"]


def test_oversized_stream_messages_close_the_connection(live_server: LiveServer) -> None:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (1280, 960), (90, 90, 90)).save(buf, format="JPEG")
    with ws_connect(live_server) as ws:
        ws.send(buf.getvalue())  # small file, too many pixels: an error reply, connection stays
        assert "pixel limit" in json.loads(ws.recv(timeout=10))["detail"]
        ws.send(b"\xff" * 300_000)
        with pytest.raises(ConnectionClosed):
            for _ in range(3):
                ws.recv(timeout=10)
    assert httpx.get(live_server.url + "/healthz").status_code == 200


# ------------------------------------------------------------------------------------------------- paths, metrics
@pytest.mark.parametrize("path", [
    "/static/../pyproject.toml", "/static/%2e%2e/%2e%2e/%2e%2e/pyproject.toml", "/static/..%2f..%2fapp.py",
    "/static//etc/passwd", "/presenter/static/..%2fpresenter.py", "/presenter/static/%2e%2e",
    "/presenter/slides/-1", "/presenter/slides/99", "/v1/../../etc/passwd", "/static/%00",
])
def test_no_path_reads_outside_the_served_folders(live_server: LiveServer, path: str) -> None:
    assert raw_get(live_server, path) in (400, 404, 405)


def test_browser_page_and_presenter_are_served(live_server: LiveServer) -> None:
    r = httpx.get(live_server.url + "/", follow_redirects=True)
    assert r.status_code == 200 and "getUserMedia" not in r.text and 'src="app.js"' in r.text
    assert "getUserMedia" in httpx.get(live_server.url + "/static/app.js").text
    assert httpx.get(live_server.url + "/presenter/").status_code == 200
    assert httpx.get(live_server.url + "/presenter/api/slides").json()["count"] >= 1
    assert httpx.get(live_server.url + "/v1/skeletons").json()["right_hand"][0] == [1, 0]


def test_metrics_count_requests_streams_and_errors(live_server: LiveServer, hand_clip: tuple) -> None:
    name, frames, _ = hand_clip
    with ws_connect(live_server) as ws:
        _stream(ws, name, frames[:3])
        ws.send("junk")
        ws.recv(timeout=10)
    httpx.post(live_server.url + "/v1/predict", json=[1], headers=KEY)
    for _ in range(50):  # the server counts the stream as closed once it has seen the close
        text = httpx.get(live_server.url + "/metrics", headers=KEY).text
        if "gestura_ws_connections 0\n" in text:
            break
        time.sleep(0.1)
    assert "# TYPE gestura_http_requests_total counter" in text
    assert 'gestura_http_requests_total{route="/v1/predict",status="422"}' in text
    lines = dict(line.rsplit(" ", 1) for line in text.splitlines() if not line.startswith("#"))
    assert float(lines["gestura_ws_frames_total"]) >= 3
    assert float(lines["gestura_ws_errors_total"]) >= 1
    assert "gestura_ws_frame_seconds_bucket" in text and float(lines["gestura_ws_connections"]) == 0


def test_stream_count_is_capped(live_server: LiveServer) -> None:
    from contextlib import ExitStack

    with ExitStack() as stack:
        open_ws = [stack.enter_context(ws_connect(live_server)) for _ in range(8)]  # the fixture's cap
        for ws in open_ws:
            ws.send(json.dumps({"type": "reset"}))
            assert json.loads(ws.recv(timeout=10))["type"] == "frame"
        with pytest.raises(InvalidStatus):
            with ws_connect(live_server):
                pass
    for _ in range(50):  # slots come back once the server has seen the closes
        try:
            with ws_connect(live_server) as ws:
                ws.send(json.dumps({"type": "reset"}))
                assert json.loads(ws.recv(timeout=10))["type"] == "frame"
            break
        except InvalidStatus:
            time.sleep(0.1)
    else:
        pytest.fail("stream slots were not released")


# ------------------------------------------------------------------------------------------------- issue 19
def test_sparse_or_long_timestamps_are_refused_before_resampling(live_server: LiveServer) -> None:
    """A 3-frame body with t = [0, 1e6, 2e6] used to ask for a 14 GiB resampling buffer."""
    hand = [[[0.5, 0.5, 0.0]] * 21]
    r = httpx.post(live_server.url + "/v1/predict", headers=KEY,
                   json={"streams": {"right_hand": hand * 3}, "t": [0.0, 1e6, 2e6]})
    assert r.status_code == 422 and "between two frames, over the 60 s limit" in r.json()["detail"]
    r = httpx.post(live_server.url + "/v1/predict", headers=KEY,
                   json={"streams": {"right_hand": hand * 4}, "t": [0.0, 50.0, 100.0, 150.0]})
    assert r.status_code == 413 and "span 150 s, over the 120 s limit" in r.json()["detail"]


def test_a_long_pause_in_a_stream_costs_one_frame_of_work(live_server: LiveServer, hand_clip: tuple) -> None:
    """A jump of t_ms by hours used to keep a server thread resampling for minutes; now the stream restarts."""
    name, frames, _ = hand_clip
    with ws_connect(live_server) as ws:
        t0 = time.monotonic()
        for i, t_ms in enumerate([1, 34, 10_000_000, 10_000_033, 10**12]):
            ws.send(json.dumps({"type": "landmarks", "seq": i, "t_ms": t_ms,
                                "streams": {name: np.round(frames[i], 5).tolist()}}))
            reply = json.loads(ws.recv(timeout=30))
            assert reply["type"] == "frame" and reply["seq"] == i
        assert time.monotonic() - t0 < 10
        ws.send(json.dumps({"type": "landmarks", "t_ms": 10**14, "streams": {}}))
        assert "t_ms" in json.loads(ws.recv(timeout=30))["detail"]
