import pytest
import torch

from gestura.landmarks.cnn.mobilenetv3 import MobileNetV3Small, make_divisible


def test_make_divisible_rounds_to_multiples_of_8_without_losing_more_than_10_percent():
    assert make_divisible(16) == 16
    assert make_divisible(4) == 8
    assert make_divisible(72 * 0.5) == 40
    assert all(make_divisible(v) % 8 == 0 and make_divisible(v) >= 0.9 * v for v in range(8, 600, 7))


@pytest.mark.parametrize("width", [0.25, 0.5])
def test_backbone_pools_to_width_scaled_features(width):
    net = MobileNetV3Small(width).eval()
    with torch.no_grad():
        y = net(torch.rand(2, 3, 64, 64))
    assert y.shape == (2, net.out_features)
    assert net.out_features == 6 * make_divisible(96 * width)
    assert torch.isfinite(y).all()


def test_full_width_backbone_matches_the_paper_parameter_count():
    assert sum(p.numel() for p in MobileNetV3Small(1.0).parameters()) == 927_008


def test_bad_width_is_rejected():
    with pytest.raises(ValueError):
        MobileNetV3Small(0.0)
