import numpy as np

from gestura.landmarks.cnn.augment import CropAugment, augment_crop


def _sample():
    rng = np.random.default_rng(0)
    img = rng.integers(0, 255, (96, 96, 3), dtype=np.uint8)
    lms = np.concatenate([rng.uniform(0.3, 0.7, (21, 2)), rng.normal(0, 0.05, (21, 1))], axis=1).astype(np.float32)
    return img, lms


def test_off_only_resizes():
    img, lms = _sample()
    out, lm, vis, left = augment_crop(img, lms, np.ones(21), np.random.default_rng(1), 64, CropAugment.off(), True)
    assert out.shape == (64, 64, 3) and out.dtype == np.uint8
    np.testing.assert_allclose(lm, lms, atol=1e-5)
    assert vis.sum() == 21 and left is True


def test_flip_mirrors_x_and_handedness():
    img, lms = _sample()
    cfg = CropAugment(**{**CropAugment.off().__dict__, "flip_p": 1.0})
    out, lm, _, left = augment_crop(img, lms, np.ones(21), np.random.default_rng(1), 96, cfg, False)
    np.testing.assert_allclose(lm[:, 0], 1 - lms[:, 0], atol=1e-5)
    np.testing.assert_array_equal(out, img[:, ::-1])
    assert left is True


def test_rotation_and_scale_move_landmarks_rigidly():
    img, lms = _sample()
    cfg = CropAugment(**{**CropAugment.off().__dict__, "rotation_deg": 40.0, "scale": 0.3})
    _, lm, _, _ = augment_crop(img, lms, np.ones(21), np.random.default_rng(3), 96, cfg)
    d0 = np.linalg.norm(lms[0, :2] - lms[9, :2])
    d1 = np.linalg.norm(lm[0, :2] - lm[9, :2])
    ratio = d1 / d0
    np.testing.assert_allclose(np.linalg.norm(lm[:, :2] - lm[:1, :2], axis=1),
                               ratio * np.linalg.norm(lms[:, :2] - lms[:1, :2], axis=1), rtol=1e-4)
    np.testing.assert_allclose(lm[:, 2], lms[:, 2] * ratio, rtol=1e-4)
    assert not np.allclose(lm, lms, atol=1e-3)


def test_occlusion_hides_covered_landmarks():
    img, lms = _sample()
    cfg = CropAugment(**{**CropAugment.off().__dict__, "occlusion_p": 1.0})
    hidden = 0
    for seed in range(20):
        out, lm, vis, _ = augment_crop(img, lms, np.ones(21), np.random.default_rng(seed), 96, cfg)
        px = (lm[:, :2] * 96).astype(int)
        colours = {tuple(out[px[j, 1], px[j, 0]]) for j in np.flatnonzero(vis == 0)}
        assert len(colours) <= 1
        assert all(tuple(out[y, x]) not in colours for x, y in px[vis == 1])
        hidden += int((vis == 0).sum())
    assert hidden > 0
