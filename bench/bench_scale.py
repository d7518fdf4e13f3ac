"""Scale-out measurements: extraction local vs Ray, DDP 1 vs 2 processes and fp32 vs bf16, store memory.

    nice .venv/bin/python bench/bench_scale.py extract   # local vs Ray at 1 and 2 workers, shared videos
    nice .venv/bin/python bench/bench_scale.py train     # samples/s: 1 vs 2 gloo processes, fp32 vs bf16
    nice .venv/bin/python bench/bench_scale.py store     # peak RSS: in-memory vs memory-mapped store, 1x and 10x
    nice .venv/bin/python bench/bench_scale.py store-train  # peak RSS of a 1-epoch `train_run`: dataset vs store

Ratios are against the first configuration measured in the same run. Each number is printed with the 1-minute
load average at the time, because the machine is shared. Memory is measured in a fresh subprocess per case
(`ru_maxrss`), so one case's allocations cannot hide another's. No GPU is used.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "datasets" / "media"


def load() -> str:
    return f"load {os.getloadavg()[0]:.1f}"


# ------------------------------------------------------------------------------------------------ extraction
def bench_extract(args: argparse.Namespace) -> None:
    from gestura.data.executors import ray_cluster
    from gestura.data.ingest import extract

    videos = sorted(SHARED.glob("mediapipe-samples/*.mp4")) + sorted(SHARED.glob("msl150/*.mp4"))[: args.msl]
    with tempfile.TemporaryDirectory() as tmp:
        manifest = Path(tmp) / "list.csv"
        manifest.write_text("path\n" + "".join(f"{v}\n" for v in videos))
        base = None
        for engine, workers in (("local", 1), ("local", 2), ("ray", 1), ("ray", 2)):
            out = Path(tmp) / f"{engine}{workers}"
            t0 = time.perf_counter()
            if engine == "ray":
                with ray_cluster(num_cpus=workers):  # cluster start included: what a user waits for
                    rep = extract(manifest, out, workers=workers, engine="ray", progress=False)
            else:
                rep = extract(manifest, out, workers=workers, progress=False)
            wall = time.perf_counter() - t0
            fps = rep.n_frames / wall
            base = base or fps
            print(f"extract {engine:5s} workers={workers}: {rep.n_frames} frames of {len(videos)} videos in "
                  f"{wall:.1f} s = {fps:.1f} frames/s ({fps / base:.2f}x local-1), {len(rep.errors)} errors, "
                  f"{load()}", flush=True)
            shutil.rmtree(out)


# ------------------------------------------------------------------------------------------------ training
TRAIN = textwrap.dedent('''
    import json, os, sys, time
    import numpy as np, torch
    from torch.utils.data import DataLoader, TensorDataset
    from gestura.models.registry import create_model
    from gestura.training.config import OptimConfig
    from gestura.training.trainer import make_optimizer
    from gestura.training import distributed as D

    precision, steps, batch = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    torch.set_num_threads(1)
    ctx = D.init_distributed()
    rng = np.random.default_rng(0)
    n = batch * (steps + 2)
    x = torch.from_numpy(rng.normal(size=(n, 24, 147)).astype(np.float32))
    m = torch.ones(n, 24, dtype=torch.bool)
    y = torch.from_numpy(rng.integers(0, 10, n))
    torch.manual_seed(0)
    model = D.wrap_model(create_model("lstm", input_dim=147, num_classes=10), ctx)
    opt = make_optimizer(model, OptimConfig())
    loader = D.shard_loader(DataLoader(TensorDataset(x, m, y), batch_size=batch), ctx)
    prec = D.Precision.create(precision, ctx.device)
    crit = torch.nn.CrossEntropyLoss()
    seen, t0 = 0, None
    for i, (xb, mb, yb) in enumerate(loader):
        if i == 2:
            D.barrier(ctx); t0 = time.perf_counter(); seen = 0
        with prec.autocast():
            loss = crit(model(xb, mb).float(), yb)
        prec.backward(loss)
        prec.step(opt, model, 1.0)
        opt.zero_grad(set_to_none=True)
        seen += len(yb) * ctx.world_size
    D.barrier(ctx)
    if ctx.is_main:
        print(json.dumps({"samples_per_s": seen / (time.perf_counter() - t0)}))
    D.cleanup()
''')


def bench_train(args: argparse.Namespace) -> None:
    from gestura.training.distributed import launch_command

    with tempfile.TemporaryDirectory() as tmp:
        script = Path(tmp) / "train.py"
        script.write_text(TRAIN)
        base = None
        for nproc, precision in ((1, "fp32"), (2, "fp32"), (1, "bf16"), (2, "bf16")):
            cmd = launch_command(nproc, [str(script), precision, str(args.steps), str(args.batch)])
            env = {**os.environ, "OMP_NUM_THREADS": "1", "CUDA_VISIBLE_DEVICES": ""}
            res = subprocess.run(cmd, capture_output=True, text=True, env=env, check=True)
            sps = json.loads([ln for ln in res.stdout.splitlines() if ln.startswith("{")][-1])["samples_per_s"]
            base = base or sps
            print(f"train lstm (window 24, 147 features) nproc={nproc} {precision}: {sps:.0f} samples/s "
                  f"({sps / base:.2f}x 1-proc fp32), global batch {args.batch}, {load()}", flush=True)


# ------------------------------------------------------------------------------------------------ store
STORE = textwrap.dedent('''
    import resource, sys
    import numpy as np
    from torch.utils.data import DataLoader
    from gestura.data.dataset import collate
    from gestura.data.store import LandmarkStore, StoreWindowDataset

    mode, root = sys.argv[1], sys.argv[2]
    store = LandmarkStore(root)
    if mode == "memory":  # the whole dataset as arrays in RAM, then the same windows
        items = [np.array(store.item(i)) for i in range(len(store))]
        total = 0.0
        for x in items:
            for s in range(0, max(len(x) - 24, 0) + 1, 24):
                total += float(x[s:s + 24, 0].sum())
    else:
        ds = StoreWindowDataset(store, window=24, stride=24)
        total = 0.0
        for xb, _, _ in DataLoader(ds, batch_size=64, collate_fn=collate):
            total += float(xb[:, :, 0].sum())
    print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
''')


def bench_store(args: argparse.Namespace) -> None:
    import numpy as np

    from gestura.data.store import write_store

    def items(n: int):
        rng = np.random.default_rng(0)
        for i in range(n):
            yield rng.normal(size=(60, 147)).astype(np.float32), "ab"[i % 2], f"s{i % 7}"

    with tempfile.TemporaryDirectory(dir=args.tmp) as tmp:
        script = Path(tmp) / "read.py"
        script.write_text(STORE)
        rows = []
        for scale in (1, 10):
            root = write_store(Path(tmp) / f"x{scale}", items(args.items * scale), dim=147, labels=["a", "b"])
            size = sum(p.stat().st_size for p in root.glob("shard-*.npy"))
            for mode in ("memory", "store"):
                res = subprocess.run([sys.executable, str(script), mode, str(root)], capture_output=True, text=True,
                                     check=True, env={**os.environ, "OMP_NUM_THREADS": "1"})
                rss = int(res.stdout.split()[-1]) / 1024
                rows.append((scale, mode, size / 2**20, rss))
                print(f"store {scale:2d}x ({size / 2**20:.0f} MiB on disk) {mode:6s}: peak RSS {rss:.0f} MiB, "
                      f"{load()}", flush=True)
            shutil.rmtree(root)
        base = {mode: rss for scale, mode, _, rss in rows if scale == 1}
        for scale, mode, _, rss in rows:
            if scale == 10:
                print(f"store 10x/1x peak RSS ratio {mode}: {rss / base[mode]:.2f}")


TRAIN_RUN = textwrap.dedent('''
    import resource, sys, time
    from gestura.training.config import load_config
    from gestura.training.run import train_run

    data, out = sys.argv[1], sys.argv[2]
    t0 = time.perf_counter()
    train_run(load_config(None, [f"data.path={data}", f"out_dir={out}", "model.name=lstm",
                                 "model.params={units: [32], dense: [32]}", "progress=false", "threads=1",
                                 "schedule.epochs=1", "split.group_by=subject", "split.window=30",
                                 "split.stride=15", "optim.batch_size=64"]))
    print(time.perf_counter() - t0, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
''')


def bench_store_train(args: argparse.Namespace) -> None:
    """Peak RSS of one `train_run` (1 epoch + test) from a seed-003 folder (in memory) vs its feature store."""
    from gestura.data.formats import write_seed003
    from gestura.data.store import build_feature_store
    from gestura.data.synthetic import make_dataset
    from gestura.features.pipeline import FeaturePipeline

    with tempfile.TemporaryDirectory(dir=args.tmp) as tmp:
        script = Path(tmp) / "run.py"
        script.write_text(TRAIN_RUN)
        rows = []
        for scale in (1, 10):
            ds = make_dataset(args.subjects * scale, args.per_class, seed=0, n_frames=60)
            raw = write_seed003(Path(tmp) / f"raw{scale}", ds.sequences)
            store = build_feature_store(ds, FeaturePipeline("feature-schema-v1"), Path(tmp) / f"st{scale}")
            frames = sum(s.n_frames for s in ds.sequences)
            del ds
            size = sum(p.stat().st_size for p in Path(store).glob("*.npy"))
            for mode, data in (("memory", raw), ("store", store)):
                res = subprocess.run([sys.executable, str(script), str(data), str(Path(tmp) / f"run-{mode}{scale}")],
                                     capture_output=True, text=True, check=True,
                                     env={**os.environ, "OMP_NUM_THREADS": "1"})
                secs, rss = res.stdout.split()[-2:]
                rows.append((scale, mode, int(rss) / 1024))
                print(f"train_run {scale:2d}x ({frames} frames, store {size / 2**20:.0f} MiB) {mode:6s}: "
                      f"peak RSS {int(rss) / 1024:.0f} MiB, {float(secs):.0f} s, {load()}", flush=True)
            shutil.rmtree(raw)
        base = {mode: rss for scale, mode, rss in rows if scale == 1}
        for scale, mode, rss in rows:
            if scale == 10:
                print(f"train_run 10x/1x peak RSS ratio {mode}: {rss / base[mode]:.2f}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="what", required=True)
    e = sub.add_parser("extract")
    e.add_argument("--msl", type=int, default=0, help="also use this many msl150 videos")
    t = sub.add_parser("train")
    t.add_argument("--steps", type=int, default=20)
    t.add_argument("--batch", type=int, default=64)
    s = sub.add_parser("store")
    s.add_argument("--items", type=int, default=1000, help="60x147 float32 items at 1x (10x is ten times more)")
    s.add_argument("--tmp", default=None)
    r = sub.add_parser("store-train")
    r.add_argument("--subjects", type=int, default=4, help="people at 1x (10x has ten times more)")
    r.add_argument("--per-class", type=int, default=20, help="60-frame clips per class and person")
    r.add_argument("--tmp", default=None)
    args = ap.parse_args()
    print(f"# {' '.join(sys.argv)}; {os.cpu_count()} CPUs; {load()}; no GPU used", flush=True)
    {"extract": bench_extract, "train": bench_train, "store": bench_store,
     "store-train": bench_store_train}[args.what](args)
    print(f"# self+children max RSS {resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024:.0f} MiB")


if __name__ == "__main__":
    main()
