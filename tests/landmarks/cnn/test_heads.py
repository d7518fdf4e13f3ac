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
