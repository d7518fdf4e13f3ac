"""scripts/sign_protocol.py's graph runs: each --variants name is a distinct VARIATIONS configuration, the twin has
every signer-conditioning part off, and a tiny leave-one-signer-out run trains, scores and keeps its curves."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType

import pytest

from gestura.models import create_model
from gestura.training.variations import VARIATIONS

SCRIPTS = Path(__file__).resolve().parents[2] / "scripts"


def _load(name: str) -> ModuleType:
    sys.path.insert(0, str(SCRIPTS))
    try:
        spec = importlib.util.spec_from_file_location(name, SCRIPTS / f"{name}.py")
        assert spec is not None and spec.loader is not None
        mod = importlib.util.module_from_spec(spec)
        sys.modules[name] = mod
        spec.loader.exec_module(mod)
        return mod
    finally:
        sys.path.remove(str(SCRIPTS))


@pytest.fixture(scope="module")
def protocol() -> ModuleType:
    return _load("sign_protocol")


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory, make_tiny) -> Path:  # type: ignore[no-untyped-def]
    return make_tiny(tmp_path_factory.mktemp("signers") / "data", n_subjects=4, n_per_class=3, n_frames=None)


def test_each_variant_is_a_distinct_variations_entry(protocol: ModuleType) -> None:
    runs = protocol.graph_runs(["stgcn", "sca_stgcn"], list(protocol.GRAPH_VARIANTS))
    assert runs[0] == "stgcn" and len(runs) == 1 + len(protocol.GRAPH_VARIANTS)
    specs = {r: protocol.graph_spec(r) for r in runs}
    for run, (name, spec) in specs.items():
        if run != "stgcn":
            assert spec is VARIATIONS[name]  # the one definition, not a copy
    configs = [json.dumps(spec, sort_keys=True) for _, spec in specs.values()]
    assert len(set(configs)) == len(configs)
    with pytest.raises(ValueError, match="unknown variant"):
        protocol.graph_runs(["sca_stgcn"], ["twin", "nope"])
    assert protocol.graph_runs(["bilstm"], ["twin"]) == []


def test_the_twin_has_no_signer_conditioning_and_the_variants_do(protocol: ModuleType) -> None:
    def build(run: str) -> object:
        _, spec = protocol.graph_spec(run)
        params = {**spec["params"], **({"n_signers": 3} if spec["params"].get("adversarial") else {})}
        return create_model("sca_stgcn", input_dim=63, num_classes=3, skeleton="mediapipe-hand-21",
                            channels=(4, 4), dilations=(1, 2), gru_hidden=4, **params)

    twin = build("sca_stgcn/twin")
    assert twin.attn.q_bias is None and twin.attn.film is None  # type: ignore[attr-defined]
    assert twin.adv_head is None and twin.proj is None  # type: ignore[attr-defined]
    assert build("sca_stgcn/bias_attention").attn.q_bias is not None  # type: ignore[attr-defined]
    assert build("sca_stgcn/film").attn.film is not None  # type: ignore[attr-defined]
    assert build("sca_stgcn/adversarial").adv_head is not None  # type: ignore[attr-defined]
    assert build("sca_stgcn/pseudo_signers").adv_head is not None  # type: ignore[attr-defined]
    assert build("sca_stgcn/supcon").proj is not None  # type: ignore[attr-defined]
    assert protocol.graph_spec("sca_stgcn/adversarial")[1]["signers"] == "real"
    assert protocol.graph_spec("sca_stgcn/pseudo_signers")[1]["signers"] == "pseudo"


def test_tiny_leave_one_signer_out_run_keeps_curves_and_tabulates(protocol: ModuleType, data_dir: Path,
                                                                   tmp_path: Path) -> None:
    out = tmp_path / "out"
    rc = protocol.main(["--data", str(data_dir), "--models", "stgcn,sca_stgcn", "--variants", "twin,adversarial",
                        "--features", "joints-hand-v1", "--seeds", "0", "--epochs", "2", "--graph-width", "4,4",
                        "--gru-hidden", "4", "--held-out", "s00", "--out", str(out)])
    assert rc == 0
    runs = json.loads((out / "results.json").read_text())["runs"]
    assert sorted(r["model"] for r in runs) == ["sca_stgcn/adversarial", "sca_stgcn/twin", "stgcn"]
    assert {r["fold"] for r in runs} == {"s00"}  # --held-out keeps only that fold
    for r in runs:
        assert 0 <= r["accuracy"] <= 1 and 0 <= r["macro_f1"] <= 1 and r["width"] == [4, 4]
        assert [h["epoch"] for h in r["history"]] == [1, 2] and 1 <= r["best_epoch"] <= 2
    table = (out / "variants.md").read_text()
    assert "| sca_stgcn/twin |" in table and "| sca_stgcn/adversarial |" in table and "(twin)" in table
    # a rerun skips the finished runs
    protocol.main(["--data", str(data_dir), "--models", "sca_stgcn", "--variants", "twin", "--features",
                   "joints-hand-v1", "--seeds", "0", "--epochs", "2", "--graph-width", "4,4", "--gru-hidden", "4",
                   "--held-out", "s00", "--out", str(out)])
    assert len(json.loads((out / "results.json").read_text())["runs"]) == 3


def test_graph_models_refuse_a_non_joint_schema(protocol: ModuleType, data_dir: Path, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="joint-layout schema"):
        protocol.main(["--data", str(data_dir), "--models", "stgcn", "--features", "sign-multimodal-v1",
                       "--seeds", "0", "--epochs", "1", "--held-out", "s00", "--out", str(tmp_path / "o")])


def test_report_merges_runs_and_draws_the_curves(protocol: ModuleType, tmp_path: Path) -> None:
    report = _load("sign_variants_report")

    def run(model: str, seed: int, acc: float, out: Path) -> None:
        hist = [{"epoch": e, "train_loss": 1.0 / e, "val_accuracy": acc * e / 4} for e in (1, 2, 3, 4)]
        doc = {"runs": [{"data": "d", "protocol": "subject", "features": "joints-hand-v1", "model": model,
                         "fold": "a", "seed": seed, "accuracy": acc, "macro_f1": acc, "history": hist,
                         "width": [4, 4], "gru_hidden": 4, "epochs": 4}]}
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(doc))

    run("sca_stgcn/twin", 0, 0.50, tmp_path / "s0" / "results.json")
    run("sca_stgcn/film", 0, 0.60, tmp_path / "s1" / "results.json")
    run("sca_stgcn/supcon", 0, 0.51, tmp_path / "s2" / "results.json")
    table, plot = tmp_path / "t.md", tmp_path / "img" / "curves.png"
    assert report.main([str(p) for p in sorted(tmp_path.glob("s*/results.json"))]
                       + ["--table", str(table), "--plot", str(plot)]) == 0
    rows = {line.split("|")[1].strip(): line for line in table.read_text().splitlines() if line.startswith("| sca")}
    assert "+10.00 pt" in rows["sca_stgcn/film"] and "| yes (1 fold) |" in rows["sca_stgcn/film"]
    assert "0.600 (+10.0)" in rows["sca_stgcn/film"]  # the fold's difference to the twin
    assert rows["sca_stgcn/film"].rstrip().endswith("| +45.0 pt |")  # val rise over the last 3 epochs
    assert "+1.00 pt" in rows["sca_stgcn/supcon"] and "not reproduced" in rows["sca_stgcn/supcon"]
    assert plot.is_file() and plot.stat().st_size > 10_000
