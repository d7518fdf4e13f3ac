import numpy as np
import pytest

from gestura.errors import ModelFileError
from gestura.landmarks.cnn.export import (OnnxLandmarkModel, check_landmark_parity, export_landmark_onnx,
                                          quantize_landmark_onnx)
from gestura.landmarks.cnn.heads import HandLandmarkNet


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    import torch

    torch.manual_seed(0)
    net = HandLandmarkNet(width=0.25, input_size=64).eval()
    path = export_landmark_onnx(net, tmp_path_factory.mktemp("onnx") / "model.onnx")
    return net, path


def test_onnx_matches_torch_within_1e_4(exported):
    net, path = exported
    assert check_landmark_parity(net, path, rng=np.random.default_rng(1)) < 1e-4


def test_onnx_batch_axis_is_dynamic(exported):
    _, path = exported
    model = OnnxLandmarkModel(path)
    lm, logits = model.run(np.random.default_rng(0).random((5, 3, 64, 64), dtype=np.float32))
    assert lm.shape == (5, 21, 3) and logits.shape == (5, 21) and model.input_size == 64


def test_int8_copy_runs_and_stays_close(exported, tmp_path):
    net, path = exported
    calib = np.random.default_rng(2).random((8, 3, 64, 64), dtype=np.float32)
    q = quantize_landmark_onnx(path, tmp_path / "model.int8.onnx", calib)
    x = calib[:4]
    ref = OnnxLandmarkModel(path).run(x)[0]
    got = OnnxLandmarkModel(q).run(x)[0]
    assert got.shape == ref.shape and np.isfinite(got).all()
    assert np.abs(got - ref).mean() < 0.1 * (np.abs(ref).mean() + 1e-3) + 0.05


def test_missing_or_bad_onnx_is_a_model_file_error(tmp_path):
    with pytest.raises(ModelFileError, match="not found"):
        OnnxLandmarkModel(tmp_path / "none.onnx")
    (tmp_path / "bad.onnx").write_bytes(b"garbage")
    with pytest.raises(ModelFileError, match="bad.onnx"):
        OnnxLandmarkModel(tmp_path / "bad.onnx")


def test_integral_head_exports_with_parity(tmp_path):
    import torch

    torch.manual_seed(0)
    net = HandLandmarkNet(width=0.25, input_size=64, head="integral").eval()
    path = export_landmark_onnx(net, tmp_path / "model.onnx")
    assert check_landmark_parity(net, path, rng=np.random.default_rng(1)) < 1e-4
