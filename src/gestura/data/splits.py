"""Group-wise train/val/test splits that do not leak people, sessions or recordings across splits.

The grouping key is the first one the dataset knows, in order `subject`, `session`, `episode`, `video`
(or the one asked for; `recorded_by` is an alias of `subject`). A session id is made unique per subject.
Splits are stratified by label where the groups allow it (sklearn `StratifiedGroupKFold`), and can be written
to / read from `splits.json` (train/val/test sequence ids, grouping key, window, stride, seed).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from gestura.errors import ConfigError, InputError
from gestura.io import read_json, write_json
from gestura.limits import check_fraction, check_window

GROUP_KEYS = ("subject", "session", "episode", "video")
ALIASES = {"recorded_by": "subject", "person": "subject", "signer": "subject", "video_id": "video",
           "recording": "episode"}


@dataclass
class Split:
    """Sequence ids (`video_id`) per split, with how they were made."""

    train: list[str]
    val: list[str]
    test: list[str]
    group_by: str
    seed: int = 0
    window: int | None = None
    stride: int | None = None
    groups: dict[str, list[str]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"group_by": self.group_by, "seed": self.seed, "window": self.window, "stride": self.stride,
                "groups": self.groups, "train": self.train, "val": self.val, "test": self.test}

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write `splits.json` atomically (a folder given as the path is one `InputError`)."""
        if Path(path).is_dir():
            raise InputError(f"{path}: is a folder; give the splits.json file to write")
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        write_json(path, self.to_dict())

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> Split:
        """Read `splits.json`; missing keys or overlapping ids are a one-line `InputError`."""
        d = read_json(path)
        try:
            sp = cls(train=list(d["train"]), val=list(d["val"]), test=list(d["test"]), group_by=str(d["group_by"]),
                     seed=int(d.get("seed", 0)), window=d.get("window"), stride=d.get("stride"),
                     groups=dict(d.get("groups") or {}))
        except (KeyError, TypeError, ValueError) as err:
            raise InputError(f"{path}: not a splits file (missing/bad {err})") from None
        if set(sp.train) & set(sp.test) or set(sp.train) & set(sp.val) or set(sp.val) & set(sp.test):
            raise InputError(f"{path}: a sequence id appears in more than one split")
        for name in ("window", "stride"):
            if getattr(sp, name) is not None:
                check_window(getattr(sp, name), f"{path}: {name}", InputError)
        return sp

    def part_of(self, ids: Sequence[str], which: str) -> np.ndarray:
        """`(N,)` bool: which of `ids` are in split `which` (`train`/`val`/`test`/`all`)."""
        if which == "all":
            return np.ones(len(ids), dtype=bool)
        chosen = set(getattr(self, which))
        return np.array([i in chosen for i in ids], dtype=bool)


def group_values(sequences: Sequence[Any], key: str) -> list[str | None]:
    """The group id of each sequence for `key` (None where unknown); sessions are prefixed by subject."""
    key = ALIASES.get(key, key)
    if key not in GROUP_KEYS:
        raise ConfigError(f"split.group_by: unknown key {key!r}; choose from {list(GROUP_KEYS) + list(ALIASES)}")
    out: list[str | None] = []
    for s in sequences:
        if key == "video":
            v = s.video_id or None
        elif key == "session":
            v = s.session
            if v is not None and s.subject is not None:
                v = f"{s.subject}/{v}"
        else:
            v = getattr(s, key)
        out.append(None if v in (None, "") else str(v))
    return out


def choose_group_key(sequences: Sequence[Any], group_by: str | None = None, min_groups: int = 3) -> str:
    """`group_by` if given, else the first of subject/session/episode/video with ids and >= `min_groups` groups."""
    if group_by:
        key = ALIASES.get(group_by, group_by)
        vals = group_values(sequences, key)
        if any(v is None for v in vals):
            raise InputError(f"split.group_by={group_by!r}: {sum(v is None for v in vals)} sequences have no "
                             f"{key} id")
        return key
    for key in GROUP_KEYS:
        vals = group_values(sequences, key)
        if all(v is not None for v in vals) and len(set(vals)) >= min_groups:
            return key
    raise InputError("no grouping key (subject/session/episode/video) with at least "
                     f"{min_groups} groups; cannot make a split without leaks")


def sequence_labels(sequences: Sequence[Any]) -> list[str]:
    """One label per sequence: the clip label, or the most common frame label."""
    out = []
    for s in sequences:
        if s.label is not None:
            out.append(str(s.label))
        elif s.frame_labels is not None and len(s.frame_labels):
            vals, counts = np.unique(s.frame_labels, return_counts=True)
            out.append(str(vals[np.argmax(counts)]))
        else:
            out.append("")
    return out


