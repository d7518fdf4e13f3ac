"""Atomic file writes and safe JSON/array persistence.

Every artifact gestura writes goes through `atomic_write`, so a crash never leaves a half-written file:
data goes to a hidden temp file in the same folder, is fsynced, then renamed over the target.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

import numpy as np

from gestura.errors import InputError


@contextmanager
def atomic_write(path: str | os.PathLike[str], mode: str = "wb") -> Iterator[IO[Any]]:
    """Open a temp file beside `path`; on clean exit fsync it and rename it onto `path`."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, mode) as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def write_text(path: str | os.PathLike[str], text: str) -> None:
    """Write a text file atomically."""
    with atomic_write(path, "w") as f:
        f.write(text)


def read_text(path: str | os.PathLike[str]) -> str:
    """A UTF-8 text file (BOM stripped); a missing, unreadable or binary file is a one-line `InputError`."""
    path = Path(path)
    try:
        return path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise InputError(f"{path}: file not found") from None
    except UnicodeDecodeError:
        raise InputError(f"{path}: not a UTF-8 text file") from None
    except OSError as err:
        raise InputError(f"{path}: cannot read ({err.strerror})") from None


def write_json(path: str | os.PathLike[str], obj: Any) -> None:
    """Write JSON atomically (indented, UTF-8, NaN rejected)."""
    write_text(path, json.dumps(obj, indent=2, allow_nan=False, default=_json_default) + "\n")


def read_json(path: str | os.PathLike[str]) -> Any:
    """Read JSON, turning a missing or malformed file into a one-line `InputError`."""
    path = Path(path)
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(f"{path}: file not found") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise InputError(f"{path}: not valid JSON ({err})") from None


def read_yaml_mapping(path: str | os.PathLike[str], what: str, error: type[Exception] = InputError) -> dict[str, Any]:
    """Read a YAML file that must hold a mapping; missing file, bad YAML or a non-mapping is one line naming it.

    `what` says what the file is ("label map", "decision config", ...); `error` is the exception class to raise.
    """
    import yaml

    path = Path(path)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise error(f"{path}: {what} not found") from None
    except IsADirectoryError:
        raise error(f"{path}: {what} is a folder, expected a YAML file") from None
    except yaml.YAMLError as err:
        raise error(f"{path}: not valid YAML ({str(err).splitlines()[0]})") from None
    except UnicodeDecodeError:
        raise error(f"{path}: {what} is not UTF-8 text") from None
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise error(f"{path}: a {what} must be a mapping, got {type(raw).__name__}")
    return raw


def write_npz(path: str | os.PathLike[str], arrays: Mapping[str, np.ndarray], compressed: bool = True) -> None:
    """Write an .npz atomically; arrays only, never objects (so loading needs no pickle)."""
    save = np.savez_compressed if compressed else np.savez
    with atomic_write(path, "wb") as f:
        save(f, **{k: np.asarray(v) for k, v in arrays.items()})


def read_npz(path: str | os.PathLike[str]) -> dict[str, np.ndarray]:
    """Read every array of an .npz with `allow_pickle=False`; a corrupt file is a one-line `InputError`."""
    path = Path(path)
    try:
        with np.load(path, allow_pickle=False) as data:
            return {k: data[k] for k in data.files}
    except FileNotFoundError:
        raise InputError(f"{path}: file not found") from None
    except Exception as err:  # zipfile.BadZipFile, ValueError (object arrays), OSError ...
        raise InputError(f"{path}: not a readable .npz file ({type(err).__name__}: {err})") from None


def _json_default(obj: Any) -> Any:
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, Path):
        return str(obj)
    raise TypeError(f"not JSON serialisable: {type(obj).__name__}")


def clean_stale_temps(folder: str | os.PathLike[str], recursive: bool = True) -> list[Path]:
    """Remove `.NAME.PID.tmp` files that `atomic_write` left behind when its process was killed (the PID is no
    longer running); temp files of live processes are kept. Returns the removed paths."""
    root = Path(folder)
    if not root.is_dir():
        return []
    removed = []
    for p in root.rglob(".*.tmp") if recursive else root.glob(".*.tmp"):
        parts = p.name.rsplit(".", 2)
        if len(parts) != 3 or not parts[1].isdigit() or not p.is_file():
            continue
        if _pid_alive(int(parts[1])) and int(parts[1]) != os.getpid():
            continue
        p.unlink(missing_ok=True)
        removed.append(p)
    return removed


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def path_inside(folder: str | os.PathLike[str], relative: Any, where: str,
                error: type[Exception] = InputError) -> Path:
    """`folder / relative` for a relative path read from a file in `folder`; an absolute path, `..` or a link
    that resolves outside `folder` is one `error` line naming `where` (the file and field)."""
    if not isinstance(relative, str) or not relative.strip():
        raise error(f"{where}: expected a relative path inside {folder}, got {relative!r}"[:300])
    if Path(relative).is_absolute() or "\\" in relative:
        raise error(f"{where}: {relative!r} is an absolute path; only paths inside {folder} are read")
    root = Path(folder).resolve()
    target = (root / relative).resolve()
    if target != root and root not in target.parents:
        raise error(f"{where}: {relative!r} points outside {folder}; only paths inside it are read")
    return Path(folder) / relative
