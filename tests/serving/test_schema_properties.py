"""Property-based tests (issue 19 item 6) over the HTTP and WebSocket request schemas: any JSON body either is
refused by the schema (the service's one-line 422) or becomes a prediction or one `GesturaError` line, never
another exception."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

hypothesis = pytest.importorskip("hypothesis")
pytest.importorskip("fastapi")
from hypothesis import HealthCheck, example, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from pydantic import ValidationError  # noqa: E402

from gestura.errors import GesturaError  # noqa: E402
from gestura.serving.errors import one_line  # noqa: E402
from gestura.serving.routes.predict import sequence_from_body  # noqa: E402
from gestura.serving.schemas import FrameIn, SequenceIn, ServiceLimits  # noqa: E402

NUM = st.one_of(st.floats(-2, 2, allow_nan=False), st.integers(-2, 2), st.sampled_from(["0.5", True, None, 1e308]))
POINT = st.lists(NUM, min_size=0, max_size=5)
STREAM = st.sampled_from(["right_hand", "left_hand", "pose", "face", "index_tip", "tail"])
SCALAR = st.none() | st.booleans() | st.integers(-10**6, 10**6) | st.floats() | st.text(max_size=4)


@st.composite
def hand_frames(draw: st.DrawFn) -> list[list[list[Any]]]:
    """Mostly well-formed (T, 21, 3) frames with occasional damage, so validation gets past the schema."""
    t = draw(st.integers(0, 4))
    joints = draw(st.sampled_from([21, 21, 21, 20, 1, 33]))
    base = [[[0.5, 0.5, 0.0] for _ in range(joints)] for _ in range(t)]
    for _ in range(draw(st.integers(0, 2))):
        if base:
            i, j = draw(st.integers(0, t - 1)), draw(st.integers(0, joints - 1))
            base[i][j] = draw(POINT)
    return base


@st.composite
def bodies(draw: st.DrawFn) -> Any:
    if draw(st.integers(0, 7)) == 0:
        return draw(st.recursive(SCALAR, lambda x: st.lists(x, max_size=3)
                                 | st.dictionaries(st.text(max_size=4), x, max_size=3), max_leaves=6))
    body: dict[str, Any] = {"streams": {draw(STREAM): draw(hand_frames()) for _ in range(draw(st.integers(0, 2)))}}
    if draw(st.booleans()):
        body["fps"] = draw(SCALAR | st.floats(0.1, 200))
    if draw(st.booleans()):
        body["t"] = draw(st.lists(st.one_of(st.floats(allow_nan=False, allow_infinity=False), st.integers(-3, 10),
                                            st.sampled_from([1e6, 2e6, 59.0, 119.0])), max_size=5))
    if draw(st.booleans()):
        body["present"] = {draw(STREAM): draw(st.lists(st.booleans(), max_size=5))}
    return body


@pytest.fixture(scope="module")
def predictor(tiny_artifact: Path) -> Any:
    from gestura.serving.predictor import ServicePredictor

    return ServicePredictor.create(tiny_artifact)


@settings(max_examples=120, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(bodies())
@example({"\n": None})  # found by this test: a client's key with a newline split the 422 line
@example({"streams": {"right_hand": [[[0.0, 0.0]] + [[0.5, 0.5, 0.0]] * 20]}})
def test_any_predict_body_is_422_or_a_prediction(predictor: Any, body: Any) -> None:
    try:
        req = SequenceIn.model_validate_json(json.dumps(body))
    except ValidationError as err:
        line = one_line(err.errors())
        assert isinstance(line, str) and "\n" not in line
        return
    try:
        seq = sequence_from_body(req)
        assert seq.n_frames > 0
        if seq.t[-1] - seq.t[0] > ServiceLimits().max_sequence_seconds:
            return  # the endpoint answers 413 here
        predictor.predict(seq)  # bounded: span and frame gaps are checked, so resampling is too
    except GesturaError as err:
        assert "\n" not in str(err)


@settings(max_examples=80, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.fixed_dictionaries({"type": st.sampled_from(["landmarks", "landmarks", "reset", "jpeg", "x"]),
                                       "t_ms": st.integers(-5, 10**6) | st.sampled_from([10**7, 10**13, 10**14]) | st.none(),
                                       "streams": st.dictionaries(STREAM, hand_frames().map(lambda f: f[0] if f else
                                                                                            []), max_size=2)}),
                min_size=1, max_size=6))
def test_any_stream_frames_get_a_reply_or_one_error(predictor: Any, frames: list[dict[str, Any]]) -> None:
    """Through the WebSocket session's own handler: schema, time order, pauses, reset, landmarks."""
    import asyncio

    from gestura.serving.routes.stream import StreamSession
    from gestura.serving.metrics import Metrics

    session = StreamSession(predictor, ServiceLimits(), Metrics())

    async def play() -> None:
        for raw in frames:
            try:
                reply = await session._handle(json.dumps(raw), None)
            except GesturaError as err:  # the session sends these back as one error reply
                assert "\n" not in str(err)
                continue
            assert reply.type == "frame"

    asyncio.run(play())
