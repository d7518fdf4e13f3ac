"""Signs from people never seen: models x seeds x feature recipes over held-out-signer (and held-out-session) folds.

    PYTHONPATH=src python scripts/sign_protocol.py --data ../shared/datasets/asl-traduttore/words \
        --models logreg,knn,bilstm --seeds 0,1,2 --features sign-multimodal-v1,sign-multimodal-v2 \
        --protocols subject --out runs/sign-protocol/words

Each fold (`gestura.data.splits.held_out_folds`) trains on every other signer (validation: whole sessions of the
training signers) and scores the held-out signer on the classes the others also sign; classes only the held-out
signer signs are listed, not scored. Every clip is featurised once per recipe (cached under `--out`). Results are
appended run by run to `results.json` (a rerun skips finished runs) and summarised in `table.md`: accuracy and
macro-F1 per held-out group as mean ± standard deviation over seeds, and the mean over groups.
`--stack` adds the XGBoost stack of the members (every model but knn), fitted on their out-of-fold class
probabilities over `--stack-folds` folds of the training signers' sessions (never on scores of clips a member
trained on, never on a handful of validation clips); it scores the held-out signer with the members trained on
the whole training set. Two cheaper combiners are measured on the same member scores as controls: `soft_vote`
(the mean of the members' probabilities, nothing fitted) and `logreg_stack` (a logistic-regression meta-learner on
the same out-of-fold rows). `--stack-by subject` takes the out-of-fold rows from held-out training *signers*
instead (rows `xgb_stack_signers`, `logreg_stack_signers`; each inner training sees one person fewer).
Every member's test and out-of-fold probabilities are kept in `--out`/proba, so a rerun refits combiners without
training the members again. logreg and knn are deterministic, so they run with the first seed only.

Graph models (`stgcn`, `sca_stgcn`; need a `joints-*` feature schema) train with the SCA-STGCN family's recipe
(`gestura.training.variations.train_model`: one-cycle schedule over `--epochs`, joint-space augmentation, best epoch
by validation accuracy on the same validation sessions). `sca_stgcn` runs once per `--variants` name, each mapped to
its `gestura.training.variations.VARIATIONS` entry (`GRAPH_VARIANTS`); `twin` is SCA-STGCN with every
signer-conditioning part off. `--graph-width` and `--gru-hidden` set the size (default: the library's full width).
Their runs keep the per-epoch validation curve (`history`) and are summarised against the twin in `variants.md`:

    PYTHONPATH=src python scripts/sign_protocol.py --data ../shared/datasets/asl-traduttore/words \
        --models stgcn,sca_stgcn --variants twin,bias_attention,film,adversarial,supcon,pseudo_signers \
        --features joints-two-hands-body-v1 --seeds 0,1,2 --epochs 20 --out runs/sign-protocol/words-graph
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from gestura.data.formats import load_dataset
from gestura.data.splits import group_values, held_out_folds, single_signer_classes
from gestura.features.handedness import dominant_side, mirror_sequence
from gestura.features.pipeline import FeaturePipeline
from gestura.io import write_json

NEURAL = {
    "bilstm": {"hidden": 48, "layers": 1, "dropout": 0.3},
    "lstm": {"units": [64], "dense": [64], "dropout": 0.2},
    "transformer": {"d_model": 64, "heads": 4, "layers": 2, "dropout": 0.1},
}
BASELINE = {"logreg": {"C": 1.0}, "knn": {"k": 5}}
GRAPH = ("stgcn", "sca_stgcn")
# protocol name of each SCA-STGCN variant -> its entry in gestura.training.variations.VARIATIONS
GRAPH_VARIANTS = {"twin": "basic", "bias_attention": "bias_attention", "film": "film",
                  "adversarial": "adversarial", "supcon": "supcon", "pseudo_signers": "pseudo_signer"}


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def featurise(seqs: list[Any], schema: str, cache: Path, mirror: set[str]) -> tuple[np.ndarray, np.ndarray]:
    """`(N, W, F)` features + `(N, W)` masks of every clip as one window, cached in `cache` (.npz)."""
    if cache.is_file():
        z = np.load(cache)
        return z["x"], z["m"]
    pipe = make_pipeline(schema)
    w = max(s.n_frames for s in seqs)
    xs = np.zeros((len(seqs), w, pipe.dim), np.float32)
    ms = np.zeros((len(seqs), w), bool)
    t0 = time.perf_counter()
    for i, s in enumerate(seqs):
        f, v = pipe.transform(mirror_sequence(s) if s.subject in mirror else s)
        xs[i, :len(f)], ms[i, :len(v)] = f, v
        if (i + 1) % 1000 == 0:
            log(f"  {schema}: {i + 1}/{len(seqs)} clips featurised ({time.perf_counter() - t0:.0f} s)")
    cache.parent.mkdir(parents=True, exist_ok=True)
    np.savez(cache, x=xs, m=ms)
    return xs, ms


def make_pipeline(spec: str) -> FeaturePipeline:
    """`schema` or `schema@key=value@...` (true/false/ints parsed) -> the feature pipeline."""
    schema, *items = spec.split("@")
    params: dict[str, Any] = {}
    for item in items:
        k, _, v = item.partition("=")
        params[k] = {"true": True, "false": False}.get(v.lower(), int(v) if v.lstrip("-").isdigit() else v)
    return FeaturePipeline(schema, params)


def fit_predict(model: str, x: np.ndarray, m: np.ndarray, y: np.ndarray, val: tuple[np.ndarray, ...] | None,
                xt: np.ndarray, mt: np.ndarray, k: int, seed: int, epochs: int) -> np.ndarray:
    """Train `model` on `(x, m, y)` (early stopping on `val` when given) and return `(len(xt), k)` probabilities."""
    if model in BASELINE:
        from gestura.evaluation.baselines import fit_baseline

        clf = fit_baseline(model, x, m, y, seed=seed, **BASELINE[model])
        return clf.predict_proba(xt, mt, n_classes=k)
    import torch
    from torch.utils.data import DataLoader, TensorDataset

    from gestura.models import create_model
    from gestura.training.callbacks import EarlyStopping
    from gestura.training.trainer import FitConfig, FitData, fit, predict_loader

    def loader(a: np.ndarray, b: np.ndarray, c: np.ndarray, shuffle: bool) -> DataLoader:
        ds = TensorDataset(torch.from_numpy(a), torch.from_numpy(b), torch.from_numpy(c.astype(np.int64)))
        return DataLoader(ds, batch_size=64 if shuffle else 512, shuffle=shuffle)

    torch.manual_seed(seed)
    np.random.seed(seed)
    net = create_model(model, input_dim=x.shape[2], num_classes=k, **NEURAL[model])
    has_val = val is not None and len(val[2]) > 0
    fit(net, FitData(train=loader(x, m, y, True), val=loader(*val, False) if has_val else None),
        FitConfig(epochs=epochs, lr=0.002, seed=seed, progress=False,
                  callbacks=(EarlyStopping(4),) if has_val else ()))
    proba, _ = predict_loader(net, loader(xt, mt, np.zeros(len(xt), np.int64), False))
    return proba


def score(y: np.ndarray, proba: np.ndarray) -> dict[str, float]:
    from sklearn.metrics import f1_score

    pred = proba.argmax(1)
    return {"accuracy": float((pred == y).mean()),
            "macro_f1": float(f1_score(y, pred, labels=sorted(set(y.tolist())), average="macro", zero_division=0))}


COMBINERS = ("soft_vote", "logreg_stack", "xgb_stack", "logreg_stack_signers", "xgb_stack_signers")


def cached(path: Path, make: Any) -> np.ndarray:
    """The array saved at `path` (.npy), or `make()` saved there first: member scores are trained once."""
    if path.is_file():
        return np.load(path)
    arr = np.asarray(make(), dtype=np.float32)
    path.parent.mkdir(parents=True, exist_ok=True)
    np.save(path, arr)
    return arr


def oof_columns(members: list[str], tr: np.ndarray, x: np.ndarray, m: np.ndarray, y: np.ndarray,
                groups: np.ndarray, k: int, seed: int, epochs: int, n_folds: int, cache: Path,
                ) -> tuple[list[np.ndarray], int]:
    """Each member's out-of-fold class probabilities over group folds of the training rows `tr` (cached), and
    the number of inner trainings they took (per member)."""
    from gestura.models.ensemble import out_of_fold

    cols = []
    n_inner = min(n_folds, len(set(groups[tr].tolist())))
    for name in members:
        def one(a: np.ndarray, b: np.ndarray, name: str = name) -> np.ndarray:
            return fit_predict(name, x[tr[a]], m[tr[a]], y[tr[a]], None, x[tr[b]], m[tr[b]], k, seed, epochs)
        cols.append(cached(cache.with_name(f"{cache.name}-{name}.npy"),
                           lambda one=one: out_of_fold(one, y[tr], groups[tr], n_splits=n_folds)))
        log(f"    stack: out-of-fold scores of {name} over {n_inner} folds done")
    return cols, n_inner


def combine(kind: str, cols: list[np.ndarray], y_tr: np.ndarray, test: list[np.ndarray], k: int, seed: int,
            extra_tr: list[np.ndarray] | None = None, extra_te: list[np.ndarray] | None = None) -> np.ndarray:
    """`(n_test, k)` probabilities of one combiner: `soft_vote` (mean of the members' test probabilities),
    `logreg` or `xgb` (a meta-learner fitted on the out-of-fold member columns `cols` with labels `y_tr`)."""
    if kind == "soft_vote":
        return np.mean(test, axis=0)
    f_tr = np.concatenate(cols + (extra_tr or []), axis=1)
    f_te = np.concatenate(test + (extra_te or []), axis=1)
    if kind == "logreg":
        from sklearn.linear_model import LogisticRegression

        meta = LogisticRegression(C=1.0, max_iter=2000).fit(f_tr, y_tr)
        p, classes = meta.predict_proba(f_te), meta.classes_
    else:
        from gestura.models.ensemble import XGBStack

        stack = XGBStack(n_estimators=150, max_depth=3, learning_rate=0.1, seed=seed, n_jobs=1).fit(f_tr, y_tr)
        p, classes = stack.predict_proba(f_te), stack.classes_
    out = np.zeros((len(f_te), k), np.float32)
    out[:, np.asarray(classes).astype(int)] = p
    return out


def graph_runs(models: list[str], variants: list[str]) -> list[str]:
    """The graph runs asked for: `stgcn` as is, `sca_stgcn` once per variant as `sca_stgcn/<variant>`."""
    if bad := [v for v in variants if v not in GRAPH_VARIANTS]:
        raise ValueError(f"unknown variant(s) {bad}; choose from {sorted(GRAPH_VARIANTS)}")
    out = ["stgcn"] if "stgcn" in models else []
    return out + ([f"sca_stgcn/{v}" for v in variants] if "sca_stgcn" in models else [])


def graph_spec(run: str) -> tuple[str, dict[str, Any]]:
    """`(variation name, spec)` of a graph run: the `VARIATIONS` entry of a variant, a plain spec for `stgcn`."""
    from gestura.training.variations import VARIATIONS

    if run == "stgcn":
        return "stgcn", {"model": "stgcn", "params": {}}
    name = GRAPH_VARIANTS[run.split("/", 1)[1]]
    return name, VARIATIONS[name]


def fit_graph(run: str, x: np.ndarray, m: np.ndarray, y: np.ndarray, classes: list[str], subjects: np.ndarray,
              sessions: np.ndarray, idx: dict[str, np.ndarray], schema: str, seed: int, epochs: int,
              width: tuple[int, ...], gru_hidden: int, threads: int = 1) -> dict[str, Any]:
    """Train one graph run on `idx["train"]` (best epoch on `idx["val"]`), score `idx["test"]`.

    Returns accuracy and macro-F1 (the same definitions as `score`), the best epoch, the parameter count and the
    per-epoch history (train loss, validation accuracy and loss).
    """
    from gestura.features.joints import JOINT_SCHEMAS
    from gestura.training.variations import RunSettings, SignArrays, run_variation

    if schema not in JOINT_SCHEMAS:
        raise ValueError(f"graph model {run!r} needs a joint-layout schema {sorted(JOINT_SCHEMAS)}, got {schema!r}")
    m = m.copy()
    m[~m.any(1), 0] = True  # a clip with no valid frame keeps one (zero) frame, as variations.load_arrays does
    arr = SignArrays(x, m, y.astype(np.int64), list(classes), subjects, sessions, schema)
    name, spec = graph_spec(run)
    base: dict[str, Any] = {"skeleton": JOINT_SCHEMAS[schema].skeleton, "channels": tuple(width),
                            "dilations": (1, 2, 3, 4, 5, 6)[:len(width)]}
    if spec["model"] == "sca_stgcn":
        base["gru_hidden"] = gru_hidden
    row, trained = run_variation(name, arr, idx["train"], idx["val"], idx["test"],
                                 RunSettings(epochs=epochs, seed=seed, threads=threads), base, spec)
    history = [{"epoch": int(h["epoch"]), "train_loss": round(float(h["train_loss"]), 4),
                **({"val_accuracy": round(float(h["accuracy"]), 4), "val_loss": round(float(h["loss"]), 4)}
                   if "accuracy" in h else {})} for h in trained.history]
    return {"accuracy": row["accuracy"], "macro_f1": row["f1"], "best_epoch": row["best_epoch"],
            "params": int(sum(p.numel() for p in trained.model.parameters())), "history": history,
            "width": list(width), "gru_hidden": gru_hidden if spec["model"] == "sca_stgcn" else None}


def variants_summary(results: list[dict[str, Any]], margin: float = 0.02) -> str:
    """Markdown: each graph run per held-out signer (mean ± sd over seeds), mean over folds, and its difference to
    the twin (`sca_stgcn/twin`) on the mean over seeds of the per-seed means over the folds the run has (each fold's
    difference in brackets in its cell); reproduced = twin + `margin`.

    "val Δ last 3 epochs" is the mean rise of the validation accuracy over the last three epochs: the curve has
    flattened when it is under one point."""
    runs = [r for r in results if r["model"].split("/")[0] in GRAPH]
    lines = []
    for data, proto, feats in sorted({(r["data"], r["protocol"], r["features"]) for r in runs}):
        rs = [r for r in runs if (r["data"], r["protocol"], r["features"]) == (data, proto, feats)]
        folds = sorted({r["fold"] for r in rs})
        by: dict[str, dict[str, dict[int, dict[str, Any]]]] = {}
        for r in rs:
            by.setdefault(r["model"], {}).setdefault(r["fold"], {})[r["seed"]] = r

        def mean_over_folds(model: str, fs: list[str]) -> list[float]:
            per = by.get(model, {})
            seeds = sorted({s for f in fs for s in per.get(f, {})})
            return [float(np.mean([per[f][s]["accuracy"] for f in fs])) for s in seeds
                    if all(s in per.get(f, {}) for f in fs)]

        lines += [f"\n**{data}, {feats}, {'one signer held out' if proto == 'subject' else 'sessions held out'}** "
                  "(accuracy, mean ± sd over seeds)\n",
                  "| model / variant | width | epochs | seeds | " + " | ".join(folds)
                  + " | mean over its folds | − twin | reproduced? (≥ twin + 2) | val Δ last 3 epochs |",
                  "|---|---|---|---|" + "---|" * (len(folds) + 4)]
        for model in sorted(by, key=lambda k: (k != "stgcn", k != "sca_stgcn/twin", k)):
            per = by[model]
            cells = []
            for f in folds:
                a = [r["accuracy"] for r in per.get(f, {}).values()]
                t = [r["accuracy"] for r in by.get("sca_stgcn/twin", {}).get(f, {}).values()]
                delta = f" ({(np.mean(a) - np.mean(t)) * 100:+.1f})" if a and t and model != "sca_stgcn/twin" else ""
                cells.append("–" if not a else f"{np.mean(a):.3f}" + (f" ± {np.std(a):.3f}" if len(a) > 1 else "")
                             + delta)
            # every fold of this model's runs that the twin also has, over the seeds both completed
            fs = [f for f in folds if f in per]
            acc = mean_over_folds(model, fs)
            t_acc = mean_over_folds("sca_stgcn/twin", fs)
            any_r = next(iter(next(iter(per.values())).values()))
            width = "/".join(map(str, any_r.get("width") or [])) + (
                f", GRU {any_r['gru_hidden']}" if any_r.get("gru_hidden") else "")
            mean = "–" if not acc else f"**{np.mean(acc):.3f}**" + (f" ± {np.std(acc):.3f}" if len(acc) > 1 else "")
            if model == "sca_stgcn/twin" or not acc or not t_acc:
                diff, verdict = "–", "(twin)" if model == "sca_stgcn/twin" else "–"
            else:
                d = float(np.mean(acc) - np.mean(t_acc))
                diff = f"{d * 100:+.2f} pt"
                verdict = "–" if model == "stgcn" else ("yes" if d >= margin else "not reproduced") + (
                    f" ({len(fs)} fold{'s' if len(fs) > 1 else ''})")
            rises = [h[-1]["val_accuracy"] - h[-4]["val_accuracy"] for h in
                     (r["history"] for f in per.values() for r in f.values())
                     if len(h) >= 4 and "val_accuracy" in h[-1] and "val_accuracy" in h[-4]]
            rise = "–" if not rises else f"{np.mean(rises) * 100:+.1f} pt"
            lines.append(f"| {model} | {width} | {any_r.get('epochs', '')} | {len(acc)} | " + " | ".join(cells)
                         + f" | {mean} | {diff} | {verdict} | {rise} |")
    return "\n".join(lines) + "\n"


def summarise(results: list[dict[str, Any]]) -> str:
    """Markdown: one row per (data, protocol, features, model); per-fold mean ± sd over seeds."""
    rows: dict[tuple[str, str, str, str], dict[str, dict[int, dict[str, float]]]] = {}
    for r in results:
        key = (r["data"], r["protocol"], r["features"], r["model"])
        rows.setdefault(key, {}).setdefault(r["fold"], {})[r["seed"]] = r
    lines = []
    for (data, proto) in sorted({(k[0], k[1]) for k in rows}):
        folds = sorted({f for k, v in rows.items() if k[:2] == (data, proto) for f in v})
        lines += [f"\n**{data}, {'one signer held out' if proto == 'subject' else 'sessions held out'}** "
                  f"(accuracy, mean ± sd over seeds; test clips per fold: "
                  + ", ".join(f"{f} {next(r['n_test'] for r in results if r['data'] == data and r['protocol'] == proto and r['fold'] == f)}" for f in folds)
                  + ")\n",
                  "| features | model | seeds | " + " | ".join(folds) + " | mean over folds | macro-F1 mean |",
                  "|---|---|---|" + "---|" * (len(folds) + 2)]
        for key in sorted(k for k in rows if k[:2] == (data, proto)):
            per = rows[key]
            seeds = sorted({s for f in per.values() for s in f})
            cells = []
            for f in folds:
                a = [per.get(f, {}).get(s, {}).get("accuracy") for s in seeds]
                a = [v for v in a if v is not None]
                cells.append("–" if not a else f"{np.mean(a):.3f}" + (f" ± {np.std(a):.3f}" if len(a) > 1 else ""))
            complete = [s for s in seeds if all(s in per.get(f, {}) for f in folds)]
            acc = [np.mean([per[f][s]["accuracy"] for f in folds]) for s in complete]
            f1 = [np.mean([per[f][s]["macro_f1"] for f in folds]) for s in complete]
            spread = len(acc) > 1
            mean = "–" if not acc else f"**{np.mean(acc):.3f}**" + (f" ± {np.std(acc):.3f}" if spread else "")
            f1c = "–" if not f1 else f"{np.mean(f1):.3f}" + (f" ± {np.std(f1):.3f}" if spread else "")
            lines.append(f"| {key[2]} | {key[3]} | {len(complete)} | " + " | ".join(cells) + f" | {mean} | {f1c} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", action="append", required=True, help="seed-003 folder (repeatable)")
    ap.add_argument("--models", default="logreg,knn,bilstm")
    ap.add_argument("--seeds", default="0,1,2")
    ap.add_argument("--features", default="sign-multimodal-v1,sign-multimodal-v2")
    ap.add_argument("--protocols", default="subject", help="subject (leave one signer out) and/or session")
    ap.add_argument("--session-folds", type=int, default=3)
    ap.add_argument("--epochs", type=int, default=12)
    ap.add_argument("--stack", action="store_true", help="add the XGBoost stack (out-of-fold member scores)")
    ap.add_argument("--stack-folds", type=int, default=3)
    ap.add_argument("--stack-stats", action="store_true", help="also feed the stack window statistics")
    ap.add_argument("--stack-by", default="session", help="out-of-fold groups of the training people: session "
                    "and/or subject (comma-separated)")
    ap.add_argument("--variants", default="twin", help="SCA-STGCN variants for --models sca_stgcn: "
                    + ",".join(GRAPH_VARIANTS))
    ap.add_argument("--graph-width", default="64,128,128", help="ST-GCN channels of the graph models")
    ap.add_argument("--gru-hidden", type=int, default=256, help="SCA-STGCN BiGRU hidden size")
    ap.add_argument("--held-out", default="", help="only these folds (held-out group names, comma-separated)")
    ap.add_argument("--out", default="runs/sign-protocol")
    ap.add_argument("--threads", type=int, default=1)
    a = ap.parse_args(argv)
    os.environ.setdefault("OMP_NUM_THREADS", str(a.threads))
    import torch

    torch.set_num_threads(a.threads)
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    res_path = out / "results.json"
    doc: dict[str, Any] = json.loads(res_path.read_text()) if res_path.is_file() else {"runs": [], "folds": {}}
    done = {(r["data"], r["protocol"], r["features"], r["model"], r["fold"], r["seed"]) for r in doc["runs"]}
    command = "python scripts/sign_protocol.py " + " ".join(shlex.quote(x) for x in (argv or sys.argv[1:]))
    if command not in doc.setdefault("commands", []):
        doc["commands"].append(command)  # what produced the runs, quoted by the sign recipe's model card
    models = [x for x in a.models.split(",") if x]
    if bad := [x for x in models if x not in NEURAL and x not in BASELINE and x not in GRAPH]:
        ap.error(f"unknown model(s) {bad}; choose from {sorted(NEURAL) + sorted(BASELINE) + list(GRAPH)}")
    try:
        graph = graph_runs(models, [v for v in a.variants.split(",") if v])
        width = tuple(int(c) for c in a.graph_width.split(","))
    except ValueError as err:
        ap.error(str(err) if "variant" in str(err) else f"--graph-width must be comma-separated integers, "
                 f"got {a.graph_width!r}")
    models = [x for x in models if x not in GRAPH]
    seeds = [int(x) for x in a.seeds.split(",")]
    for data in a.data:
        name = Path(data).name
        seqs = load_dataset(data).sequences
        signers = sorted({str(s.subject) for s in seqs})
        sides = {p: dominant_side([s for s in seqs if str(s.subject) == p]) for p in signers}
        log(f"{name}: {len(seqs)} clips, signers {signers}, dominant hand {sides}")
        doc.setdefault("dominant_side", {})[name] = sides
        doc.setdefault("single_signer_classes", {})[name] = single_signer_classes(seqs)
        labels_all = np.array([str(s.label) for s in seqs])
        pos = {s.video_id: i for i, s in enumerate(seqs)}
        sessions = np.array(group_values(seqs, "session"), dtype=object)
        subjects = np.array([str(s.subject) for s in seqs])
        for proto in a.protocols.split(","):
            folds = held_out_folds(seqs, by=proto, n_folds=a.session_folds)
            doc["folds"][f"{name}/{proto}"] = [f.to_dict() for f in folds]
            for schema in a.features.split(","):
                v2 = schema.split("@")[0].endswith("-v2")
                mirror = {p for p, side in sides.items() if side == "left"} if v2 else set()
                x, m = featurise(seqs, schema, out / "cache" / f"{name}-{schema}.npz", mirror)
                for fold in folds:
                    if a.held_out and fold.name not in a.held_out.split(","):
                        continue
                    if not fold.test:
                        log(f"{name} {proto}: held-out {fold.name} signs no class the others sign; fold skipped")
                        continue
                    classes = fold.train_classes
                    cid = {c: i for i, c in enumerate(classes)}
                    y = np.array([cid.get(lb, -1) for lb in labels_all])
                    idx = {p: np.array([pos[i] for i in getattr(fold, p)], dtype=np.int64)
                           for p in ("train", "val", "test")}
                    val = (x[idx["val"]], m[idx["val"]], y[idx["val"]])
                    for seed in seeds:
                        pdir = out / "proba" / f"{name}-{schema}-{proto}-{fold.name}-s{seed}"

                        def member(mm: str) -> np.ndarray:
                            return cached(pdir / f"test-{mm}.npy", lambda: fit_predict(
                                mm, x[idx["train"]], m[idx["train"]], y[idx["train"]], val, x[idx["test"]],
                                m[idx["test"]], len(classes), seed, a.epochs))

                        stackers = []
                        if a.stack:
                            stackers = ["soft_vote"] + [f"{c}_stack{'' if by == 'session' else '_signers'}"
                                                        for by in a.stack_by.split(",") for c in ("logreg", "xgb")]
                        for model in models + stackers:
                            key = (name, proto, schema, model, fold.name, seed)
                            if key in done or (model in BASELINE and seed != seeds[0]):
                                continue  # the baselines are deterministic: one seed
                            t0 = time.perf_counter()
                            extra: dict[str, Any] = {}
                            if model in COMBINERS:
                                members = [mm for mm in models if mm != "knn"]
                                test_p = [member(mm) for mm in members]
                                t0 = time.perf_counter()
                                extra = {"members": members}
                                cols: list[np.ndarray] = []
                                ytr = np.array([], np.int64)
                                st_tr: list[np.ndarray] = []
                                st_te: list[np.ndarray] = []
                                if model != "soft_vote":
                                    by = "subject" if model.endswith("_signers") else "session"
                                    tr = np.concatenate([idx["train"], idx["val"]])
                                    groups = np.array(group_values(seqs, by), dtype=object)
                                    cols, n_inner = oof_columns(members, tr, x, m, y, groups, len(classes), seed,
                                                                a.epochs, a.stack_folds, pdir / f"oof-{by}")
                                    ytr = y[tr]
                                    extra.update(oof_by=by, oof_folds=n_inner, oof_rows=len(tr),
                                                 inner_trainings=n_inner * len(members))
                                    if a.stack_stats:
                                        from gestura.models.ensemble import window_statistics

                                        st_tr = [window_statistics(x[tr], m[tr])]
                                        st_te = [window_statistics(x[idx["test"]], m[idx["test"]])]
                                kind = model.split("_")[0] if model != "soft_vote" else model
                                proba = combine(kind, cols, ytr, test_p, len(classes), seed, st_tr, st_te)
                            else:
                                proba = member(model)
                            r = {"data": name, "protocol": proto, "features": schema, "model": model,
                                 "fold": fold.name, "seed": seed, "n_test": len(idx["test"]),
                                 "n_classes": len(classes), "seconds": round(time.perf_counter() - t0, 1),
                                 **extra, **score(y[idx["test"]], proba)}
                            doc["runs"].append(r)
                            done.add(key)
                            write_json(res_path, doc)
                            log(f"{name} {proto} {schema} {model} held out {fold.name} seed {seed}: "
                                f"accuracy {r['accuracy']:.3f} macro-F1 {r['macro_f1']:.3f} ({r['seconds']} s)")
                        for run in graph:
                            key = (name, proto, schema, run, fold.name, seed)
                            if key in done:
                                continue
                            t0 = time.perf_counter()
                            g = fit_graph(run, x, m, y, list(classes), subjects, sessions, idx, schema, seed,
                                          a.epochs, width, a.gru_hidden, a.threads)
                            r = {"data": name, "protocol": proto, "features": schema, "model": run,
                                 "fold": fold.name, "seed": seed, "n_test": len(idx["test"]),
                                 "n_classes": len(classes), "seconds": round(time.perf_counter() - t0, 1),
                                 "epochs": a.epochs, **g}
                            doc["runs"].append(r)
                            done.add(key)
                            write_json(res_path, doc)
                            log(f"{name} {proto} {schema} {run} held out {fold.name} seed {seed}: accuracy "
                                f"{r['accuracy']:.3f} macro-F1 {r['macro_f1']:.3f} best epoch {r['best_epoch']}/"
                                f"{a.epochs} ({r['seconds']} s)")
        (out / "table.md").write_text(summarise(doc["runs"]))
        if graph:
            (out / "variants.md").write_text(variants_summary(doc["runs"]))
    write_json(res_path, doc)  # also when every run was done already: the command is recorded
    log(f"wrote {res_path} and {out / 'table.md'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
