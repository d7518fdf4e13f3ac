"""What every `gestura` command shares: the two consoles, the error wrapper, the MODEL argument and the
deprecated spellings of renamed options.

The grammar: a command that needs a model takes it as an optional first argument `MODEL` (a model folder, a
profile name in ~/.gestura/profiles, or `default` = the model inside the package). One option name has one
meaning everywhere: `--landmarks mediapipe|cnn` (landmark backend), `--engine torch|onnx` (model engine),
`--executor local|ray` (extraction executor), `--sink keyboard|web|log` (where commands go), `--split` (which
part of `--data` is scored). Old spellings are hidden options that still work for one release and print one
`warning:` line on stderr. Results go to stdout (`out`), diagnostics to stderr (`console`).
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, Optional, TypeVar

import typer
from rich.console import Console

from gestura.errors import ConfigError, GesturaError
from gestura.runtime.profiles import profiles_dir

console = Console(stderr=True)
"""Diagnostics: progress, warnings, errors, 'wrote FILE'."""
out = Console()
"""Results: what a script reads."""

F = TypeVar("F", bound=Callable[..., Any])
T = TypeVar("T")

DEFAULT_MODEL = "default"
"""The MODEL value that names the model packaged inside gestura."""
EMBEDDED_MODEL = Path(__file__).resolve().parents[1] / "assets" / "default"
"""Where the packaged default model lives (inside the installed package; users never type this path)."""

ENGINES = ("torch", "onnx")
"""Model engines (`--engine`)."""
SINKS = ("keyboard", "web", "log", "ws")
"""Where `live` sends commands (`--sink`)."""

ModelArg = Annotated[str, typer.Argument(
    metavar="MODEL", show_default=False,
    help="Model: a model folder, a profile name in ~/.gestura/profiles, or 'default' (the packaged model; the "
         "default).")]
"""The optional positional model every model-taking command starts with."""

ArtifactAlias = Annotated[Optional[Path], typer.Option("--artifact", hidden=True,
                                                       help="Deprecated: give the model as MODEL.")]
"""The old `--artifact PATH` spelling of MODEL (hidden; one release)."""


def friendly_errors(fn: F) -> F:
    """Turn `GesturaError` (and a missing optional dependency) into one line on stderr and exit code 2."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except GesturaError as err:
            console.print(f"[red]error:[/] {err}", highlight=False, soft_wrap=True)
            raise typer.Exit(code=2) from None
        except ModuleNotFoundError as err:
            console.print(f"[red]error:[/] missing dependency {err.name!r}; install gestura[all]",
                          highlight=False)
            raise typer.Exit(code=2) from None

    return wrapper  # type: ignore[return-value]


def warn_deprecated(old: str, new: str) -> None:
    """One line on stderr: `old` still works this release; `new` is the spelling to use."""
    console.print(f"[yellow]warning:[/] {old} is deprecated and goes in the next release; use {new}",
                  highlight=False, soft_wrap=True)


def renamed(old_name: str, new_name: str, old_value: T | None, new_value: T, new_default: T) -> T:
    """The value of an option given under its new name or its deprecated old one (which warns); both is an error."""
    if old_value is None:
        return new_value
    warn_deprecated(old_name, new_name)
    if new_value != new_default and new_value != old_value:
        raise ConfigError(f"{old_name} is the old name of {new_name}; give one of them")
    return old_value


def check_choice(value: str, choices: tuple[str, ...], option: str) -> str:
    """`value` if it is one of `choices`, else one line naming the option and the choices."""
    if value not in choices:
        raise ConfigError(f"{option} must be {'|'.join(choices)}, got {value!r}")
    return value


def model_arg(model: str, artifact: Path | None = None) -> str:
    """MODEL, or the deprecated `--artifact` (which warns); giving both different is an error."""
    if artifact is None:
        return model
    warn_deprecated("--artifact PATH", "the MODEL argument (e.g. `gestura live PATH`)")
    if model != DEFAULT_MODEL and Path(model) != artifact:
        raise ConfigError(f"give the model once: MODEL {model!r} or --artifact {artifact}, not both")
    return str(artifact)


def resolve_model(model: str) -> Path:
    """The model folder MODEL names: `default` -> the packaged model (unless ./default is a model folder), a path,
    or a profile name in ~/.gestura/profiles (`$GESTURA_HOME/profiles`). An unknown name stays a path, so the
    library's own error names it."""
    path = Path(model).expanduser()
    if model == DEFAULT_MODEL and not (path / "model.json").is_file():
        return EMBEDDED_MODEL
    if (path / "model.json").is_file() or os.sep in model or "/" in model:
        return path
    named = profiles_dir() / model
    return named if (named / "model.json").is_file() else path


def is_default(model: str) -> bool:
    """Whether MODEL names the packaged model."""
    return resolve_model(model) == EMBEDDED_MODEL
