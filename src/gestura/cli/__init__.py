"""The `gestura` command line.

Each command parses its options and calls one library function; heavy imports (torch, mediapipe, fastapi)
happen inside the command so `gestura --help` stays fast. Library errors (`GesturaError`) become one red
line and exit code 2. The shared grammar (MODEL argument, option names, deprecated spellings, stdout/stderr)
is in `gestura.cli.options`; the commands live in one module per group.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

import typer

from gestura.cli import data, evaluate, landmarks, live, serve, train
from gestura.cli.options import out

app = typer.Typer(
    name="gestura",
    help="Turn a camera into an input device: hand gestures and isolated signs from landmarks, on a CPU.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _print_version(value: bool) -> None:
    if value:
        from gestura import __version__

        out.print(f"gestura {__version__}", highlight=False)
        raise typer.Exit()


@app.callback()
def _main(
    ctx: typer.Context,
    version: Annotated[bool, typer.Option("--version", callback=_print_version, is_eager=True,
                                          help="Print the version and exit.")] = False,
    verbose: Annotated[bool, typer.Option("--verbose", help="Keep MediaPipe's native INFO/WARNING log lines "
                                          "(hidden by default).")] = False,
) -> None:
    if not verbose:
        from gestura.native_logs import quiet_native_logs

        filt = quiet_native_logs()
        if filt is not None:
            ctx.call_on_close(filt.restore)


_COMMANDS: list[tuple[Callable[..., Any], str]] = [
    (live.demo, "demo"), (live.present, "present"), (live.live, "live"), (live.enroll, "enroll"),
    (live.record, "record"),
    (data.extract, "extract"),
    (train.train, "train"), (train.split, "split"), (train.tune, "tune"),
    (evaluate.evaluate, "evaluate"), (evaluate.evaluate_stream, "evaluate-stream"),
    (evaluate.explain, "explain"), (evaluate.signers, "signers"),
    (serve.export, "export"), (serve.serve, "serve"),
    (train.train_variations, "train-variations"),
]
for _fn, _name in _COMMANDS:
    app.command(_name)(_fn)
app.add_typer(data.data_app, name="data")
app.add_typer(landmarks.landmarks_app, name="landmarks")
app.add_typer(live.profiles_app, name="profiles")


def main() -> None:
    """Console-script entry point (`gestura ...`)."""
    app(prog_name="gestura")


__all__ = ["app", "main"]
