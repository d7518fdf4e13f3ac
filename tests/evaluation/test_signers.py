"""`gestura signers` and `gestura explain` end to end on a generated dataset and a small sca_stgcn artifact."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from gestura.cli import app
from gestura.errors import ConfigError
from gestura.evaluation.signers import reduce_2d, signer_map


@pytest.fixture(scope="module")
def artifact_and_data(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, object]:
    from gestura.artifact import ModelBundle
    from gestura.data.formats import write_seed003
    from gestura.data.synthetic import make_dataset
    from gestura.features.pipeline import FeaturePipeline
    from gestura.models import create_model

    root = tmp_path_factory.mktemp("signers")
    ds = make_dataset(n_subjects=3, n_per_class=2, n_classes=3, seed=0)
    write_seed003(root / "data", list(ds))
    pipe = FeaturePipeline("feature-schema-v1")
    model = create_model("sca_stgcn", input_dim=pipe.dim, num_classes=len(ds.labels), channels=(8, 8),
                         dilations=(1, 2), gru_hidden=8)
    bundle = ModelBundle(model=model.eval(), pipeline=pipe, labels=ds.labels, window=16, stride=8)
    bundle.save(root / "model")
    return root / "model", root / "data", bundle


def test_signer_map_embeds_every_clip(artifact_and_data) -> None:
    _, data, bundle = artifact_and_data
    from gestura.data.formats import load_dataset

    ds = load_dataset(data)
    m = signer_map(bundle, list(ds), "pca")
    assert m.source == "signer_embed" and m.embeddings.shape[1] == 64
    assert m.points.shape == (len(m.video_ids), 2) and np.isfinite(m.points).all()
    assert len(set(m.subjects)) == 3 and m.silhouette is not None
    pts = reduce_2d(m.embeddings[:12], "tsne")
    assert pts.shape == (12, 2) and np.isfinite(pts).all()
    with pytest.raises(ConfigError, match="reduce"):
        reduce_2d(m.embeddings, "umap")


def test_signers_cli_writes_plot_and_csv(artifact_and_data, tmp_path: Path) -> None:
    model_dir, data, _ = artifact_and_data
    res = CliRunner().invoke(app, ["signers", str(model_dir), "--data", str(data), "--reduce", "pca",
                                   "--out", str(tmp_path / "map.png"), "--csv", str(tmp_path / "emb.csv")])
    assert res.exit_code == 0, res.output
    assert (tmp_path / "map.png").stat().st_size > 1000
    rows = list(csv.DictReader((tmp_path / "emb.csv").open()))
    assert len(rows) == 18 and {"video_id", "subject", "x", "y", "e63"} <= set(rows[0])


def test_explain_cli_and_bad_input(artifact_and_data, tmp_path: Path) -> None:
    model_dir, data, _ = artifact_and_data
    sample = sorted(data.glob("*.npz"))[0]
    res = CliRunner().invoke(app, ["explain", str(model_dir), str(sample), "--out", str(tmp_path / "x"),
                                   "--steps", "4"])
    assert res.exit_code == 0, res.output
    assert (tmp_path / "x" / "heatmap.png").is_file() and (tmp_path / "x" / "top_frames.png").is_file()
    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"not a zip")
    res = CliRunner().invoke(app, ["explain", str(model_dir), str(bad), "--out", str(tmp_path / "y")])
    assert res.exit_code == 2 and "bad.npz" in res.output