def make_split(sequences: Sequence[Any], *, group_by: str | None = None, test_fraction: float = 0.2,
               val_fraction: float = 0.15, seed: int = 0, test_groups: Sequence[str] | None = None,
               val_groups: Sequence[str] | None = None, window: int | None = None,
               stride: int | None = None, test_by: str | None = None) -> Split:
    """Split sequences into train/val/test by group, stratified by label where possible.

    `test_groups`/`val_groups` hold out named groups (e.g. one person) instead of drawing them. `test_by`
    names the key `test_groups` refer to when it differs from `group_by` (hold out person X, draw validation
    sessions among the others).
    """
    check_fraction(test_fraction, "split.test_fraction", error=InputError)
    check_fraction(val_fraction, "split.val_fraction", error=InputError)
    if test_fraction + val_fraction >= 1:
        raise InputError(f"split: test_fraction {test_fraction:g} + val_fraction {val_fraction:g} leave nothing "
                         "to train on (their sum must be < 1)")
    for name, value in (("window", window), ("stride", stride)):
        if value is not None:
            check_window(value, f"split.{name}", InputError)
    if len(sequences) == 0:
        raise InputError("empty dataset: nothing to split")
    ids = [s.video_id for s in sequences]
    if len(set(ids)) != len(ids):
        raise InputError("sequence ids (video_id) are not unique; cannot write a split by id")
    key = choose_group_key(sequences, group_by)
    groups = np.array(group_values(sequences, key), dtype=object)
    labels = np.array(sequence_labels(sequences), dtype=object)
    known = set(groups.tolist())
    checks = [("val_groups", val_groups)] + ([] if test_by else [("test_groups", test_groups)])
    for name, chosen in checks:
        if chosen and (missing := sorted(set(chosen) - known)):
            raise InputError(f"split.{name}: unknown {key} id(s) {missing}; known: {sorted(known)[:12]}")
    all_idx = np.arange(len(sequences))
    if test_groups and test_by and ALIASES.get(test_by, test_by) != key:
        tkey = choose_group_key(sequences, test_by)
        tvals = np.array(group_values(sequences, tkey), dtype=object)
        if missing := sorted(set(test_groups) - set(tvals.tolist())):
            raise InputError(f"split.test_groups: unknown {tkey} id(s) {missing}")
        test_mask = np.isin(tvals, list(test_groups))
        if straddle := sorted(set(groups[test_mask].tolist()) & set(groups[~test_mask].tolist())):
            raise InputError(f"split: {key} group(s) {straddle[:3]} lie on both sides of the held-out {tkey}")
    elif test_groups:
        test_mask = np.isin(groups, list(test_groups))
    else:
        test_mask = _draw(all_idx, labels, groups, test_fraction, seed)
    rest = all_idx[~test_mask]
    if val_groups:
        val_mask = np.zeros(len(sequences), dtype=bool)
        val_mask[rest] = np.isin(groups[rest], list(val_groups))
    else:
        val_mask = np.zeros(len(sequences), dtype=bool)
        val_mask[rest[_draw(rest, labels[rest], groups[rest], val_fraction / (1 - test_fraction), seed + 1)]] = True
    train_mask = ~(test_mask | val_mask)
    if not train_mask.any() or not test_mask.any():
        raise InputError(f"split by {key}: {len(known)} group(s) are too few for train and test")
    parts = {n: [ids[i] for i in np.flatnonzero(m)] for n, m in
             (("train", train_mask), ("val", val_mask), ("test", test_mask))}
    grp = {n: sorted(set(groups[m].tolist())) for n, m in
           (("train", train_mask), ("val", val_mask), ("test", test_mask))}
    return Split(**parts, group_by=key, seed=seed, window=window, stride=stride, groups=grp)


def classes_missing_from_training(sequences: Sequence[Any], split: Split) -> list[str]:
    """Labels of `sequences` that no training sequence of `split` carries (sorted)."""
    train = set(split.train)
    have: set[str] = set()
    wanted: set[str] = set()
    for s, lb in zip(sequences, sequence_labels(sequences)):
        labels = {lb} if s.label is not None or s.frame_labels is None else {str(x) for x in np.unique(s.frame_labels)}
        labels.discard("")
        wanted |= labels
        if s.video_id in train:
            have |= labels
    return sorted(wanted - have)


