"""ONNX export of gestura models and the onnxruntime parity check.

The exported graph takes `x (B, T, F) float32` and `mask (B, T) bool` and returns `logits (B, K)` and
`proba (B, K)` (softmax), with the batch axis always dynamic and the time axis dynamic where the model allows.
The exporter is tried in order: the dynamo exporter (torch.export, the torch 2.13 default) with dynamic batch
and time, the TorchScript exporter (`dynamo=False`, `dynamic_axes`) with dynamic batch and time, then both with
dynamic batch only. Each attempt is verified under onnxruntime against PyTorch at a batch size and a window
length different from the traced ones, so a graph that silently baked in a shape is never kept. The path taken
is recorded in the ONNX metadata (`gestura.exporter`, `gestura.dynamic_time`) and in `ExportReport`.

While it is traced the model runs its own export path (`GesturaModel.exporting()`: e.g. `MaskedLSTM` swaps packed
sequences for mask-based recurrence); the parity checks compare with its ordinary torch path on inputs whose
padded frames hold NaN, so both paths must treat padding the same way.
"""

from __future__ import annotations

import io
import json
import logging
import os
import re
import shutil
import warnings
from contextlib import AbstractContextManager, nullcontext, redirect_stderr, redirect_stdout
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from gestura.artifact import CARD, META, WEIGHTS, ModelBundle, read_model_json
from gestura.artifact.onnx import INPUT_NAMES, ONNX_FILE, REPORT_FILE, load_onnx, session
from gestura.errors import ConfigError, GesturaError, ModelFileError
from gestura.io import atomic_write, write_json

__all__ = ["ExportReport", "ParityReport", "check_parity", "export_onnx", "load_onnx"]

if TYPE_CHECKING:
    import onnxruntime as ort
    import torch

OUTPUT_NAMES = ("logits", "proba")
DEFAULT_OPSET = 18
PARITY_ATOL = 1e-4
TORCHSCRIPT_MAX_OPSET = 17


@dataclass(frozen=True)
class ExportReport:
    """What `export_onnx` did: the file, the exporter path that worked, which axes are dynamic, parity."""

    path: Path
    model: str
    exporter: str  # "dynamo" | "torchscript"
    dynamic_time: bool
    opset: int
    max_abs_diff: float
    attempts: tuple[str, ...]  # one line per failed attempt, for the log

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["path"] = str(self.path)
        d["attempts"] = list(self.attempts)
        return d


@dataclass(frozen=True)
class ParityReport:
    """onnxruntime vs PyTorch on the same inputs: the largest absolute difference of logits and probabilities."""

    max_abs_diff: float
    atol: float
    shape: tuple[int, ...]

    @property
    def ok(self) -> bool:
        return self.max_abs_diff <= self.atol


