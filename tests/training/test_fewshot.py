"""Few-shot heads on a frozen embedding: the prototype head is the nearest-class-mean rule written as a linear
layer, the probe fits the takes, and adapting keeps the backbone and adds a person's own gesture."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from gestura.artifact import ModelBundle
from gestura.data.synthetic import make_session
from gestura.errors import InputError
from gestura.features.pipeline import FeaturePipeline
from gestura.models import create_model
from gestura.training.fewshot import embed_windows, fewshot_adapt, probe_head, prototype_head


def _blobs(rng: np.random.Generator, n: int = 40) -> tuple[np.ndarray, np.ndarray]:
    centres = rng.normal(0, 3, (3, 8))
    y = np.repeat(np.arange(3), n)
    return centres[y] + rng.normal(0, 1, (len(y), 8)), y


def test_prototype_head_is_the_nearest_class_mean_rule() -> None:
    rng = np.random.default_rng(0)
    e, y = _blobs(rng)
    w, b = prototype_head(e, y, 4, (np.zeros((4, 8)), np.full(4, -7.0)))
    q = rng.normal(0, 3, (200, 8))
    mus = np.stack([e[y == c].mean(0) for c in range(3)])
    nearest = np.argmin(((q[:, None] - mus[None]) ** 2).sum(-1), axis=1)
    assert np.array_equal(np.argmax(q @ w[:3].T + b[:3], axis=1), nearest)
    assert np.all(w[3] == 0) and b[3] == -7.0  # a class without takes keeps its old row


def test_probe_head_separates_the_takes() -> None:
    rng = np.random.default_rng(1)
    e, y = _blobs(rng)
    w, b = probe_head(e, y, 3, (np.zeros((3, 8)), np.zeros(3)))
    assert (np.argmax(e @ w.T + b, axis=1) == y).mean() > 0.95


def _bundle() -> ModelBundle:
    torch.manual_seed(0)
    pipe = FeaturePipeline("feature-schema-v1", {})
    labels = ["swiping_left", "swiping_right", "unknown"]
    net = create_model("lstm", input_dim=pipe.dim, num_classes=3, units=(16,), dense=(8,))
    return ModelBundle(model=net.eval(), pipeline=pipe, labels=labels, window=15, stride=1, meta={},
                       resample_fps=30.0)


def test_fewshot_adapt_keeps_the_backbone_and_adds_a_new_gesture() -> None:
    base = _bundle()
    seq = make_session(["swiping_left", "swiping_right"] * 2, seed=3)
    clip_a = seq.slice(0, 40)
    clip_a.label = "my_wave"
    clip_b = seq.slice(40, 80)
    clip_b.label = "swiping_left"
    before = {k: v.clone() for k, v in base.model.state_dict().items()}
    out, seconds = fewshot_adapt(base, [clip_a, clip_b], method="prototype")
    assert out.labels == ["swiping_left", "swiping_right", "unknown", "my_wave"] and seconds >= 0
    after = out.model.state_dict()
    for k, v in before.items():
        if not k.startswith("head."):
            assert torch.equal(v, after[k]), k
        assert torch.equal(v, base.model.state_dict()[k])  # the base bundle is untouched
    assert after["head.weight"].shape == (4, 8) and out.model.cfg.num_classes == 4
    e, y = embed_windows(out, [clip_a], out.labels)
    logits = out.model.head(torch.tensor(e, dtype=torch.float32))
    assert len(y) > 0 and (logits.argmax(1).numpy() == 3).all()  # its own takes read as the new gesture
    with pytest.raises(InputError, match="few-shot method"):
        fewshot_adapt(base, [clip_a], method="nearest")
