"""course_lib.nn.conv: from-scratch convolution and pooling equal torch; LeNet learns the digits."""

import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from course_lib.nn.conv import (
    LeNet,
    LeNetConfig,
    accuracy,
    conv1d,
    conv2d,
    conv_output_size,
    fit_classifier,
    im2col,
    load_digits_split,
    max_pool2d,
)

pair = st.tuples(st.integers(1, 3), st.integers(1, 3))


@st.composite
def conv_case(draw):
    """A random conv2d problem whose (dilated) kernel fits the padded input."""
    kh, kw = draw(pair)
    sh, sw = draw(pair)
    dh, dw = draw(st.tuples(st.integers(1, 2), st.integers(1, 2)))
    ph, pw = draw(st.tuples(st.integers(0, 2), st.integers(0, 2)))
    h = draw(st.integers(max(1, dh * (kh - 1) + 1 - 2 * ph), 9))
    w = draw(st.integers(max(1, dw * (kw - 1) + 1 - 2 * pw), 9))
    b, c, o = draw(st.integers(1, 3)), draw(st.integers(1, 3)), draw(st.integers(1, 4))
    return dict(b=b, c=c, o=o, h=h, w=w, k=(kh, kw), stride=(sh, sw), padding=(ph, pw), dilation=(dh, dw),
                bias=draw(st.booleans()), seed=draw(st.integers(0, 2**16)))


@settings(max_examples=40, deadline=None)
@given(conv_case())
def test_conv2d_equals_torch(case):
    g = torch.Generator().manual_seed(case["seed"])
    x = torch.randn(case["b"], case["c"], case["h"], case["w"], generator=g, dtype=torch.float64)
    weight = torch.randn(case["o"], case["c"], *case["k"], generator=g, dtype=torch.float64)
    bias = torch.randn(case["o"], generator=g, dtype=torch.float64) if case["bias"] else None
    kw = dict(stride=case["stride"], padding=case["padding"], dilation=case["dilation"])
    ours, ref = conv2d(x, weight, bias, **kw), F.conv2d(x, weight, bias, **kw)
    assert ours.shape == ref.shape
    torch.testing.assert_close(ours, ref)
    torch.testing.assert_close(im2col(x, case["k"], **kw), F.unfold(x, case["k"], **kw))


@settings(max_examples=40, deadline=None)
@given(conv_case())
def test_max_pool2d_equals_torch(case):
    k = case["k"]
    padding = tuple(min(p, kk // 2) for p, kk in zip(case["padding"], k))   # torch's limit
    g = torch.Generator().manual_seed(case["seed"])
    x = torch.randn(case["b"], case["c"], case["h"] + 2, case["w"] + 2, generator=g)
    kw = dict(stride=case["stride"], padding=padding, dilation=case["dilation"])
    try:
        ref = F.max_pool2d(x, k, **kw)
    except RuntimeError:            # torch refuses this geometry (output too small); so must we
        with pytest.raises(ValueError):
            max_pool2d(x, k, **kw)
        return
    torch.testing.assert_close(max_pool2d(x, k, **kw), ref)


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 5), st.integers(1, 3), st.integers(1, 2), st.integers(0, 3), st.integers(1, 3),
       st.integers(0, 2**16))
def test_conv1d_equals_torch(k, stride, dilation, padding, channels, seed):
    g = torch.Generator().manual_seed(seed)
    t = dilation * (k - 1) + 1 + 3
    x = torch.randn(2, channels, t, generator=g, dtype=torch.float64)
    weight = torch.randn(4, channels, k, generator=g, dtype=torch.float64)
    bias = torch.randn(4, generator=g, dtype=torch.float64)
    kw = dict(stride=stride, padding=padding, dilation=dilation)
    torch.testing.assert_close(conv1d(x, weight, bias, **kw), F.conv1d(x, weight, bias, **kw))


def test_conv_gradients_equal_torch():
    g = torch.Generator().manual_seed(0)  # float64: float32 sums in another order differ by ~1e-5
    x = torch.randn(2, 3, 7, 6, generator=g, dtype=torch.float64, requires_grad=True)
    w = torch.randn(5, 3, 3, 3, generator=g, dtype=torch.float64, requires_grad=True)
    conv2d(x, w, stride=2, padding=1).pow(2).sum().backward()
    gx, gw = x.grad.clone(), w.grad.clone()
    x.grad = w.grad = None
    F.conv2d(x, w, stride=2, padding=1).pow(2).sum().backward()
    torch.testing.assert_close(gx, x.grad)
    torch.testing.assert_close(gw, w.grad)


def test_output_size_formula():
    assert conv_output_size(8, 3, padding=1) == 8
    assert conv_output_size(8, 2, stride=2) == 4
    assert conv_output_size(10, 3, dilation=2) == 6
    assert conv_output_size(5, 5) == 1


