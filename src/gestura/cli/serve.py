"""Commands that ship a model: `export` (ONNX) and `serve` (HTTP/WebSocket)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from gestura.cli.options import DEFAULT_MODEL, ENGINES, ModelArg, check_choice, console, friendly_errors, out, \
    resolve_model

@friendly_errors
def export(
    model: ModelArg = DEFAULT_MODEL,
    format: Annotated[str, typer.Option("--format", help="Export format (onnx).")] = "onnx",
    out_dir: Annotated[Path, typer.Option("--out", help="Output folder (model.onnx + model.json).")] = Path("export"),
    opset: Annotated[int, typer.Option(help="ONNX opset for the dynamo exporter.")] = 18,
) -> None:
    """Export a model to ONNX (dynamic batch, and time where the model allows) and check parity."""
    from gestura.serving.export import export_onnx

    check_choice(format, ("onnx",), "--format")
    report = export_onnx(resolve_model(model), out_dir, opset=opset)
    axes = "batch+time" if report.dynamic_time else "batch"
    out.print(f"wrote {report.path} ({report.model}, exporter={report.exporter}, dynamic {axes}, "
              f"max |onnx - torch| = {report.max_abs_diff:.1e})")


@friendly_errors
def serve(
    model: ModelArg = DEFAULT_MODEL,
    host: Annotated[str, typer.Option(help="Interface to bind.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.")] = 8000,
    api_key: Annotated[Optional[str], typer.Option("--api-key", envvar="GESTURA_API_KEY",
                                                   help="Require this key (X-API-Key header / ?api_key=).")] = None,
    engine: Annotated[str, typer.Option(help="Model engine: torch | onnx.")] = "torch",
    threads: Annotated[int, typer.Option(help="Compute threads for the model.")] = 1,
) -> None:
    """Run the HTTP/WebSocket service and the browser demo (FastAPI + uvicorn)."""
    from gestura.serving.launch import serve as run_serve

    check_choice(engine, ENGINES, "--engine")
    if threads > 0:
        import torch

        torch.set_num_threads(threads)
    run_serve(resolve_model(model), host=host, port=port, api_key=api_key, engine=engine,
              say=lambda m: console.print(m, highlight=False, soft_wrap=True))
