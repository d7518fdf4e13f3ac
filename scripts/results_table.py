"""Print the markdown results table from the run folders that scripts/results_issue4.sh writes."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import yaml


def main(root: str) -> None:
    print("| dataset | split rule | model | features | test n | accuracy | macro-F1 | training time | command |")
    print("|---|---|---|---|---|---|---|---|---|")
    for d in sorted(Path(root).glob("*/metrics.json")):
        m = json.loads(d.read_text())
        cfg = yaml.safe_load((d.parent / "config.yaml").read_text())
        sp = m["split"]
        rule = f"by {sp['group_by']}"
        if cfg["split"].get("test_groups"):
            rule = f"{cfg['split'].get('test_by') or sp['group_by']} {', '.join(cfg['split']['test_groups'])} " \
                   f"held out (val by {sp['group_by']})"
        else:
            groups = json.loads((d.parent / "splits.json").read_text())["groups"]
            rule += f", {len(groups['test'])} of {sum(len(v) for v in groups.values())} held out"
        sets = " ".join(f"--set '{k}'" for k in _sets(cfg))
        cmd = (f"gestura train --data {cfg['data']['path']} --features {cfg['features']['schema']} "
               f"--model {cfg['model']['name']} --out {d.parent} {sets}")
        print(f"| {'/'.join(Path(cfg['data']['path']).parts[-2:])} | {rule} | {m['model']} | {m['features']} | {m['test']['n']} | "
              f"{m['test']['accuracy']:.4f} | {m['test']['macro_f1']:.4f} | {m['train_seconds']:.0f} s | "
              f"`{cmd}` |")


def _sets(cfg: dict) -> list[str]:
    out = [f"split.group_by={cfg['split']['group_by']}"] if cfg["split"].get("group_by") else []
    if cfg["split"].get("test_groups"):
        out += [f"split.test_by={cfg['split']['test_by']}", f"split.test_groups={json.dumps(cfg['split']['test_groups'])}"]
    if cfg["model"]["params"]:
        out.append("model.params=" + json.dumps(cfg["model"]["params"]).replace('"', ""))
    if cfg["model"]["name"] not in ("logreg", "knn"):
        out += [f"schedule.epochs={cfg['schedule']['epochs']}", f"schedule.patience={cfg['schedule']['patience']}",
                f"optim.lr={cfg['optim']['lr']}", f"threads={cfg.get('threads', 2)}"]
    return out


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "runs/results")
