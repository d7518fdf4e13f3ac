"""Named profiles: saved where enrolment puts them, listed, resolved by name, removed; names cannot escape."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gestura.errors import ConfigError
from gestura.runtime import profiles


def _make(root: Path, name: str, labels: list[str]) -> Path:
    p = root / name
    p.mkdir(parents=True)
    (p / "model.json").write_text(json.dumps({"labels": labels, "created": "2026-11-30T00:00:00Z",
                                              "meta": {"enrolment": {"method": "probe"}}}))
    return p


def test_profiles_are_listed_resolved_and_removed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GESTURA_HOME", str(tmp_path))
    root = profiles.profiles_dir()
    assert root == tmp_path / "profiles" and profiles.list_profiles() == []
    _make(root, "anna", ["fist", "swiping_left", "unknown"])
    _make(root, "bob", ["fist", "unknown"])
    (root / "not-a-model").mkdir()
    got = profiles.list_profiles()
    assert [p.name for p in got] == ["anna", "bob"]
    assert got[0].gestures == ("fist", "swiping_left") and got[0].method == "probe"
    assert profiles.resolve_profile("anna") == root / "anna"
    assert profiles.resolve_profile(None) is None and profiles.resolve_profile("default") is None
    assert profiles.resolve_profile(str(root / "bob")) == root / "bob"  # a folder path works too
    with pytest.raises(ConfigError, match="profiles: anna, bob"):
        profiles.resolve_profile("carl")
    profiles.remove_profile("bob")
    assert [p.name for p in profiles.list_profiles()] == ["anna"] and not (root / "bob").exists()
    with pytest.raises(ConfigError, match="no profile 'bob'"):
        profiles.remove_profile("bob")


@pytest.mark.parametrize("bad", ["../x", "a/b", "", ".hidden", "x" * 65, ".."])
def test_profile_names_cannot_point_outside_the_folder(bad: str) -> None:
    with pytest.raises(ConfigError, match="profile name"):
        profiles.profile_path(bad)
