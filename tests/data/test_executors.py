"""`map_files` bounds its worker count before spawning anything (issue 19 item 1)."""

from __future__ import annotations

import pytest

from gestura.data.executors import map_files
from gestura.errors import ConfigError


@pytest.mark.parametrize("workers, needle", [(0, "0 is out of bounds"), (100_000, "100000 is out of bounds"),
                                             (2.5, "expected a whole number")])
def test_worker_count_is_bounded(workers: float, needle: str) -> None:
    with pytest.raises(ConfigError, match=f"--workers: {needle}"):
        map_files(str, [1, 2], workers=workers, progress=False)  # type: ignore[arg-type]


def test_in_bounds_runs() -> None:
    assert map_files(str, [1, 2], workers=1, progress=False, in_process=True) == ["1", "2"]
