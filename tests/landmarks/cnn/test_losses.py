import math

import torch

from gestura.landmarks.cnn.losses import WING_SCALE, landmark_loss, wing_loss


def test_wing_is_zero_for_a_perfect_prediction_and_log_then_linear():
    t = torch.rand(2, 21, 3)
    assert float(wing_loss(t, t)) == 0.0
    small = torch.full((1, 1, 1), 1.0 / WING_SCALE)
    assert math.isclose(float(wing_loss(small, torch.zeros_like(small))), 10 * math.log(1 + 1 / 2), rel_tol=1e-5)
    big = torch.full((1, 1, 1), 30.0 / WING_SCALE)
    c = 10 - 10 * math.log(1 + 10 / 2)
    assert math.isclose(float(wing_loss(big, torch.zeros_like(big))), 30 - c, rel_tol=1e-5)


def test_wing_is_continuous_at_w():
    below = torch.full((1, 1, 1), (10 - 1e-4) / WING_SCALE)
    above = torch.full((1, 1, 1), (10 + 1e-4) / WING_SCALE)
    z = torch.zeros(1, 1, 1)
    assert abs(float(wing_loss(below, z)) - float(wing_loss(above, z))) < 1e-2


def test_background_crops_train_only_the_confidence_head():
    pred = torch.rand(2, 21, 3, requires_grad=True)
    logits = torch.zeros(2, 21, requires_grad=True)
    target = torch.rand(2, 21, 3)
    vis = torch.stack([torch.ones(21), torch.zeros(21)])
    loss, parts = landmark_loss(pred, logits, target, vis, torch.tensor([1.0, 0.0]))
    loss.backward()
    assert pred.grad[1].abs().sum() == 0 and pred.grad[0].abs().sum() > 0
    assert logits.grad[1].abs().sum() > 0
    assert math.isclose(parts["bce"], math.log(2), rel_tol=1e-5)
