"""Schema registry and the exact feature-schema-v1 block layout."""

from __future__ import annotations

import pytest

from gestura.errors import ConfigError
from gestura.features.schema import SCHEMAS, get_schema


def test_v1_block_layout_is_exactly_the_issue_layout() -> None:
    s = get_schema("feature-schema-v1")
    assert s.dim == 147
    want = {"position": (0, 63), "fingertip_spread": (63, 68), "wrist_trajectory": (68, 71),
            "velocity": (71, 134), "joint_angles": (134, 144), "wrist_vel_raw": (144, 147)}
    assert {k: (v.start, v.stop) for k, v in s.blocks.items()} == want


@pytest.mark.parametrize("sid", sorted(SCHEMAS))
def test_blocks_tile_the_frame(sid: str) -> None:
    s = SCHEMAS[sid]
    cols = sorted((b.start, b.stop) for b in s.blocks.values())
    assert cols[0][0] == 0 and cols[-1][1] == s.dim
    assert all(a[1] == b[0] for a, b in zip(cols, cols[1:]))


def test_holistic_raw_is_1662() -> None:
    assert get_schema("holistic-raw-v1").dim == 1662


def test_unknown_schema_and_block_are_config_errors() -> None:
    with pytest.raises(ConfigError, match="unknown feature schema"):
        get_schema("feature-schema-v9")
    with pytest.raises(ConfigError, match="no block"):
        get_schema("feature-schema-v1").block("nope")


def test_every_schema_names_the_landmark_streams_it_reads() -> None:
    """What a client must send (`/healthz` lists it): the sign schemas read the pose, the hand schemas do not."""
    from gestura.features.schema import get_schema

    assert get_schema("sign-multimodal-v1").streams == ("pose", "left_hand", "right_hand")
    assert get_schema("sign-multimodal-v2").streams == ("pose", "left_hand", "right_hand")
    assert get_schema("holistic-raw-v1").streams == ("pose", "face", "left_hand", "right_hand")
    assert "pose" in get_schema("joints-upper-body-v1").streams
    for sid in ("feature-schema-v1", "feature-schema-v2", "joints-hand-v1"):
        assert get_schema(sid).streams == ("left_hand", "right_hand")
