"""The `gestura` command line.

Each command parses its options and calls one library function; heavy imports (torch, mediapipe, fastapi)
happen inside the command so `gestura --help` stays fast. Library errors (`GesturaError`) become one red
line and exit code 2.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, Optional, TypeVar

import typer
from rich.console import Console

from gestura.errors import GesturaError

app = typer.Typer(
    name="gestura",
    help="Turn a camera into an input device: hand gestures and isolated signs from landmarks, on a CPU.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
data_app = typer.Typer(help="Inspect landmark datasets.", no_args_is_help=True)
landmarks_app = typer.Typer(help="gestura's own hand-landmark CNN: build a teacher dataset, train, evaluate.",
                            no_args_is_help=True)
app.add_typer(data_app, name="data")
app.add_typer(landmarks_app, name="landmarks")

console = Console(stderr=True)
out = Console()
F = TypeVar("F", bound=Callable[..., Any])


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


@app.callback()
def _main(
    version: Annotated[bool, typer.Option("--version", help="Print the version and exit.")] = False,
) -> None:
    if version:
        from gestura import __version__

        out.print(f"gestura {__version__}")
        raise typer.Exit()


# ==================================================================== demo (issues 2, 5, 9)
@app.command()
@friendly_errors
def demo(
    seed: Annotated[int, typer.Option(help="Seed of the generated session.")] = 0,
) -> None:
    """Run the embedded default on a generated gesture session (no webcam, no download)."""
    from gestura.demo import run_demo

    run_demo(seed=seed, console=out)


# ==================================================================== extract (issue 2)

# ==================================================================== data (issue 2)

# ==================================================================== features / models (issue 3)

# ==================================================================== train / evaluate / split / tune (issue 4)

# ==================================================================== live / record (issue 5)

# ==================================================================== research: signers / explain (issue 6)

# ==================================================================== export / serve (issue 7)

# ==================================================================== evaluate-stream / enroll (issue 9)

# ==================================================================== landmarks CNN (issue 10)
