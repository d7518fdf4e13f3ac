"""Group-wise splits: no group in two splits, stratification, held-out groups, splits.json round trip."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from gestura.data.splits import Split, choose_group_key, group_values, leave_one_group_out, make_split
from gestura.data.synthetic import make_dataset
from gestura.errors import ConfigError, InputError


@pytest.fixture(scope="module")
def seqs() -> list:
    ds = make_dataset(6, 3, n_classes=3, seed=1, n_frames=12)
    out = []
    for i, s in enumerate(ds.sequences):
        out.append(replace(s, session=f"sess{i % 2}", episode=f"ep{i // 3}"))
    return out


@pytest.mark.parametrize("key", ["subject", "session", "episode", "video"])
def test_no_group_leaks(seqs: list, key: str) -> None:
    sp = make_split(seqs, group_by=key, seed=3)
    groups = dict(zip([s.video_id for s in seqs], group_values(seqs, key)))
    parts = [{groups[i] for i in ids} for ids in (sp.train, sp.val, sp.test)]
    assert not (parts[0] & parts[1] or parts[0] & parts[2] or parts[1] & parts[2])
    assert len(sp.train) + len(sp.val) + len(sp.test) == len(seqs)
    assert sp.train and sp.test and sp.group_by == key


def test_default_key_order_and_alias(seqs: list) -> None:
    assert choose_group_key(seqs) == "subject"
    no_subject = [replace(s, subject=None) for s in seqs]
    assert choose_group_key(no_subject) == "episode"  # only 2 sessions without subjects: too few groups
    assert choose_group_key([replace(s, subject=None, episode=None) for s in seqs]) == "video"
    assert choose_group_key(seqs, "recorded_by") == "subject"
    with pytest.raises(ConfigError, match="unknown key"):
        choose_group_key(seqs, "camera")


def test_sessions_are_unique_per_subject(seqs: list) -> None:
    vals = set(group_values(seqs, "session"))
    assert len(vals) == 12 and all("/" in v for v in vals)


def test_held_out_groups_and_stratification(seqs: list) -> None:
    sp = make_split(seqs, group_by="subject", test_groups=["s02"], val_groups=["s05"])
    assert sp.groups["test"] == ["s02"] and sp.groups["val"] == ["s05"]
    test_labels = [s.label for s in seqs if s.video_id in set(sp.test)]
    assert sorted(set(test_labels)) == sorted({s.label for s in seqs})
    with pytest.raises(InputError, match="unknown subject"):
        make_split(seqs, group_by="subject", test_groups=["nobody"])


def test_leave_one_group_out(seqs: list) -> None:
    splits = leave_one_group_out(seqs, "subject")
    assert [sp.groups["test"] for sp in splits] == [[f"s{i:02d}"] for i in range(6)]
    covered = sorted(i for sp in splits for i in sp.test)
    assert covered == sorted(s.video_id for s in seqs)


def test_json_round_trip_and_reuse(seqs: list, tmp_path: Path) -> None:
    sp = make_split(seqs, group_by="subject", seed=7, window=12, stride=4)
    sp.save(tmp_path / "splits.json")
    back = Split.load(tmp_path / "splits.json")
    assert back == sp
    ids = [s.video_id for s in seqs]
    assert int(back.part_of(ids, "test").sum()) == len(sp.test)
    assert make_split(seqs, group_by="subject", seed=7).test == sp.test  # deterministic under a seed


def test_bad_splits(seqs: list, tmp_path: Path) -> None:
    with pytest.raises(InputError, match="empty dataset"):
        make_split([])
    one = [replace(s, subject="same") for s in seqs]
    with pytest.raises(InputError, match="too few"):
        make_split(one, group_by="subject")
    (tmp_path / "bad.json").write_text('{"train": ["a"], "val": [], "test": ["a"], "group_by": "subject"}')
    with pytest.raises(InputError, match="more than one split"):
        Split.load(tmp_path / "bad.json")
    np.testing.assert_equal(len(group_values(seqs, "video")), len(seqs))


def test_hold_out_a_person_draw_sessions(seqs: list) -> None:
    sp = make_split(seqs, group_by="session", test_by="recorded_by", test_groups=["s01"], seed=0)
    test_subjects = {s.subject for s in seqs if s.video_id in set(sp.test)}
    other = {s.subject for s in seqs if s.video_id in set(sp.train) | set(sp.val)}
    assert test_subjects == {"s01"} and "s01" not in other and sp.val and sp.group_by == "session"


# ---------------------------------------------------------------------------------------------- issue 19 item 7
@pytest.fixture(scope="module")
def seed003(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from gestura.data.formats import write_seed003
    from gestura.data.synthetic import make_dataset

    return write_seed003(tmp_path_factory.mktemp("split") / "d", make_dataset(4, 2, n_classes=3, n_frames=12).sequences)


@pytest.mark.parametrize("args, needle", [
    (["--test-fraction", "1.5"], "split.test_fraction: 1.5 is out of bounds (must be > 0 and < 1)"),
    (["--test-fraction", "0"], "split.test_fraction: 0 is out of bounds"),
    (["--test-fraction", "nan"], "split.test_fraction: must be finite"),
    (["--val-fraction", "-1"], "split.val_fraction: -1 is out of bounds"),
    (["--test-fraction", "0.6", "--val-fraction", "0.5"], "leave nothing to train on"),
    (["--window", "0"], "split.window: 0 is out of bounds (must be >= 1 and <= 4096)"),
    (["--stride", "-2"], "split.stride: -2 is out of bounds"),
])
def test_split_cli_refuses_wrong_values(seed003: Path, tmp_path: Path, args: list[str], needle: str) -> None:
    from typer.testing import CliRunner

    from gestura.cli import app

    res = CliRunner().invoke(app, ["split", "--data", str(seed003), "--out", str(tmp_path / "s.json"), *args])
    assert res.exit_code == 2 and needle in res.stderr and res.stderr.count("\n") == 1, res.output
    assert not (tmp_path / "s.json").exists()


def test_split_out_folder_and_bad_window_in_file(seed003: Path, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from gestura.cli import app

    res = CliRunner().invoke(app, ["split", "--data", str(seed003), "--out", str(tmp_path)])
    assert res.exit_code == 2 and "is a folder; give the splits.json file" in res.stderr
    res = CliRunner().invoke(app, ["split", "--data", str(seed003), "--out", str(tmp_path / "s.json")])
    assert res.exit_code == 0, res.output
    doc = json.loads((tmp_path / "s.json").read_text())
    doc["window"] = -3
    (tmp_path / "s.json").write_text(json.dumps(doc))
    with pytest.raises(InputError, match="s.json: window: -3 is out of bounds"):
        Split.load(tmp_path / "s.json")
    res = CliRunner().invoke(app, ["train", "--data", str(seed003), "--splits", str(tmp_path / "s.json"),
                                   "--out", str(tmp_path / "run")])
    assert res.exit_code == 2 and "window: -3 is out of bounds" in res.stderr, res.output
    assert not (tmp_path / "run").exists()


def _one_signer_classes(seqs: list) -> list:
    """Three signers x three classes, but class 1 signed by s01 only and class 2 by s00 only (four sessions
    each): a split by signer trains on one signer, so it always misses one of the two classes."""
    names = sorted({x.label for x in seqs})
    owner = {names[1]: "s01", names[2]: "s00"}
    return [replace(s, session=f"sess{i % 4}") for i, s in enumerate(seqs)
            if owner.get(s.label, s.subject) == s.subject]


def test_default_split_moves_to_sessions_when_a_class_has_one_signer() -> None:
    from gestura.data.splits import classes_missing_from_training, make_default_split, working_group_keys

    ds = make_dataset(3, 4, n_classes=3, seed=2, n_frames=12)
    seqs = _one_signer_classes(ds.sequences)
    names = sorted({s.label for s in seqs})
    by_subject = make_split(seqs, seed=0)
    missing = classes_missing_from_training(seqs, by_subject)
    assert by_subject.group_by == "subject" and len(missing) == 1 and missing[0] in names[1:]
    split, note = make_default_split(seqs, seed=0)
    assert split.group_by == "session" and classes_missing_from_training(seqs, split) == []
    assert note is not None and "\n" not in note and repr(missing[0]) in note and "by session instead" in note
    assert working_group_keys(seqs, seed=0)[0] == "session"
    # where the default already keeps every class, nothing changes and nothing is said
    plain, quiet = make_default_split(ds.sequences, seed=0)
    assert plain.group_by == "subject" and quiet is None


@pytest.mark.real_data
def test_default_split_of_asl_words_keeps_every_class(shared_datasets: Path) -> None:
    from gestura.data.formats import load_dataset
    from gestura.data.splits import classes_missing_from_training, make_default_split

    seqs = load_dataset(shared_datasets / "asl-traduttore" / "words").sequences
    by_subject = make_split(seqs, seed=0)
    assert by_subject.group_by == "subject" and classes_missing_from_training(seqs, by_subject)
    split, note = make_default_split(seqs, seed=0)
    assert split.group_by == "session" and classes_missing_from_training(seqs, split) == []
    assert note is not None and "grouping by session instead" in note


def test_leave_one_signer_out_scores_shared_classes_only() -> None:
    from gestura.data.splits import held_out_folds, single_signer_classes

    ds = make_dataset(3, 4, n_classes=3, seed=2, n_frames=12)
    seqs = _one_signer_classes(ds.sequences)
    names = sorted({s.label for s in seqs})
    assert single_signer_classes(seqs) == {names[1]: "s01", names[2]: "s00"}
    folds = held_out_folds(seqs, by="subject", val_fraction=0.3)
    assert [f.name for f in folds] == ["s00", "s01", "s02"]
    by_id = {s.video_id: s for s in seqs}
    for f in folds:
        held = {s.video_id for s in seqs if s.subject == f.held_out[0]}
        assert set(f.test) | set(f.unscorable) == held
        assert not (set(f.train) | set(f.val)) & held and not set(f.train) & set(f.val)
        assert {by_id[i].label for i in f.test} == set(f.shared_classes) <= set(f.train_classes)
        assert set(f.unseen_classes) == {by_id[i].label for i in f.unscorable}
        assert {by_id[i].label for i in f.train} == set(f.train_classes)  # validation never takes a whole class
    s00 = folds[0]
    assert s00.unseen_classes == [names[2]] and names[1] in s00.train_classes


def test_session_folds_hold_out_sessions_of_everyone(seqs: list) -> None:
    from gestura.data.splits import held_out_folds

    folds = held_out_folds(seqs, by="session", n_folds=3, seed=1)
    assert len(folds) == 3
    tests = [set(f.test) | set(f.unscorable) for f in folds]
    assert set().union(*tests) == {s.video_id for s in seqs}
    assert all(not a & b for i, a in enumerate(tests) for b in tests[i + 1:])
    with pytest.raises(ConfigError, match="subject or session"):
        held_out_folds(seqs, by="episode")


@pytest.mark.real_data
def test_leave_one_signer_out_on_asl_words(shared_datasets: Path) -> None:
    from gestura.data.formats import load_dataset
    from gestura.data.splits import held_out_folds, single_signer_classes

    seqs = load_dataset(shared_datasets / "asl-traduttore" / "words").sequences
    only = single_signer_classes(seqs)
    folds = {f.name: f for f in held_out_folds(seqs, by="subject")}
    assert set(folds) == {s.subject for s in seqs}
    for name, f in folds.items():
        assert f.unseen_classes == sorted(c for c, who in only.items() if who == name)
        assert not set(f.shared_classes) & set(f.unseen_classes)
    assert len(folds["dmohazab"].unscorable) == 0 and folds["Alex"].shared_classes


def test_session_validation_takes_whole_sessions_and_keeps_every_class() -> None:
    from gestura.data.splits import session_validation

    seqs = make_dataset(4, 3, n_classes=3, seed=3, n_frames=12).sequences
    train, val = session_validation(seqs, val_fraction=0.3, seed=0)
    assert sorted(train + val) == sorted(s.video_id for s in seqs) and val and not set(train) & set(val)
    by_id = {s.video_id: s for s in seqs}
    val_sessions = {by_id[i].session for i in val}
    assert not val_sessions & {by_id[i].session for i in train}  # whole sessions only
    assert {by_id[i].label for i in train} == {s.label for s in seqs}
    odd = _one_signer_classes(seqs)  # a class only one person signs never loses its training clips
    train, val = session_validation(odd, val_fraction=0.5, seed=0)
    assert {by_id[i].label for i in train} == {s.label for s in odd}
