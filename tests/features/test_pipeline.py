"""FeaturePipeline: parameters, JSON round trip, windows finalised one by one, streaming == offline everywhere."""

from __future__ import annotations

import json

import numpy as np
import pytest

from gestura.errors import ConfigError, SchemaError
from gestura.features.pipeline import FeaturePipeline
from gestura.features.schema import SCHEMAS
from gestura.landmarks.sequence import LandmarkSequence


def _holistic(make_hand, n: int = 20) -> LandmarkSequence:
    rng = np.random.default_rng(3)
    pose = rng.uniform(0.3, 0.7, (n, 33, 4)).astype(np.float32)
    face = rng.uniform(0.4, 0.6, (n, 468, 3)).astype(np.float32)
    return LandmarkSequence.from_arrays({"pose": pose, "face": face, "left_hand": make_hand(1, n, start=(0.7, 0.6)),
                                         "right_hand": make_hand(2, n, start=(0.3, 0.6))}, 30.0)


def _tip(n: int = 16) -> LandmarkSequence:
    rng = np.random.default_rng(4)
    xy = np.cumsum(rng.normal(0, 0.02, (n, 1, 2)), axis=0).astype(np.float32)
    xy -= xy[0]
    xy[5] = 0.0
    return LandmarkSequence.from_arrays({"index_tip": xy}, 30.0, present={"index_tip": np.ones(n, bool)},
                                        attrs={"image_size": (960, 540)})


@pytest.mark.parametrize("schema", sorted(SCHEMAS))
def test_every_schema_streams_like_offline_and_round_trips(schema: str, make_hand) -> None:
    seq = _tip() if schema.startswith("fingertip") else _holistic(make_hand)
    pipe = FeaturePipeline(schema)
    d = json.loads(json.dumps(pipe.to_dict()))
    assert FeaturePipeline.from_dict(d) == pipe and d["dim"] == pipe.dim
    f, v = pipe.transform(seq)
    assert f.shape == (seq.n_frames, pipe.dim) and np.isfinite(f).all() and v.any()
    off, _ = pipe.frame_features(seq)
    end = seq.n_frames
    part, _ = pipe.frame_features(seq.slice(max(0, end - 1 - pipe.context), end))
    np.testing.assert_array_equal(part[-1], off[-1])


def test_unknown_or_bad_params_are_config_errors() -> None:
    with pytest.raises(ConfigError, match="unknown parameter"):
        FeaturePipeline("feature-schema-v1", {"mirrorleft": True})
    with pytest.raises(ConfigError, match="hand must be"):
        FeaturePipeline("feature-schema-v1", {"hand": "both"})
    with pytest.raises(ConfigError, match="unknown feature schema"):
        FeaturePipeline("nope-v1")
    with pytest.raises(SchemaError, match="stored dim"):
        FeaturePipeline.from_dict({"schema": "feature-schema-v1", "params": {}, "dim": 63})
    with pytest.raises(SchemaError):
        FeaturePipeline().window_features(np.zeros((4, 10)), np.ones(4, bool))


def test_windows_are_finalised_each_from_their_own_start(make_hand) -> None:
    h = make_hand(5, 40, move=(0.3, 0.0))
    seq = LandmarkSequence.from_arrays({"right_hand": h}, 30.0)
    pipe = FeaturePipeline()
    x, valid, starts = pipe.windows(seq, 16, 8)
    traj = pipe.spec.blocks["wrist_trajectory"]
    assert x.shape == (4, 16, 147) and valid.all() and list(starts) == [0, 8, 16, 24]
    assert np.allclose(x[:, 0, traj], 0.0)
    assert np.all(x[:, -1, traj][:, 0] > 0.5)
    short, vmask, _ = pipe.windows(seq.slice(0, 10), 16, 8)
    assert short.shape == (1, 16, 147) and vmask[0, :10].all() and not vmask[0, 10:].any()


def test_pipeline_is_frozen_and_hashable() -> None:
    pipe = FeaturePipeline("feature-schema-v1", {"smooth": 2})
    assert pipe.context == 2 and hash(pipe) == hash(FeaturePipeline("feature-schema-v1", {"smooth": 2}))
    with pytest.raises(AttributeError):
        pipe.schema = "holistic-raw-v1"  # type: ignore[misc]


def test_bad_value_types_are_config_errors() -> None:
    with pytest.raises(ConfigError, match="velocity_unit|bad parameter"):
        FeaturePipeline("feature-schema-v1", {"velocity_unit": "fast"})
    with pytest.raises(ConfigError, match="mirror_left"):
        FeaturePipeline("feature-schema-v1", {"mirror_left": "yes"})
    with pytest.raises(ConfigError, match="smooth_window"):
        FeaturePipeline("sign-multimodal-v1", {"smooth_window": 2})
    with pytest.raises(ConfigError):
        FeaturePipeline.from_dict({"params": {}})
