"""`extract --engine ray`: a private local Ray cluster on loopback gives the local engine's outputs."""

from __future__ import annotations

import csv
import os
import subprocess
from pathlib import Path

import numpy as np
import pytest

from gestura.data import ingest
from gestura.errors import InputError

MEDIA = "media/mediapipe-samples"


def _descendants(root: int) -> set[int]:
    """Pids of `root` and all its descendants, from /proc."""
    parent: dict[int, int] = {}
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                parent[int(d.name)] = int((d / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                pass
    found, grew = {root}, True
    while grew:
        new = {p for p, pp in parent.items() if pp in found} - found
        grew, found = bool(new), found | new
    return found


def _listening(pids: set[int]) -> list[str]:
    """Local addresses of TCP/UDP sockets listened on by `pids` (`ss -H -l -t -u -n -p`)."""
    out = subprocess.run(["ss", "-Hltunp"], capture_output=True, text=True, check=True).stdout
    addrs = []
    for line in out.splitlines():
        owners = {int(p) for p in __import__("re").findall(r"pid=(\d+)", line)}
        if owners & pids:
            addrs.append(line.split()[4])
    return addrs


@pytest.fixture(scope="module")
def ray_local():
    pytest.importorskip("ray")
    from gestura.data.executors import ray_cluster

    with ray_cluster(num_cpus=2) as ray:
        yield ray


def _rows(path: Path) -> list[dict[str, str]]:
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def test_manifest_csv_lists_files_with_labels_relative_to_the_csv(tmp_path):
    (tmp_path / "clips").mkdir()
    (tmp_path / "clips" / "a.mp4").write_bytes(b"")
    (tmp_path / "list.csv").write_text("path,label\nclips/a.mp4,wave hello\n/abs/missing.jpg,\n")
    jobs = ingest.plan_jobs(tmp_path / "list.csv", tmp_path / "out")
    assert [(j.video_id, j.kind, j.label) for j in jobs] == [("a", "video", "wave_hello"), ("missing", "image", None)]
    assert jobs[0].source == str(tmp_path / "clips" / "a.mp4")
    (tmp_path / "bad.csv").write_text("file\nx.mp4\n")
    with pytest.raises(InputError, match="bad.csv: manifest needs a 'path' column"):
        ingest.plan_jobs(tmp_path / "bad.csv", tmp_path / "out")
    with pytest.raises(InputError, match="--address and --num-cpus apply to --executor ray only"):
        ingest.extract(tmp_path / "list.csv", tmp_path / "out", num_cpus=2, progress=False)
    with pytest.raises(InputError, match="--executor must be local or ray"):
        ingest.extract(tmp_path / "list.csv", tmp_path / "out", engine="spark", progress=False)


def test_local_ray_cluster_listens_on_loopback_only(ray_local):
    assert ray_local.cluster_resources().get("CPU") == 2
    addrs = _listening(_descendants(os.getpid()))
    assert addrs, "no Ray listener found: the check would prove nothing"
    hosts = {a.rsplit(":", 1)[0].strip("[]").removeprefix("::ffff:") for a in addrs}
    assert hosts <= {"127.0.0.1", "::1"}, addrs


@pytest.mark.real_data
@pytest.mark.slow
def test_ray_engine_writes_what_the_local_engine_writes(tmp_path, shared_datasets, ray_local):
    pytest.importorskip("mediapipe")
    video = shared_datasets / MEDIA / "open_hand_video.mp4"
    (tmp_path / "blank.mp4").write_bytes(b"")
    manifest = tmp_path / "list.csv"
    manifest.write_text(f"path,label\n{video},open\nblank.mp4,open\n")

    local = ingest.extract(manifest, tmp_path / "local", progress=False, in_process=True)
    ray_out = tmp_path / "ray"
    remote = ingest.extract(manifest, ray_out, progress=False, engine="ray", workers=2)
    assert [r.video_id for r in remote.extracted] == [r.video_id for r in local.extracted] == ["open_hand_video"]
    assert [r.video_id for r in remote.errors] == ["blank"]
    for name in ("meta.csv", "groundtruth.txt", "errors.csv"):
        assert (ray_out / name).read_text() == (tmp_path / "local" / name).read_text(), name
    a, b = np.load(tmp_path / "local" / "open_hand_video.npz"), np.load(ray_out / "open_hand_video.npz")
    assert sorted(a.files) == sorted(b.files)
    for key in a.files:
        if a[key].dtype.kind == "f":
            np.testing.assert_allclose(a[key], b[key], atol=1e-5, err_msg=key)
        else:
            assert np.array_equal(a[key], b[key]), key
    assert not list(ray_out.glob(".*.tmp"))

    mtime = (ray_out / "open_hand_video.npz").stat().st_mtime_ns
    again = ingest.extract(manifest, ray_out, progress=False, engine="ray", workers=2)
    assert [r.video_id for r in again.skipped] == ["open_hand_video"]
    assert (ray_out / "open_hand_video.npz").stat().st_mtime_ns == mtime

    # The CLI flags reach the same engine (resume: nothing new to extract, blank.mp4 retried and reported).
    from typer.testing import CliRunner

    from gestura.cli import app

    res = CliRunner().invoke(app, ["extract", str(manifest), "--out", str(ray_out), "--executor", "ray",
                                   "--workers", "2"])
    assert res.exit_code == 0, res.output
    assert "already done (skipped) │ 1" in res.stdout and "failed (errors.csv)    │ 1" in res.stdout
    assert (ray_out / "open_hand_video.npz").stat().st_mtime_ns == mtime


def test_batch_prediction_on_ray_equals_local(ray_local):
    from gestura.data.synthetic import make_dataset
    from gestura.runtime.batch import predict_dataset

    ds = make_dataset(n_subjects=1, n_per_class=1, seed=5)
    local = predict_dataset(None, ds, chunk=4)
    remote = predict_dataset(None, ds, chunk=4, engine="ray", workers=2)
    assert [(r.video_id, r.pred) for r in remote] == [(r.video_id, r.pred) for r in local]
    assert [r.score for r in remote] == pytest.approx([r.score for r in local], abs=1e-6)
