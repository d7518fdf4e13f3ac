"""Run folders that cannot be lost: created or resumed, never silently overwritten.

`open_run_dir` is called by `train_run` after every input check passed and before anything is written:
an existing folder that already holds a run is refused unless `resume` (continue it: the data fingerprint,
labels and model spec recorded in its `run.json` must match, and the message says which differs) or
`overwrite` (its run files are removed first; other files in the folder are left alone). Stale temp files of
killed writers are removed on start.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from datetime import datetime
from pathlib import Path
from typing import Any

from gestura.errors import ConfigError, InputError
from gestura.io import clean_stale_temps, read_json, write_json

RUN_FILE = "run.json"
RUN_ENTRIES = ("config.yaml", "splits.json", RUN_FILE, "metrics.csv", "metrics.json", "plots", "checkpoints",
               "model")
"""What a training run writes into its folder (and what `overwrite` removes)."""


def planned_run_dir(cfg: Any) -> Path:
    """`cfg.out_dir` if set, else `runs/<name>-<YYYYmmdd-HHMMSS>/` (not created)."""
    if cfg.out_dir:
        return Path(cfg.out_dir)
    return Path("runs") / f"{cfg.name}-{datetime.now().strftime('%Y%m%d-%H%M%S')}"


def run_fingerprint(prep: Any, cfg: Any) -> dict[str, Any]:
    """What a resumed run must share with the checkpoint: data (ids, lengths, labels), labels, model spec."""
    h = hashlib.sha256()
    for s in sorted(prep.dataset.sequences, key=lambda s: str(s.video_id)):
        h.update(f"{s.video_id}\t{getattr(s, 'n_frames', '')}\t{s.label}\n".encode())
    return {"data": {"sha256": h.hexdigest(), "path": str(cfg.data.path), "n_sequences": len(prep.dataset)},
            "labels": list(prep.labels),
            "model": {"name": cfg.model.name, "params": cfg.model.params, "features": prep.pipeline.to_dict(),
                      "window": int(prep.window), "init_from": cfg.transfer.init_from}}


def check_run_dir(d: Path, cfg: Any, fingerprint: dict[str, Any]) -> None:
    """Refuse a folder that holds a run unless resuming a matching run or overwriting; nothing is written."""
    if d.exists() and not d.is_dir():
        raise ConfigError(f"--out {d}: exists and is not a folder")
    used = [n for n in RUN_ENTRIES if (d / n).exists()]
    if cfg.resume:
        if not (d / "checkpoints" / "last.pt").is_file():
            raise InputError(f"{d / 'checkpoints' / 'last.pt'}: nothing to resume (no earlier run in {d})")
        _check_same_run(d, fingerprint)
        return
    if used and not getattr(cfg, "overwrite", False):
        raise ConfigError(f"--out {d}: already holds a run ({', '.join(used[:3])}); pass --resume to continue it "
                          "or --overwrite to replace it")


def open_run_dir(d: Path, cfg: Any, fingerprint: dict[str, Any]) -> Path:
    """Create (or, after `check_run_dir`, reuse) the run folder: stale temps cleaned, old run files removed
    with `overwrite`, `run.json` written for a fresh run."""
    d.mkdir(parents=True, exist_ok=True)
    clean_stale_temps(d)
    if not cfg.resume:
        if getattr(cfg, "overwrite", False):
            for name in RUN_ENTRIES:
                p = d / name
                if p.is_dir():
                    shutil.rmtree(p)
                elif p.exists():
                    p.unlink()
        write_json(d / RUN_FILE, fingerprint)
    (d / "plots").mkdir(exist_ok=True)
    return d


def _check_same_run(d: Path, now: dict[str, Any]) -> None:
    path = d / RUN_FILE
    if not path.is_file():
        return  # a run from before run.json: the checkpoint itself is checked when it is restored
    was = read_json(path)
    if not isinstance(was, dict):
        raise InputError(f"{path}: not a run record")
    if was.get("labels") != now["labels"]:
        gone = sorted(set(was.get("labels") or []) - set(now["labels"]))[:5]
        added = sorted(set(now["labels"]) - set(was.get("labels") or []))[:5]
        raise ConfigError(f"--resume: the labels differ from the checkpoint's (missing {gone}, new {added})")
    om, nm = was.get("model") or {}, now["model"]
    for key in ("name", "params", "features", "window", "init_from"):
        if json.dumps(om.get(key), sort_keys=True) != json.dumps(nm.get(key), sort_keys=True):
            raise ConfigError(f"--resume: the model spec differs from the checkpoint's ({key}: "
                              f"{om.get(key)!r} vs {nm.get(key)!r})"[:300])
    old, new = was.get("data") or {}, now["data"]
    if old.get("sha256") != new["sha256"]:
        raise ConfigError(f"--resume: the data differs from the run's ({new['path']}, {new['n_sequences']} "
                          f"sequences vs {old.get('path')}, {old.get('n_sequences')} sequences; fingerprint "
                          f"{str(old.get('sha256'))[:12]} vs {new['sha256'][:12]})")