@pytest.mark.parametrize("call, message", [
    (lambda: conv2d(torch.randn(1, 1, 3, 3), torch.randn(1, 1, 5, 5)), "larger than the padded input"),
    (lambda: conv2d(torch.randn(1, 1, 3, 3), torch.randn(1, 1, 3, 3), dilation=2), "spans 5"),
    (lambda: conv2d(torch.randn(3, 8, 8), torch.randn(1, 3, 3, 3)), "4 dimensions"),
    (lambda: conv2d(torch.randn(1, 3, 8, 8), torch.randn(3, 3, 3)), "weight must have 4"),
    (lambda: conv2d(torch.randn(1, 2, 8, 8), torch.randn(1, 3, 3, 3)), "2 channels"),
    (lambda: conv2d(torch.randn(1, 3, 8, 8), torch.randn(4, 3, 3, 3), torch.randn(3)), "bias"),
    (lambda: conv2d(torch.randn(1, 1, 8, 8), torch.randn(1, 1, 3, 3), stride=0), "stride"),
    (lambda: conv2d(torch.randn(1, 1, 8, 8), torch.randn(1, 1, 3, 3), padding=-1), "padding"),
    (lambda: conv2d(torch.ones(1, 1, 8, 8, dtype=torch.long), torch.randn(1, 1, 3, 3)), "floating"),
    (lambda: conv1d(torch.randn(1, 1, 3), torch.randn(1, 1, 4)), "larger than the padded input"),
    (lambda: conv1d(torch.randn(1, 4), torch.randn(1, 1, 3)), "3 dimensions"),
    (lambda: conv1d(torch.randn(1, 1, 9), torch.randn(1, 1, 3), stride=(1, 2)), "stride"),
    (lambda: max_pool2d(torch.randn(1, 1, 4, 4), 2, padding=2), "at most half"),
    (lambda: max_pool2d(torch.randn(1, 1, 2, 2), 3), "larger than the padded input"),
    (lambda: max_pool2d(torch.randn(4, 4), 2), "4 dimensions"),
])
def test_bad_input_is_a_clear_error(call, message):
    with pytest.raises((ValueError, TypeError), match=message):
        call()


def test_digits_split_is_fixed_and_stratified():
    a, b = load_digits_split(), load_digits_split()
    assert a.x_train.shape == (1347, 1, 8, 8) and a.x_test.shape == (450, 1, 8, 8)
    assert torch.equal(a.y_test, b.y_test) and 0.0 <= a.x_train.min() and a.x_train.max() <= 1.0
    per_class = torch.bincount(torch.cat([a.y_train, a.y_test]))
    assert (torch.bincount(a.y_test) - per_class * 0.25).abs().max() <= 1   # stratified: 25 % of each class
    with pytest.raises(ValueError, match="test_size"):
        load_digits_split(test_size=1.5)


def test_lenet_shapes_and_bad_input():
    net = LeNet(LeNetConfig(channels=(4, 6), hidden=8))
    a1, a2 = net.features(torch.zeros(2, 1, 8, 8))
    assert a1.shape == (2, 4, 8, 8) and a2.shape == (2, 6, 4, 4)
    assert net(torch.zeros(2, 1, 8, 8)).shape == (2, 10)
    with pytest.raises(ValueError, match=r"\[batch, 1, 8, 8\]"):
        net(torch.zeros(2, 8, 8))
    with pytest.raises(ValueError, match="odd"):
        LeNet(LeNetConfig(kernel_size=4))


@pytest.fixture
def one_thread():
    """Tiny models train fastest on one thread (two threads on a busy 2-core machine crawl)."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.mark.slow
def test_lenet_reaches_97_percent_in_quick_mode_settings(one_thread):
    """The chapter's quick-mode run: seed 0, 30 epochs (measured ≈ 1 s of CPU)."""
    torch.manual_seed(0)
    data = load_digits_split()
    net = LeNet()
    losses = fit_classifier(net, data.x_train, data.y_train, epochs=30, seed=0)
    assert losses[-1] < losses[0] / 5
    assert accuracy(net, data.x_test, data.y_test) >= 0.97


def test_fit_classifier_rejects_mismatched_data():
    with pytest.raises(ValueError, match="examples"):
        fit_classifier(LeNet(), torch.zeros(4, 1, 8, 8), torch.zeros(3, dtype=torch.long), epochs=1)
    with pytest.raises(ValueError, match="epochs"):
        fit_classifier(LeNet(), torch.zeros(4, 1, 8, 8), torch.zeros(4, dtype=torch.long), epochs=0)


def test_feature_map_explorer_redraws_on_every_control():
    pytest.importorskip("ipywidgets")
    import matplotlib
    matplotlib.use("Agg")
    from course_lib.widgets.feature_maps import FeatureMapExplorer

    torch.manual_seed(0)
    data = load_digits_split()
    explorer = FeatureMapExplorer(LeNet(), data.x_test[:5], data.y_test[:5])
    first = explorer.last_maps.clone()
    assert first.shape == (16, 8, 8) and "label" in explorer.message.value
    explorer.controls["image"].value = 2
    assert not torch.equal(explorer.last_maps, first)
    explorer.controls["layer"].value = "conv2"
    assert explorer.last_maps.shape == (32, 4, 4)
    explorer.controls["layer"].value = "conv1"
    before = explorer.last_maps.clone()
    explorer.controls["shift"].value = 1                  # the digit moves right, and so do the maps
    torch.testing.assert_close(explorer.last_input[:, 1:], torch.roll(data.x_test[2, 0], 1, dims=1)[:, 1:])
    assert not torch.equal(explorer.last_maps, before)
    with pytest.raises(ValueError, match=r"\[N, 1, 8, 8\]"):
        FeatureMapExplorer(LeNet(), data.x_test[:5, 0], data.y_test[:5])
    with pytest.raises(TypeError, match="LeNet"):
        FeatureMapExplorer(torch.nn.Linear(2, 2), data.x_test[:5], data.y_test[:5])