class _Exportable:
    """Wraps a gestura model as `(x, mask) -> (logits, proba)` for the exporter (built lazily: torch import)."""

    @staticmethod
    def wrap(model: torch.nn.Module) -> torch.nn.Module:
        import torch

        class Wrapped(torch.nn.Module):
            def __init__(self, inner: torch.nn.Module) -> None:
                super().__init__()
                self.inner = inner

            def forward(self, x: torch.Tensor, mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
                logits = self.inner(x, mask)
                return logits, torch.softmax(logits, dim=-1)

        return Wrapped(model).eval()


def _export_mode(model: torch.nn.Module) -> AbstractContextManager[Any]:
    """The model's own export switch (`GesturaModel.exporting`: packed LSTMs become padded, mask-based ones);
    a plain `nn.Module` exports as it is."""
    hook = getattr(model, "exporting", None)
    return hook() if callable(hook) else nullcontext()


def export_onnx(
    bundle_or_model: Any,
    out_dir: str | os.PathLike[str],
    *,
    opset: int = DEFAULT_OPSET,
    window: int | None = None,
    input_dim: int | None = None,
    atol: float = PARITY_ATOL,
    seed: int = 0,
) -> ExportReport:
    """Export an artifact folder, a `ModelBundle` or a registered `nn.Module` to `out_dir/model.onnx`.

    For an artifact folder, `model.json` (and `model.safetensors`, `README.md`) are copied beside the ONNX file, so
    `out_dir` is itself a complete artifact for both engines; a `ModelBundle` is saved there with `bundle.save`.
    `window`/`input_dim` default to the bundle's window and the model's `input_dim`. Raises `ModelFileError` when no
    exporter path produces a graph that matches PyTorch within `atol`.
    """
    import torch

    out = Path(out_dir)
    if isinstance(bundle_or_model, (str, os.PathLike)):
        _check_out(Path(bundle_or_model), out)
    out.mkdir(parents=True, exist_ok=True)
    model, win, src_dir, bundle = _resolve(bundle_or_model)
    win = window or win or 32
    name = getattr(model, "registry_name", type(model).__name__)
    feat_dim = input_dim or _input_dim(model)
    model = model.eval()
    wrapped = _Exportable.wrap(model)
    rng = np.random.default_rng(seed)
    trace_x, trace_m = _example(rng, 2, win, feat_dim)
    checks_fixed = [_example(rng, 3, win, feat_dim), _example(rng, 2, win, feat_dim, full_row=False)]
    checks_time = [_example(rng, 3, max(2, win // 2 + 3), feat_dim), _example(rng, 2, win + 7, feat_dim)]

    attempts: list[str] = []
    target = out / ONNX_FILE
    for exporter, dyn_time in _plan(model):
        tmp = out / f".{ONNX_FILE}.{os.getpid()}.try"
        try:
            with _export_mode(model):
                _export_once(wrapped, (trace_x, trace_m), tmp, exporter=exporter, dynamic_time=dyn_time,
                             opset=opset)
            sess = session(tmp)
            worst = max(check_parity(model, sess, cx, cm, atol=atol).max_abs_diff
                        for cx, cm in checks_fixed + (checks_time if dyn_time else []))
            if not worst <= atol:
                raise ValueError(f"parity {worst:.2e} > atol {atol:g}")
        except Exception as err:  # exporter failures are many and untyped; each one is recorded and the next tried
            text = re.sub(r"\x1b\[[0-9;]*m", "", str(err)).strip()
            msg = text.splitlines()[0][:200] if text else type(err).__name__
            attempts.append(f"{exporter}/{'batch+time' if dyn_time else 'batch'}: {type(err).__name__}: {msg}")
            Path(tmp).unlink(missing_ok=True)
            continue
        _copy_sidecars(src_dir, bundle, out)  # first: saving a bundle removes a stale model.onnx there
        sha = _weights_sha(out) if (src_dir is not None or bundle is not None) else ""
        _stamp(tmp, name=name, exporter=exporter, dynamic_time=dyn_time, window=win, input_dim=feat_dim,
               weights_sha256=sha)
        os.replace(tmp, target)
        used_opset = opset if exporter == "dynamo" else min(opset, TORCHSCRIPT_MAX_OPSET)
        report = ExportReport(path=target, model=name, exporter=exporter, dynamic_time=dyn_time, opset=used_opset,
                              max_abs_diff=float(worst), attempts=tuple(attempts))
        write_json(out / REPORT_FILE, {**report.to_dict(), "weights_sha256": sha})
        return report
    raise ModelFileError(f"{out / ONNX_FILE}: could not export model {name!r} to ONNX; " + " | ".join(attempts))


def check_parity(
    model: torch.nn.Module,
    onnx: str | os.PathLike[str] | ort.InferenceSession,
    x: np.ndarray,
    mask: np.ndarray | None = None,
    *,
    atol: float = PARITY_ATOL,
) -> ParityReport:
    """Run the same `x (B, T, F)`, `mask (B, T)` through PyTorch and onnxruntime; compare logits and proba."""
    import torch

    x = np.ascontiguousarray(x, dtype=np.float32)
    mask = np.ones(x.shape[:2], dtype=bool) if mask is None else np.ascontiguousarray(mask, dtype=bool)
    sess = onnx if not isinstance(onnx, (str, os.PathLike)) else session(Path(onnx))
    with torch.inference_mode():
        ref = model.eval()(torch.from_numpy(x), torch.from_numpy(mask)).float()
        ref_p = torch.softmax(ref, dim=-1)
    logits, proba = sess.run(list(OUTPUT_NAMES), {"x": x, "mask": mask})
    diff = max(float(np.max(np.abs(logits - ref.numpy()))), float(np.max(np.abs(proba - ref_p.numpy()))))
    if not np.isfinite(diff):
        diff = float("inf")
    return ParityReport(max_abs_diff=diff, atol=atol, shape=tuple(logits.shape))


# ---------------------------------------------------------------------------------------------- helpers
def _resolve(obj: Any) -> tuple[torch.nn.Module, int | None, Path | None, Any]:
    """-> (model, window, source folder, bundle)."""
    import torch

    if isinstance(obj, (str, os.PathLike)):
        src = Path(obj)
        if not (src / META).is_file():
            raise ModelFileError(f"{src}: not a gestura artifact (no {META})")
        bundle = ModelBundle.load(src)
        return _torch_model(bundle, src), getattr(bundle, "window", None), src, None
    if isinstance(obj, torch.nn.Module):
        return obj, None, None, None
    if hasattr(obj, "model") and hasattr(obj, "save"):
        return _torch_model(obj, None), getattr(obj, "window", None), None, obj
    raise ConfigError(f"cannot export {type(obj).__name__}: expected an artifact folder, ModelBundle or nn.Module")


def _torch_model(bundle: Any, src: Path | None) -> torch.nn.Module:
    import torch

    model = getattr(bundle, "model", None)
    if not isinstance(model, torch.nn.Module):
        where = src or "bundle"
        raise ConfigError(f"{where}: model {type(model).__name__} is not a torch module; only neural models export "
                          "to ONNX (the XGBoost stack stays a Python model)")
    return model


def _input_dim(model: torch.nn.Module) -> int:
    cfg = getattr(model, "cfg", None)
    dim = getattr(cfg, "input_dim", None)
    if not isinstance(dim, int):
        raise ConfigError(f"{type(model).__name__}: cannot tell the feature dim; pass input_dim=")
    return dim


def _example(rng: np.random.Generator, b: int, t: int, f: int, *, full_row: bool = True) -> tuple[Any, Any]:
    """Random features and a mask with left padding (the way ring buffers fill): the first row full when
    `full_row`, the others (all of them otherwise) missing 1 to t/3 leading frames, which hold NaN."""
    import torch

    x = rng.standard_normal((b, t, f)).astype(np.float32)
    mask = np.ones((b, t), dtype=bool)
    for i in range(1 if full_row else 0, b):
        mask[i, : int(rng.integers(1, max(2, t // 3)))] = False
    x[~mask] = np.nan
    return torch.from_numpy(x), torch.from_numpy(mask)


def _plan(model: torch.nn.Module) -> list[tuple[str, bool]]:
    """Exporter attempts in order. torch.export (torch 2.13) specialises the time axis of `aten.lstm` (and the
    dynamo exporter is 10-50x slower), so models with an LSTM go to the TorchScript exporter first; everything
    else starts with the dynamo default."""
    import torch

    if any(isinstance(m, torch.nn.LSTM) for m in model.modules()):
        return [("torchscript", True), ("torchscript", False), ("dynamo", True), ("dynamo", False)]
    return [("dynamo", True), ("torchscript", True), ("dynamo", False), ("torchscript", False)]


def _export_once(wrapped: torch.nn.Module, args: tuple[Any, Any], path: Path, *, exporter: str,
                 dynamic_time: bool, opset: int) -> None:
    import torch

    sink = io.StringIO()
    torch_log = logging.getLogger("torch")
    level = torch_log.level
    torch_log.setLevel(logging.ERROR)  # the exporters log warnings (torchvision ops, symbolic shapes) by default
    try:
        _run_exporter(wrapped, args, path, exporter=exporter, dynamic_time=dynamic_time, opset=opset, sink=sink)
    finally:
        torch_log.setLevel(level)
    if not path.is_file():
        raise RuntimeError("exporter wrote no file")


def _run_exporter(wrapped: torch.nn.Module, args: tuple[Any, Any], path: Path, *, exporter: str,
                  dynamic_time: bool, opset: int, sink: io.StringIO) -> None:
    import torch

    with warnings.catch_warnings(), redirect_stdout(sink), redirect_stderr(sink):
        warnings.simplefilter("ignore")
        if exporter == "dynamo":
            from torch.export import Dim

            batch = Dim("batch", min=1, max=4096)
            axes: dict[int, Any] = {0: batch}
            if dynamic_time:
                axes[1] = Dim("time", min=2, max=4096)
            prog = torch.onnx.export(wrapped, args, dynamo=True, opset_version=opset, external_data=False,
                                     input_names=list(INPUT_NAMES), output_names=list(OUTPUT_NAMES),
                                     dynamic_shapes={"x": axes, "mask": dict(axes)}, optimize=True)
            if prog is None:
                raise RuntimeError("dynamo exporter returned no program")
            prog.save(str(path), external_data=False)
        else:
            dyn = {0: "batch", 1: "time"} if dynamic_time else {0: "batch"}
            torch.onnx.export(wrapped, args, str(path), dynamo=False,
                              opset_version=min(opset, TORCHSCRIPT_MAX_OPSET),
                              input_names=list(INPUT_NAMES), output_names=list(OUTPUT_NAMES),
                              dynamic_axes={"x": dyn, "mask": dyn, "logits": {0: "batch"}, "proba": {0: "batch"}})


def _stamp(path: Path, **meta: Any) -> None:
    import onnx

    proto = onnx.load(str(path))
    for key, value in meta.items():
        entry = proto.metadata_props.add()
        entry.key = f"gestura.{key}"
        entry.value = json.dumps(value) if not isinstance(value, str) else value
    with atomic_write(path, "wb") as f:
        f.write(proto.SerializeToString())


def _check_out(src: Path, out: Path) -> None:
    """Exporting into the artifact's own folder only adds `model.onnx`; an `--out` that holds another model
    (other weights) would lose it, so it is refused before anything is written."""
    if out.exists() and not out.is_dir():
        raise ConfigError(f"--out {out}: exists and is not a folder")
    if not (out / META).is_file() or out.resolve() == src.resolve():
        return
    theirs, ours = _weights_sha(out), _weights_sha(src)
    if theirs != ours or not ours:
        raise ConfigError(f"--out {out}: already holds another model (other weights); export into an empty "
                          "folder or into the artifact's own folder")


def _weights_sha(folder: Path) -> str:
    """The weights checksum `model.json` in `folder` records ("" when there is none)."""
    try:
        doc = read_model_json(folder)
        return str(doc["weights"]["sha256"])
    except (GesturaError, KeyError, TypeError):
        return ""


def _copy_sidecars(src_dir: Path | None, bundle: Any, out: Path) -> None:
    if bundle is not None:
        bundle.save(out)
        return
    if src_dir is None or src_dir.resolve() == out.resolve():
        return
    read_model_json(src_dir)  # a malformed model.json is an error here, not a bad export folder later
    for fname in (META, WEIGHTS, CARD):
        if (src_dir / fname).is_file():
            with atomic_write(out / fname, "wb") as f, open(src_dir / fname, "rb") as src:
                shutil.copyfileobj(src, f)
