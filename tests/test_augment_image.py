"""course_lib.augment.image: transforms do what they say, keep labels, and reject bad input."""

import functools

import pytest
import torch

from course_lib.augment import image as I


def _gen(seed=0):
    return torch.Generator().manual_seed(seed)


def _dot(batch=4, size=8):
    """Images with a single bright pixel at (3, 4)."""
    x = torch.zeros(batch, 1, size, size)
    x[:, 0, 3, 4] = 1.0
    return x, torch.arange(batch)


def test_shift_moves_the_pixel_by_whole_pixels_and_keeps_labels():
    x, y = _dot(64)
    out, y_out = I.random_shift(x, y, _gen(), max_shift=2)
    assert torch.equal(y_out, y) and out.shape == x.shape
    assert torch.equal(out.sum(dim=(1, 2, 3)), torch.ones(64))       # nothing lost at this distance
    rows, cols = out[:, 0].nonzero()[:, 1], out[:, 0].nonzero()[:, 2]
    assert (rows - 3).abs().max() == 2 and (cols - 4).abs().max() == 2
    assert len({(int(r), int(c)) for r, c in zip(rows, cols)}) > 10  # shifts differ per image
    same, _ = I.random_shift(x, y, _gen(), max_shift=0)
    assert torch.equal(same, x)


def test_shift_fills_with_background():
    x = torch.ones(8, 1, 8, 8)
    out, _ = I.random_shift(x, torch.zeros(8), _gen(1), max_shift=1)
    assert out.min() == 0.0 and out.max() == 1.0


def test_rotation_by_zero_is_identity_and_rotation_keeps_mass_roughly():
    x = torch.rand(3, 1, 8, 8)
    same, _ = I.random_rotation(x, torch.zeros(3), _gen(), max_degrees=0.0)
    torch.testing.assert_close(same, x, atol=1e-5, rtol=0)
    disk = torch.zeros(1, 1, 16, 16)
    yy, xx = torch.meshgrid(torch.arange(16.0), torch.arange(16.0), indexing="ij")
    disk[0, 0] = (((yy - 7.5) ** 2 + (xx - 7.5) ** 2) < 16).float()    # centred: rotation-invariant
    rotated, _ = I.random_rotation(disk.repeat(5, 1, 1, 1), torch.zeros(5), _gen(), max_degrees=90.0)
    assert (rotated.sum(dim=(1, 2, 3)) / disk.sum() - 1).abs().max() < 0.05


def test_elastic_deformation_is_small_and_smooth():
    x = torch.rand(4, 1, 8, 8)
    same, _ = I.elastic_deform(x, torch.zeros(4), _gen(), alpha=0.0, sigma=1.0)
    torch.testing.assert_close(same, x, atol=1e-5, rtol=0)
    moved, _ = I.elastic_deform(x, torch.zeros(4), _gen(), alpha=1.5, sigma=1.0)
    assert 0 < (moved - x).abs().mean() < 0.5


def test_noise_has_the_requested_spread_and_stays_in_range():
    x = torch.full((16, 1, 8, 8), 0.5)
    out, _ = I.add_noise(x, torch.zeros(16), _gen(), std=0.1)
    assert (out - x).std().item() == pytest.approx(0.1, rel=0.1)
    out, _ = I.add_noise(x, torch.zeros(16), _gen(), std=5.0)
    assert out.min() >= 0.0 and out.max() <= 1.0


def test_mixup_mixes_images_and_labels_with_the_same_lambda():
    x = torch.eye(64)[:32].reshape(32, 1, 8, 8)                       # image i: one bright pixel, number i
    y = torch.arange(32) % 10
    mx, my = I.mixup(x, y, _gen(3), alpha=0.4)
    assert my.shape == (32, 10)
    torch.testing.assert_close(my.sum(1), torch.ones(32))
    flat = mx.reshape(32, 64)
    lam = flat.max(1).values.min().item()                             # λ ≥ 1 − λ is on the own pixel...
    lam = max(lam, 1 - lam)
    one_hot = torch.nn.functional.one_hot(y, 10).float()
    for i in range(32):
        partner = [j for j in range(32) if j != i and flat[i, j] > 0]
        if not partner:                                                # mixed with itself: unchanged
            torch.testing.assert_close(flat[i], x[i].reshape(64))
            torch.testing.assert_close(my[i], one_hot[i])
            continue
        w = flat[i, i].item()                                          # λ or 1 − λ, the same for all
        assert min(abs(w - lam), abs(w - (1 - lam))) < 1e-6
        torch.testing.assert_close(my[i], w * one_hot[i] + (1 - w) * one_hot[partner[0]])
    torch.nn.functional.cross_entropy(torch.zeros(32, 10), my)        # soft labels work with cross-entropy


