"""Issue 6 real results on asl-traduttore words: graph vs sequence models, debiasing, detection, ensemble.

Run through `scripts/results_issue6.sh` (nice, one thread). Writes `runs/issue6/<split>.json` per split and
`runs/issue6/variations/`. Small on purpose (the CPU is shared): training capped per class, few epochs, ST-GCN
at half width (32, 64, 64), BiGRU hidden 128.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

from gestura.evaluation.detection import detection_report, signing_scores
from gestura.models.ensemble import XGBStack, window_statistics
from gestura.training.variations import (
    RunSettings, cap_per_class, load_arrays, predict_proba, run_variation, run_variations, score, split_indices,
)

WORDS = "../shared/datasets/asl-traduttore/words"
SCHEMA = "joints-two-hands-body-v1"
GRAPH = {"skeleton": "mediapipe-two-hands-42", "channels": (32, 64, 64)}
MEMBERS = {
    "stgcn": {"model": "stgcn", "params": GRAPH},
    "sca_stgcn": {"model": "sca_stgcn", "params": {**GRAPH, "gru_hidden": 128}},
    "sca_stgcn+adv": {"model": "sca_stgcn", "params": {**GRAPH, "gru_hidden": 128, "adversarial": True},
                      "signers": "real"},
    "bilstm": {"model": "bilstm", "params": {}},
    "transformer": {"model": "transformer", "params": {"d_model": 128, "heads": 4, "layers": 3}},
}


def compare(split: str, out: Path, settings: RunSettings, max_per_class: int, test_subject: str | None) -> dict:
    arr = load_arrays(WORDS, SCHEMA)
    no_hands = load_arrays(WORDS, SCHEMA, drop_hands=True)
    tr, va, te = split_indices(arr, split, test_subject=test_subject, seed=settings.seed)
    tr = cap_per_class(arr.y, tr, max_per_class, settings.seed)
    known = np.unique(arr.y[tr])  # classes nobody in training signs (s-z come from one person) cannot be scored
    n_unscorable = int((~np.isin(arr.y[te], known)).sum())
    te = te[np.isin(arr.y[te], known)]
    neg = arr.labels.index("-")
    res: dict = {"split": split, "test_subject": test_subject, "n_train": int(len(tr)), "n_val": int(len(va)),
                 "n_test": int(len(te)), "n_test_unscorable": n_unscorable, "settings": settings.__dict__, "max_per_class": max_per_class,
                 "train_people": sorted(set(arr.subjects[tr])), "test_people": sorted(set(arr.subjects[te])),
                 "rows": []}
    val_p, test_p = {}, {}
    for name, spec in MEMBERS.items():
        if spec.get("signers") == "real" and len(set(arr.subjects[tr])) < 2:
            continue
        row, trained = run_variation(name, arr, tr, va, te, settings, spec=spec)
        val_p[name] = predict_proba(trained.model, arr.X[va], arr.M[va])
        test_p[name] = predict_proba(trained.model, arr.X[te], arr.M[te])
        # signing detection on the test clips plus the same clips with both hands removed (all "not signing")
        nh = predict_proba(trained.model, no_hands.X[te], no_hands.M[te])
        truth = np.r_[arr.y[te] != neg, np.zeros(len(te), bool)]
        s = np.r_[signing_scores(test_p[name], arr.labels), signing_scores(nh, arr.labels)]
        rep = detection_report(truth, s)
        row["nohands_pr_auc"], row["nohands_f1"], row["nohands_best_f1"] = rep["pr_auc"], rep["f1"], rep["best_f1"]
        row["params"] = sum(p.numel() for p in trained.model.parameters())
        res["rows"].append(row)
        print(split, json.dumps(row), flush=True)
        (out / f"{split}.json").write_text(json.dumps(res, indent=1, default=str))
    # ensemble: XGBoost stack fitted on the validation sessions' member outputs (members never trained on them)
    t0 = time.time()
    names = list(val_p)
    fv = np.concatenate([val_p[n] for n in names] + [window_statistics(arr.X[va], arr.M[va])], 1)
    ft = np.concatenate([test_p[n] for n in names] + [window_statistics(arr.X[te], arr.M[te])], 1)
    stack = XGBStack(n_estimators=150, max_depth=3, learning_rate=0.1).fit(fv, arr.y[va])
    p = np.zeros((len(te), len(arr.labels)))
    p[:, stack.classes_.astype(int)] = stack.predict_proba(ft)
    row = {"variation": "xgb_stack(" + "+".join(names) + "+stats)", "model": "xgb_stack",
           **score(arr.y[te], p, arr.labels), "seconds": round(time.time() - t0, 1)}
    res["rows"].append(row)
    mean_p = np.mean([test_p[n] for n in names], 0)
    res["rows"].append({"variation": "mean of members", "model": "average", **score(arr.y[te], mean_p, arr.labels)})
    print(split, json.dumps(res["rows"][-2:]), flush=True)
    (out / f"{split}.json").write_text(json.dumps(res, indent=1, default=str))
    return res


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("what", choices=["session", "person", "variations"])
    ap.add_argument("--out", default="runs/issue6")
    ap.add_argument("--epochs", type=int, default=6)
    ap.add_argument("--max-per-class", type=int, default=40)
    ap.add_argument("--test-subject", default="dmohazab")
    a = ap.parse_args()
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    settings = RunSettings(epochs=a.epochs, threads=1, batch_size=32)
    if a.what == "variations":
        run_variations(WORDS, out / "variations", split="session", max_per_class=a.max_per_class, schema=SCHEMA,
                       base_params={"channels": (32, 64, 64), "gru_hidden": 128}, settings=settings)
    else:
        compare(a.what, out, settings, a.max_per_class, a.test_subject if a.what == "person" else None)


if __name__ == "__main__":
    sys.exit(main())
