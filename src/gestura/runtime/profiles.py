"""Named personal models ("profiles"): where `gestura enroll --name NAME` saves them and MODEL = NAME finds them.

A profile is an ordinary model folder (model.json + weights) under `profiles_dir()`, which is
`$GESTURA_HOME/profiles` (default `~/.gestura/profiles`). Names are plain (letters, digits, `-`, `_`, `.`), so a
name can never point outside the folder.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

from gestura.errors import ConfigError

NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


def profiles_dir() -> Path:
    """The folder that holds the profiles (read from `GESTURA_HOME` at each call, so tests can redirect it)."""
    return Path(os.environ.get("GESTURA_HOME", Path.home() / ".gestura")) / "profiles"


def check_name(name: str) -> str:
    """`name` if it is a valid profile name, else a one-line `ConfigError`."""
    if not NAME_RE.match(str(name)) or str(name) in (".", ".."):
        raise ConfigError(f"profile name {name!r}: use letters, digits, '-', '_' or '.' (at most 64, no '/')")
    return str(name)


@dataclass(frozen=True)
class ProfileInfo:
    """One saved profile: its name, folder, gestures and how it was made."""

    name: str
    path: Path
    gestures: tuple[str, ...]
    created: str
    method: str


def list_profiles(folder: Path | None = None) -> list[ProfileInfo]:
    """Every profile in `folder` (default `profiles_dir()`), by name; unreadable folders are skipped."""
    root = folder or profiles_dir()
    out: list[ProfileInfo] = []
    if not root.is_dir():
        return out
    for p in sorted(root.iterdir()):
        spec = p / "model.json"
        if not spec.is_file():
            continue
        try:
            meta = json.loads(spec.read_text())
        except (OSError, ValueError):
            continue
        enrol = (meta.get("meta") or {}).get("enrolment") or {}
        labels = tuple(lb for lb in meta.get("labels", []) if lb != "unknown")
        out.append(ProfileInfo(p.name, p, labels, str(meta.get("created", "")), str(enrol.get("method", ""))))
    return out


def profile_path(name: str, folder: Path | None = None) -> Path:
    """Where profile `name` lives (whether or not it exists yet)."""
    return (folder or profiles_dir()) / check_name(name)


def resolve_profile(profile: str | None, folder: Path | None = None) -> Path | None:
    """MODEL: None/"default" = the embedded model; a model folder path; or a profile name in `profiles_dir()`."""
    if profile in (None, "default"):
        return None
    root = folder or profiles_dir()
    path = Path(str(profile)).expanduser()
    if (path / "model.json").is_file():
        return path
    named = root / str(profile)
    if NAME_RE.match(str(profile)) and (named / "model.json").is_file():
        return named
    have = [p.name for p in list_profiles(root)]
    raise ConfigError(f"model {profile!r}: no model folder there nor in {root} (profiles: "
                      f"{', '.join(have) or 'none yet; make one with gestura enroll --name NAME'})")


def remove_profile(name: str, folder: Path | None = None) -> Path:
    """Delete profile `name`; a one-line `ConfigError` when there is none."""
    path = profile_path(name, folder)
    if not (path / "model.json").is_file():
        have = [p.name for p in list_profiles(folder)]
        raise ConfigError(f"no profile {name!r} in {path.parent} (profiles: {', '.join(have) or 'none'})")
    shutil.rmtree(path)
    return path


__all__ = ["ProfileInfo", "check_name", "list_profiles", "profile_path", "profiles_dir", "remove_profile",
           "resolve_profile"]
