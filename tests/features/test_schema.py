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
