"""scripts/sign_protocol.py --stack: the combiners on the same member scores, out-of-fold rows by session and by
signer, member scores trained once and reused, the command recorded for the model card."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]


def load_script():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("sign_protocol", ROOT / "scripts" / "sign_protocol.py")
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_stack_combiners_share_member_scores_and_record_the_command(tmp_path: Path) -> None:
    from gestura.data.formats import write_seed003
    from gestura.data.synthetic import make_dataset

    sp = load_script()
    write_seed003(tmp_path / "signs", make_dataset(3, 4, n_classes=3, seed=0, n_frames=12).sequences)
    argv = ["--data", str(tmp_path / "signs"), "--models", "logreg,bilstm", "--seeds", "0", "--features",
            "sign-multimodal-v1", "--protocols", "subject", "--stack", "--stack-folds", "3", "--stack-by",
            "session,subject", "--epochs", "1", "--out", str(tmp_path / "out")]
    assert sp.main(argv) == 0
    doc = json.loads((tmp_path / "out" / "results.json").read_text())
    runs = {(r["model"], r["fold"]): r for r in doc["runs"]}
    combiners = {"soft_vote", "logreg_stack", "xgb_stack", "logreg_stack_signers", "xgb_stack_signers"}
    assert {m for m, _ in runs} == {"logreg", "bilstm"} | combiners
    for fold in ("s00", "s01", "s02"):
        assert runs[("xgb_stack_signers", fold)]["oof_folds"] == 2  # the two training signers
        assert runs[("xgb_stack_signers", fold)]["inner_trainings"] == 4
        assert runs[("xgb_stack", fold)]["oof_by"] == "session"
        pdir = tmp_path / "out" / "proba" / f"signs-sign-multimodal-v1-subject-{fold}-s0"
        assert (pdir / "test-bilstm.npy").is_file() and (pdir / "oof-subject-bilstm.npy").is_file()
        assert runs[("soft_vote", fold)]["members"] == ["logreg", "bilstm"]
    before = (tmp_path / "out" / "proba").stat().st_mtime_ns, len(doc["runs"])
    assert sp.main(argv) == 0  # everything done: nothing retrained, the command is still recorded once
    again = json.loads((tmp_path / "out" / "results.json").read_text())
    assert len(again["runs"]) == before[1] and len(again["commands"]) == 1
    assert again["commands"][0].startswith("python scripts/sign_protocol.py --data ")


def test_combiners_put_each_class_in_its_column() -> None:
    """The soft vote is the members' mean; a meta-learner whose training rows lack a class gives it probability 0
    in that class's column, and the other columns sum to one."""
    sp = load_script()
    rng = np.random.default_rng(0)
    y = np.array([0, 2] * 20)
    cols = [np.eye(3, dtype=np.float32)[y] * 0.8 + 0.1, rng.random((40, 3)).astype(np.float32)]
    test = [np.eye(3, dtype=np.float32)[[2, 0, 2]], np.full((3, 3), 1 / 3, np.float32)]
    assert np.allclose(sp.combine("soft_vote", [], y, test, 3, 0), (test[0] + test[1]) / 2)
    for kind in ("logreg", "xgb"):
        p = sp.combine(kind, cols, y, test, 3, 0)
        assert p.shape == (3, 3) and np.all(p[:, 1] == 0) and np.allclose(p.sum(1), 1, atol=1e-5)
        assert p.argmax(1).tolist() == [2, 0, 2]
