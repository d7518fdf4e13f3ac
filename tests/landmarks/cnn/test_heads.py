import json

import numpy as np
import pytest
import torch

from gestura.errors import ConfigError, ModelFileError
from gestura.landmarks.cnn import create_landmark_model, list_landmark_models
from gestura.landmarks.cnn.heads import HandLandmarkNet, count_parameters, load_landmark_model, save_landmark_model


def test_registry_lists_and_creates_and_rejects_unknown_names():
    assert "mobilenetv3_small_hand" in list_landmark_models()
    net = create_landmark_model("mobilenetv3_small_hand", width=0.25, input_size=64)
    assert isinstance(net, HandLandmarkNet) and net.input_size == 64
    with pytest.raises(ConfigError, match="unknown"):
        create_landmark_model("resnet_hand")


def test_seed_004_parameter_count():
    assert count_parameters(HandLandmarkNet(width=1.0, input_size=224)) == 1_446_516


def test_shapes_and_initial_output_near_crop_centre():
    net = HandLandmarkNet(width=0.25, input_size=64).eval()
    with torch.no_grad():
        lm, logits = net(torch.rand(3, 3, 64, 64))
    assert lm.shape == (3, 21, 3) and logits.shape == (3, 21)
    assert torch.allclose(lm[..., :2].mean(), torch.tensor(0.5), atol=0.1)


def test_input_size_must_be_a_multiple_of_32():
    with pytest.raises(ValueError):
        HandLandmarkNet(width=0.25, input_size=100)


def test_save_load_roundtrip_gives_identical_outputs(tmp_path):
    net = HandLandmarkNet(width=0.25, input_size=64).eval()
    save_landmark_model(net, tmp_path / "m", held_out=["video_a"])
    loaded, info = load_landmark_model(tmp_path / "m")
    assert info["held_out"] == ["video_a"] and info["input_size"] == 64
    x = torch.rand(2, 3, 64, 64)
    with torch.no_grad():
        for a, b in zip(net(x), loaded(x)):
            assert torch.equal(a, b)


def test_damaged_model_files_are_one_line_errors(tmp_path):
    net = HandLandmarkNet(width=0.25, input_size=64)
    d = save_landmark_model(net, tmp_path / "m")
    (d / "model.safetensors").write_bytes(b"not safetensors")
    with pytest.raises(ModelFileError, match="model.safetensors"):
        load_landmark_model(d)
    save_landmark_model(net, d)
    info = json.loads((d / "model.json").read_text())
    (d / "model.json").write_text(json.dumps({**info, "width": 0.5}))
    with pytest.raises(ModelFileError, match="do not match"):
        load_landmark_model(d)
    (d / "model.json").write_text(json.dumps({"format": "other"}))
    with pytest.raises(ModelFileError, match="not a landmark CNN"):
        load_landmark_model(d)
    with pytest.raises(ModelFileError, match="not found"):
        load_landmark_model(tmp_path / "missing")
    assert np.isfinite(count_parameters(net))


def test_integral_head_gives_landmarks_inside_the_crop_and_roundtrips(tmp_path):
    net = create_landmark_model("mobilenetv3_small_hand_160_integral", width=0.25, input_size=64).eval()
    with torch.no_grad():
        lm, logits = net(torch.rand(2, 3, 64, 64))
    assert lm.shape == (2, 21, 3) and logits.shape == (2, 21)
    assert float(lm[..., :2].min()) > 0.0 and float(lm[..., :2].max()) < 1.0  # an expectation over the grid
    save_landmark_model(net, tmp_path / "m")
    loaded, info = load_landmark_model(tmp_path / "m")
    assert info["head"] == "integral" and loaded.head == "integral"
    x = torch.rand(2, 3, 64, 64)
    with torch.no_grad():
        assert torch.equal(net(x)[0], loaded(x)[0])
    with pytest.raises(ValueError, match="head"):
        HandLandmarkNet(width=0.25, input_size=64, head="mlp")


def test_integral_head_learns_a_moving_blob():
    """The soft-argmax follows an image feature: 100 steps on a bright square give the right place."""
    torch.manual_seed(0)
    net = create_landmark_model("mobilenetv3_small_hand_160_integral", width=0.25, input_size=64)
    opt = torch.optim.Adam(net.parameters(), 3e-3)
    rng = np.random.default_rng(0)

    def batch(n):
        x = torch.zeros(n, 3, 64, 64)
        pos = rng.uniform(0.2, 0.8, (n, 2))
        for i, (px, py) in enumerate(pos):
            cx, cy = int(px * 64), int(py * 64)
            x[i, :, cy - 4:cy + 4, cx - 4:cx + 4] = 1.0
        return x, torch.tensor(pos, dtype=torch.float32)

    for _ in range(100):
        x, pos = batch(16)
        lm, _ = net(x)
        loss = (lm[:, 0, :2] - pos).abs().mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
    net.eval()
    x, pos = batch(32)
    with torch.no_grad():
        err = (net(x)[0][:, 0, :2] - pos).abs().mean()
    assert float(err) < 0.08  # a constant guess is ~0.15 off


@pytest.mark.parametrize("edit, match", [
    ({"width": 1e6}, r"width: 1e\+06 is out of bounds"),
    ({"width": "wide"}, "width: expected a number"),
    ({"input_size": 10**7}, "input_size: 1e\\+07 is out of bounds"),
    ({"width": 0.5}, "do not match"),  # in bounds but not these weights: found on the meta device
])
def test_model_json_sizes_checked_before_allocating(tmp_path, edit, match):
    """Issue 19 item 4 for the landmark CNN's model.json: sizes are bounded and compared with the weights first."""
    d = save_landmark_model(HandLandmarkNet(width=0.25, input_size=64), tmp_path / "m")
    info = json.loads((d / "model.json").read_text())
    (d / "model.json").write_text(json.dumps({**info, **edit}))
    with pytest.raises(ModelFileError, match=match) as err:
        load_landmark_model(d)
    assert "\n" not in str(err.value)
