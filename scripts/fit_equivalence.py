"""One-off check: the one training loop (`gestura.training.trainer.fit`/`finetune`) against the loops it replaced.

    nice .venv/bin/python scripts/fit_equivalence.py [--old COMMIT]     # default: the commit before `fit`

Exports the old commit's `src/` into a temporary folder, runs the same tiny jobs on a generated dataset with
the old code and with this checkout (each in its own process, one torch thread), and prints the largest absolute
difference of every per-epoch number. Jobs: the lstm through the old `trainer.fit` vs `fit`; `fit_clips` (the
presentation recipe's trainer); enrolment fine-tuning (`fit_clips(init=...)` vs `finetune`); the sign
variations' private loop vs `fit` (not expected to match bit for bit: the loop now re-seeds torch per epoch and
the DataLoader draws one number from the shuffling generator per epoch); the landmark CNN's private loop vs
`fit` on fake teacher crops.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tarfile
import tempfile
from io import BytesIO
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OLD_COMMIT = "67e39d4"

JOB = r'''
import json, sys
import numpy as np, torch
torch.set_num_threads(1)
side, job = sys.argv[1], sys.argv[2]
out = {}

def clips_and_labels(seed=0, subject="a"):
    from gestura.data.streams import StreamWindowConfig, cut_stream_windows
    from gestura.data.synthetic import SubjectStyle, make_session
    script = ["swiping_left", "swiping_right", "fist"] * 3
    clips = cut_stream_windows(make_session(script, SubjectStyle(subject=subject), seed=seed, fps=30.0),
                               StreamWindowConfig(stride_s=0.2))
    return clips, sorted({str(c.label) for c in clips})

if job == "trainer":
    from torch.utils.data import DataLoader, TensorDataset
    from gestura.models import create_model
    g = np.random.default_rng(0)
    y = g.integers(0, 3, 120)
    x = (g.standard_normal((120, 6, 4)) * 0.3).astype(np.float32)
    x[:, :, 0] += y[:, None]
    m = np.ones((120, 6), bool)
    ds = TensorDataset(torch.from_numpy(x), torch.from_numpy(m), torch.from_numpy(y))
    tr, va = TensorDataset(*ds[:90]), TensorDataset(*ds[90:])
    torch.manual_seed(0)
    model = create_model("lstm", input_dim=4, num_classes=3, units=(8,), dense=(8,), dropout=0.2)
    if side == "old":
        from gestura.training.config import OptimConfig, ScheduleConfig
        from gestura.training.trainer import class_weights_from, fit
        h = fit(model, DataLoader(tr, batch_size=16, shuffle=True), DataLoader(va, batch_size=256),
                OptimConfig(lr=0.01), ScheduleConfig(epochs=6), seed=3, progress=False,
                class_weights=class_weights_from(y[:90], 3))
    else:
        from gestura.training.trainer import FitConfig, FitData, fit
        h = fit(model, FitData(tr, va, labels=["a", "b", "c"]),
                FitConfig(epochs=6, lr=0.01, batch_size=16, class_weights=True, seed=3)).history
    out["rows"] = h.rows
elif job == "fit_clips":
    from gestura.training.enroll import fit_clips
    clips, labels = clips_and_labels()
    res = fit_clips(clips, labels, model="lstm", model_params={"units": (8,), "dense": (8,)}, epochs=4, window=30,
                    seed=1)
    out["rows"] = res.history if side == "old" else res.history.rows
elif job == "finetune":
    from gestura.training.enroll import fit_clips
    clips, labels = clips_and_labels()
    base = fit_clips([c for c in clips if c.label != "fist"], [lb for lb in labels if lb != "fist"], model="lstm",
                     model_params={"units": (8,), "dense": (8,)}, epochs=2, window=30, seed=0).bundle
    new, _ = clips_and_labels(seed=4, subject="b")
    if side == "old":
        res = fit_clips(new, labels, init=base, stage_a_epochs=2, epochs=3, lr=3e-3, backbone_lr_mult=0.5, seed=2)
        out["rows"] = res.history
    else:
        import dataclasses
        from gestura.training.enroll import CLIP_FIT
        from gestura.training.finetune import FinetuneConfig, finetune
        from gestura.training.trainer import FitData
        res = finetune(base, FitData.from_clips(new, base.pipeline, labels, base.window, seed=2),
                       FinetuneConfig(fit=dataclasses.replace(CLIP_FIT, epochs=3, lr=3e-3, seed=2),
                                      stage_a_epochs=2, backbone_lr_mult=0.5))
        out["rows"] = res.history.rows
elif job == "variations":
    from gestura.data.synthetic import make_dataset
    from gestura.data.formats import write_seed003
    from gestura.training.variations import RunSettings, load_arrays, split_indices, train_model
    import tempfile, pathlib
    d = pathlib.Path(tempfile.mkdtemp()) / "data"
    write_seed003(d, list(make_dataset(n_subjects=3, n_per_class=3, n_classes=3, seed=0)))
    arr = load_arrays(d, "joints-hand-v1")
    tr, va, te = split_indices(arr, "person", test_subject=arr.subjects[0])
    t = train_model("sca_stgcn", {"channels": (8,), "dilations": (1,), "signer_dim": 8, "gru_hidden": 8,
                                  "skeleton": "mediapipe-hand-21"}, arr, tr, va, RunSettings(epochs=4))
    out["rows"] = [{k: v for k, v in r.items() if k in ("train_loss", "accuracy", "f1", "loss")} for r in t.history]
    out["best_epoch"] = t.best_epoch
elif job == "cnn":
    import pathlib, tempfile
    sys.path.insert(0, sys.argv[3])
    from test_landmark_cnn import _fake_teacher
    if side == "old":
        from gestura.training.landmark_cnn import train_landmark_model
    else:
        from gestura.training.landmark_cnn import train_landmark_model
    tmp = pathlib.Path(tempfile.mkdtemp())
    s = train_landmark_model(_fake_teacher(tmp / "data"), tmp / "m", arch="mobilenetv3_small_050_hand", width=0.25,
                             input_size=64, held_out=["c"], val=["b"], epochs=3, batch_size=4, threads=1,
                             progress=False)
    out["rows"] = [{k: v for k, v in r.items() if k != "seconds"} for r in s["history"]]
    out["best_epoch"] = s["best_epoch"]
print(json.dumps(out))
'''


def run(src: Path, side: str, job: str) -> dict:
    env = {**os.environ, "PYTHONPATH": str(src), "OMP_NUM_THREADS": "1"}
    p = subprocess.run([sys.executable, "-c", JOB, side, job, str(ROOT / "tests" / "training")], env=env,
                       capture_output=True, text=True, cwd=src.parent)
    if p.returncode:
        raise SystemExit(f"{side} {job} failed:\n{p.stderr[-2000:]}")
    return json.loads(p.stdout.strip().splitlines()[-1])


def max_diff(a: list[dict], b: list[dict]) -> tuple[float, list[str]]:
    worst, keys = 0.0, []
    for ra, rb in zip(a, b):
        for k, v in ra.items():
            if k in ("seconds", "stage") or k not in rb or not isinstance(v, (int, float)):
                continue
            worst = max(worst, abs(float(v) - float(rb[k])))
            keys.append(k)
    return worst, sorted(set(keys))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--old", default=OLD_COMMIT)
    ap.add_argument("--jobs", nargs="*", default=["trainer", "fit_clips", "finetune", "variations", "cnn"])
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        blob = subprocess.run(["git", "archive", args.old, "src"], cwd=ROOT, capture_output=True, check=True).stdout
        tarfile.open(fileobj=BytesIO(blob)).extractall(tmp)
        for job in args.jobs:
            old, new = run(Path(tmp) / "src", "old", job), run(ROOT / "src", "new", job)
            worst, keys = max_diff(old["rows"], new["rows"])
            same_len = len(old["rows"]) == len(new["rows"])
            extra = f", best epoch {old.get('best_epoch')} vs {new.get('best_epoch')}" if "best_epoch" in old else ""
            print(f"{job}: {len(old['rows'])} vs {len(new['rows'])} epochs{'' if same_len else ' (DIFFERENT)'}, "
                  f"max |old - new| {worst:.3g} over {keys}{extra}")
            print(f"  old train_loss {[round(r['train_loss'], 6) for r in old['rows']]}")
            print(f"  new train_loss {[round(r['train_loss'], 6) for r in new['rows']]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