def test_mixup_accepts_soft_labels():
    x = torch.rand(4, 1, 8, 8)
    soft = torch.full((4, 10), 0.1)
    _, my = I.mixup(x, soft, _gen())
    torch.testing.assert_close(my, soft)


def test_compose_and_perturbed_copies():
    x, y = _dot(5)
    noisy_shift = I.compose(functools.partial(I.random_shift, max_shift=1), functools.partial(I.add_noise, std=0.05))
    xc, yc = I.perturbed_copies(x, y, 3, noisy_shift, seed=0)
    assert xc.shape == (20, 1, 8, 8) and torch.equal(yc, y.repeat(4))
    assert torch.equal(xc[:5], x)                                     # originals first, untouched
    assert not torch.equal(xc[5:10], x)
    xc2, _ = I.perturbed_copies(x, y, 3, noisy_shift, seed=0)
    assert torch.equal(xc, xc2)                                       # reproducible


def test_subset_per_class_is_balanced_and_reproducible():
    y = torch.arange(100) % 10
    x = torch.arange(100.0)[:, None, None, None].expand(100, 1, 2, 2)
    xs, ys = I.subset_per_class(x, y, 3, seed=1)
    assert torch.equal(torch.bincount(ys), torch.full((10,), 3))
    assert torch.equal(xs[:, 0, 0, 0].long() % 10, ys)               # images travel with labels
    assert torch.equal(I.subset_per_class(x, y, 3, seed=1)[0], xs)


@pytest.mark.parametrize("call, message", [
    (lambda: I.random_shift(torch.zeros(2, 8, 8), torch.zeros(2), _gen()), r"\[batch, channels"),
    (lambda: I.random_shift(torch.zeros(2, 1, 8, 8), torch.zeros(2), _gen(), max_shift=8), "max_shift"),
    (lambda: I.random_rotation(torch.zeros(2, 1, 8, 8), torch.zeros(2), _gen(), max_degrees=-1), "max_degrees"),
    (lambda: I.elastic_deform(torch.zeros(2, 1, 8, 8), torch.zeros(2), _gen(), sigma=0), "sigma"),
    (lambda: I.add_noise(torch.zeros(2, 1, 8, 8), torch.zeros(2), _gen(), std=float("inf")), "std"),
    (lambda: I.mixup(torch.zeros(2, 1, 8, 8), torch.tensor([0, 10]), _gen()), "0..9"),
    (lambda: I.mixup(torch.zeros(2, 1, 8, 8), torch.tensor([0, 1]), _gen(), alpha=0), "alpha"),
    (lambda: I.mixup(torch.zeros(2, 1, 8, 8), torch.zeros(2, 3), _gen()), "probabilities"),
    (lambda: I.compose(I.add_noise, 3), "compose"),
    (lambda: I.perturbed_copies(torch.zeros(2, 1, 8, 8), torch.zeros(2), -1, I.add_noise), "n_copies"),
    (lambda: I.subset_per_class(torch.zeros(4, 1, 2, 2), torch.tensor([0, 0, 1, 1]), 3), "fewer"),
    (lambda: I.subset_per_class(torch.zeros(4, 1, 2, 2), torch.tensor([0, 0, 1]), 1), "one integer label"),
    (lambda: I.perturbed_copies(torch.zeros(2, 1, 8, 8), torch.zeros(3), 1, I.add_noise), "labels"),
])
def test_bad_input_is_a_clear_error(call, message):
    with pytest.raises((ValueError, TypeError), match=message):
        call()