def make_default_split(sequences: Sequence[Any], **kwargs: Any) -> tuple[Split, str | None]:
    """`make_split` with the default grouping, moving to a finer one when a class would have no training sequence.

    A new user's data often has classes signed by one person only: held out by person, such a class cannot be
    learnt. The default key (subject, ...) is tried first, then the next keys with enough groups (session,
    episode, video); the first that keeps every class in training wins. Returns `(split, note)`, where `note`
    is one line saying which grouping replaced the default and why (None when the default worked). If no key
    keeps every class, the default key's split is returned with a note naming the missing classes.
    """
    first = make_split(sequences, **kwargs)
    missing = classes_missing_from_training(sequences, first)
    if not missing:
        return first, None
    for key in GROUP_KEYS[GROUP_KEYS.index(first.group_by) + 1:]:
        vals = group_values(sequences, key)
        if any(v is None for v in vals) or len(set(vals)) < 3:
            continue
        split = make_split(sequences, **{**kwargs, "group_by": key})
        if not classes_missing_from_training(sequences, split):
            return split, (f"split: grouping by {first.group_by} leaves class(es) {_short(missing)} without a "
                           f"training sequence (signed by held-out {first.group_by}s only); grouping by {key} "
                           f"instead (pass --group-by to choose)")
    return first, f"split: no grouping keeps class(es) {_short(missing)} in training"


def working_group_keys(sequences: Sequence[Any], **kwargs: Any) -> list[str]:
    """The grouping keys whose split (with these `make_split` options) keeps every class in training."""
    out = []
    for key in GROUP_KEYS:
        vals = group_values(sequences, key)
        if any(v is None for v in vals) or len(set(vals)) < 3:
            continue
        try:
            split = make_split(sequences, **{**kwargs, "group_by": key})
        except InputError:
            continue
        if not classes_missing_from_training(sequences, split):
            out.append(key)
    return out


@dataclass
class HeldOutFold:
    """One fold of a held-out protocol: `held_out` groups (of `key`) form the test set.

    `test` holds only clips of classes the training people also sign (`shared_classes`); the held-out clips of
    classes nobody in training signs are in `unscorable` (their classes in `unseen_classes`): no model could name
    them, so counting them would measure the data, not the model. Validation is whole sessions of the training
    people, never the held-out ones.
    """

    name: str
    key: str
    held_out: list[str]
    train: list[str]
    val: list[str]
    test: list[str]
    unscorable: list[str]
    train_classes: list[str]
    shared_classes: list[str]
    unseen_classes: list[str]

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "key": self.key, "held_out": self.held_out, "n_train": len(self.train),
                "n_val": len(self.val), "n_test": len(self.test), "n_unscorable": len(self.unscorable),
                "train_classes": self.train_classes, "shared_classes": self.shared_classes,
                "unseen_classes": self.unseen_classes}


def single_signer_classes(sequences: Sequence[Any]) -> dict[str, str]:
    """`{class: signer}` for every class that one signer (subject) alone signs: unscorable when that signer is
    held out, and learnt from one body when not."""
    who: dict[str, set[str]] = {}
    for s, lb in zip(sequences, sequence_labels(sequences)):
        if lb:
            who.setdefault(lb, set()).add(str(s.subject))
    return {lb: next(iter(p)) for lb, p in sorted(who.items()) if len(p) == 1}


def held_out_folds(sequences: Sequence[Any], by: str = "subject", n_folds: int | None = None,
                   val_fraction: float = 0.15, seed: int = 0) -> list[HeldOutFold]:
    """Folds that hold out whole groups: one per signer for `by="subject"` (leave one signer out), or
    `n_folds` (default 3) label-stratified folds of sessions for `by="session"` (people seen, sessions not).

    Each fold's validation set is about `val_fraction` of the training sessions, drawn with `seed`; a session
    whose removal would leave a class without a training clip stays in training.
    """
    check_fraction(val_fraction, "val_fraction", error=InputError)
    key = ALIASES.get(by, by)
    if key not in ("subject", "session"):
        raise ConfigError(f"held_out_folds: by must be subject or session, got {by!r}")
    if len(sequences) == 0:
        raise InputError("empty dataset: nothing to split")
    ids = np.array([s.video_id for s in sequences], dtype=object)
    if len(set(ids.tolist())) != len(ids):
        raise InputError("sequence ids (video_id) are not unique; cannot make folds by id")
    groups = np.array(group_values(sequences, key), dtype=object)
    sessions = np.array(group_values(sequences, "session"), dtype=object)
    if any(g is None for g in groups) or any(g is None for g in sessions):
        raise InputError(f"held_out_folds: every sequence needs a {key} and a session id")
    labels = np.array(sequence_labels(sequences), dtype=object)
    if key == "subject":
        names = sorted(set(groups.tolist()))
        if len(names) < 2:
            raise InputError(f"held_out_folds: {len(names)} signer(s); leaving one out needs at least 2")
        tests = [(f"{n}", [n], groups == n) for n in names]
    else:
        from sklearn.model_selection import StratifiedGroupKFold

        k = n_folds or 3
        if len(set(groups.tolist())) < k:
            raise InputError(f"held_out_folds: {len(set(groups.tolist()))} sessions are too few for {k} folds")
        sgkf = StratifiedGroupKFold(n_splits=k, shuffle=True, random_state=seed)
        tests = []
        for i, (_, held) in enumerate(sgkf.split(ids, labels, groups)):
            mask = np.zeros(len(ids), bool)
            mask[held] = True
            tests.append((f"sessions-{i}", sorted(set(groups[held].tolist())), mask))
    folds = []
    for name, held, test_mask in tests:
        val_mask = _validation_sessions(test_mask, labels, sessions, val_fraction, seed)
        train_mask = ~test_mask & ~val_mask
        train_classes = sorted(set(labels[train_mask].tolist()) - {""})
        scorable = test_mask & np.isin(labels, train_classes)
        folds.append(HeldOutFold(
            name=name, key=key, held_out=list(held), train=ids[train_mask].tolist(), val=ids[val_mask].tolist(),
            test=ids[scorable].tolist(), unscorable=ids[test_mask & ~scorable].tolist(), train_classes=train_classes,
            shared_classes=sorted(set(labels[scorable].tolist())),
            unseen_classes=sorted(set(labels[test_mask & ~scorable].tolist()) - {""})))
    return folds


