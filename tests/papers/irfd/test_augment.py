import torch

from studio.papers.irfd.augment import Augmentation, augment

NONE = Augmentation(0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0)


def _marked_batch() -> torch.Tensor:
    """Grey images with a white block on the left: where it lands shows moves and flips."""
    images = torch.full((6, 3, 32, 32), 0.4)
    images[:, :, 12:20, 2:10] = 1.0
    return images


def test_no_augmentation_returns_the_images():
    images = torch.rand(4, 3, 32, 32)
    out = augment(images, torch.Generator().manual_seed(0), NONE)
    assert torch.allclose(out, images, atol=1e-5)


def test_augmentation_is_seeded_stays_in_range_and_never_flips():
    images = _marked_batch()
    a = augment(images, torch.Generator().manual_seed(3))
    b = augment(images, torch.Generator().manual_seed(3))
    c = augment(images, torch.Generator().manual_seed(4))
    assert torch.equal(a, b) and not torch.equal(a, c)
    assert a.min() >= 0 and a.max() <= 1
    assert not torch.allclose(a, images, atol=0.05)  # it did change them
    bright = a.mean(1) > a.mean((1, 2, 3)).view(-1, 1, 1)  # each image's bright pixels
    columns = torch.arange(32).view(1, 1, 32).expand_as(bright).float()
    mean_column = (columns * bright).sum((1, 2)) / bright.sum((1, 2))
    assert (mean_column < 12).all()  # the block stays on the left: moved a little, not flipped


def test_some_images_turn_grey():
    images = torch.rand(64, 3, 16, 16)
    out = augment(images, torch.Generator().manual_seed(0), Augmentation(grayscale=0.5))
    grey = (out[:, 0] - out[:, 1]).abs().amax((1, 2)) < 1e-6
    assert 10 < int(grey.sum()) < 54