def _validation_sessions(test_mask: np.ndarray, labels: np.ndarray, sessions: np.ndarray, val_fraction: float,
                         seed: int) -> np.ndarray:
    """Boolean mask: about `val_fraction` of the sessions outside `test_mask`, drawn with `seed`; a session whose
    removal would leave a class without a training clip stays in training."""
    rest = np.flatnonzero(~test_mask)
    val_mask = np.zeros(len(labels), bool)
    val_mask[rest[_draw(rest, labels[rest], sessions[rest], val_fraction, seed + 1)]] = True
    for sess in sorted(set(sessions[val_mask].tolist())):  # keep every class of the training people
        in_sess = val_mask & (sessions == sess)
        left = set(labels[~test_mask & ~val_mask].tolist())
        if set(labels[in_sess].tolist()) - left:
            val_mask[in_sess] = False
    return val_mask


def session_validation(sequences: Sequence[Any], val_fraction: float = 0.15,
                       seed: int = 0) -> tuple[list[str], list[str]]:
    """`(train ids, validation ids)` of a build on every sequence: whole sessions as validation, drawn as
    `held_out_folds` draws them (no class loses its last training clip)."""
    check_fraction(val_fraction, "val_fraction", error=InputError)
    if len(sequences) == 0:
        raise InputError("empty dataset: nothing to split")
    ids = np.array([s.video_id for s in sequences], dtype=object)
    sessions = np.array(group_values(sequences, "session"), dtype=object)
    if any(g is None for g in sessions):
        raise InputError("session_validation: every sequence needs a session id")
    labels = np.array(sequence_labels(sequences), dtype=object)
    val_mask = _validation_sessions(np.zeros(len(ids), bool), labels, sessions, val_fraction, seed)
    return ids[~val_mask].tolist(), ids[val_mask].tolist()


def _short(items: Sequence[str], n: int = 5) -> str:
    shown = ", ".join(repr(x) for x in items[:n])
    return f"[{shown}{f', ... {len(items) - n} more' if len(items) > n else ''}]"


def leave_one_group_out(sequences: Sequence[Any], group_by: str | None = None, val_fraction: float = 0.15,
                        seed: int = 0) -> list[Split]:
    """One split per group: that group is the test set, validation groups are drawn from the rest."""
    key = choose_group_key(sequences, group_by)
    names = sorted({g for g in group_values(sequences, key) if g is not None})
    return [make_split(sequences, group_by=key, test_groups=[g], val_fraction=val_fraction, seed=seed)
            for g in names]


def _draw(idx: np.ndarray, labels: np.ndarray, groups: np.ndarray, fraction: float, seed: int) -> np.ndarray:
    """Boolean mask over `idx`: about `fraction` of the groups, stratified by label when the groups allow."""
    uniq = np.unique(groups)
    n_splits = int(round(1.0 / max(min(fraction, 0.5), 1e-3)))
    n_splits = max(2, min(n_splits, len(uniq)))
    if len(uniq) < 2:
        return np.zeros(len(idx), dtype=bool)
    from sklearn.model_selection import GroupShuffleSplit, StratifiedGroupKFold

    counts = np.unique(labels, return_counts=True)[1]
    if len(counts) > 1 and counts.min() >= n_splits:
        sgkf = StratifiedGroupKFold(n_splits=n_splits, shuffle=True, random_state=seed)
        _, held = next(iter(sgkf.split(idx, labels, groups)))
    else:
        gss = GroupShuffleSplit(n_splits=1, test_size=max(1, int(round(fraction * len(uniq)))), random_state=seed)
        _, held = next(iter(gss.split(idx, labels, groups)))
    mask = np.zeros(len(idx), dtype=bool)
    mask[held] = True
    return mask
