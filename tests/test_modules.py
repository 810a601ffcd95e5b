"""One way to compose modules, and no silently wrong gradients.

A module assigned as an attribute is a child: params, grads, state_dict, load_state_dict, to and
zero_grad reach it under dotted names. Decoding or sampling between a forward (or a loss) and
its backward leaves the pending backward as it was: the gradients equal a clean run's.
"""

import numpy as np
import pytest
import torch

import rnnlib
from rnnlib.models import CharRNN
from rnnlib.seq2seq import Seq2Seq


def _copy(grads):
    return {k: np.array(v, copy=True) for k, v in grads.items()}


def _assert_same(a, b):
    assert a.keys() == b.keys()
    for k in a:
        np.testing.assert_array_equal(a[k], b[k], err_msg=k)


class Tagger(rnnlib.Module):
    """A model built the one way: layers as attributes, one own parameter."""

    def __init__(self, rng):
        super().__init__()
        self.params["scale"] = np.ones(1)
        self.emb = rnnlib.Embedding(5, 3, rng=rng)
        self.rnn = rnnlib.LSTM(3, 4, rng=rng)
        self.head = rnnlib.MLP([4, 4, 2], rng=rng)


def test_children_give_dotted_names_in_order():
    model = Tagger(np.random.default_rng(0))
    assert list(model.children()) == ["emb", "rnn", "head"]
    assert list(model.params) == [
        "scale",
        "emb.weight",
        *(f"rnn.{k}" for k in ("weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0")),
        "head.0.weight",
        "head.0.bias",
        "head.1.weight",
        "head.1.bias",
    ]
    assert model.params["head.1.bias"] is model.head.layers[1].params["bias"]
    assert model.num_parameters() == 1 + 5 * 3 + (16 * 3 + 16 * 4 + 2 * 16) + (4 * 4 + 4 + 2 * 4 + 2)


def test_writes_through_params_reach_the_owning_layer():
    model = Tagger(np.random.default_rng(0))
    new = np.full((5, 3), 7.0)
    model.params["emb.weight"] = new
    assert model.emb.params["weight"] is new
    opt = rnnlib.SGD(model.params, lr=1.0)
    model.zero_grad()
    grads = dict(model.grads)
    grads["head.0.bias"] = np.ones(4)
    before = model.head.layers[0].params["bias"].copy()
    opt.step(grads)
    np.testing.assert_allclose(model.head.layers[0].params["bias"], before - 1)


def test_state_dict_round_trip_and_errors():
    a, b = Tagger(np.random.default_rng(0)), Tagger(np.random.default_rng(1))
    b.load_state_dict({k: torch.as_tensor(v) for k, v in a.state_dict().items()})
    _assert_same(dict(a.params), dict(b.params))
    assert isinstance(b.params["rnn.weight_hh_l0"], np.ndarray)
    with pytest.raises(KeyError, match="missing keys \\['scale'\\]"):
        b.load_state_dict({k: v for k, v in a.state_dict().items() if k != "scale"})
    bad = a.state_dict() | {"emb.weight": np.zeros((5, 4))}
    with pytest.raises(rnnlib.ShapeError, match="emb.weight"):
        b.load_state_dict(bad)


def test_to_moves_every_child_and_clears_caches():
    model = Tagger(np.random.default_rng(0))
    model.rnn.forward(np.zeros((2, 1, 3)))
    model.to("cpu", torch.float32)
    assert all(
        isinstance(v, torch.Tensor) and v.dtype == torch.float32 for v in model.params.values()
    )
    assert model.rnn._cache is None and model.head.layers[0].params["weight"].dtype == torch.float32
    model.to("numpy", np.float64)
    assert all(isinstance(v, np.ndarray) for v in model.params.values())


def test_merge_params_is_a_module_dicts_params():
    a, b = rnnlib.Linear(2, 3), rnnlib.Linear(3, 1)
    view = rnnlib.training.merge_params(enc=a, head=b)
    assert dict(view) == dict(rnnlib.ModuleDict(enc=a, head=b).params)
    with pytest.raises(TypeError, match="head"):
        rnnlib.ModuleDict(enc=a, head={"weight": np.zeros(2)})


# -- a decode between the loss and its backward ---------------------------------------------


def _seq2seq_batch(rng):
    src = rng.integers(0, 7, (5, 3))
    return src, np.array([5, 2, 4]), rng.integers(0, 6, (4, 3)), rng.integers(0, 6, (4, 3))


@pytest.mark.parametrize("decode", ["greedy_decode", "beam_search"])
@pytest.mark.parametrize("bidirectional", [False, True])
def test_seq2seq_decoding_leaves_the_pending_backward(decode, bidirectional):
    rng = np.random.default_rng(0)
    model = Seq2Seq(7, 6, 3, 4, bidirectional=bidirectional, rng=rng)
    batch = _seq2seq_batch(rng)
    model.loss(*batch)
    model.backward()
    clean = _copy(model.grads)
    for shape, lengths in (((6, 2), [6, 3]), ((5, 3), [3, 5, 4])):  # another batch; same shape
        model.loss(*batch)  # (before: the encoder's cache was overwritten, grads off by ~0.03)
        getattr(model, decode)(rng.integers(0, 7, shape), np.array(lengths), bos=0, eos=1, max_len=4)
        model.backward()
        _assert_same(_copy(model.grads), clean)


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
def test_char_rnn_sampling_leaves_the_pending_backward(cell):
    rng = np.random.default_rng(0)
    model = CharRNN(6, hidden_size=5, embedding_dim=3, cell=cell, rng=rng)
    ids = rng.integers(0, 6, (2, 4))
    dlogits = rng.standard_normal((2, 4, 6))
    model.forward(ids)
    model.backward(dlogits)
    clean = _copy(model.grads)
    model.forward(ids)
    model.generate(3, max_len=5, rng=np.random.default_rng(1))
    model.backward(dlogits)
    _assert_same(_copy(model.grads), clean)


def _layers(rng):
    return {
        "RNN": (rnnlib.RNN(3, 4, bidirectional=True, rng=rng), (5, 2, 3)),
        "LSTM": (rnnlib.LSTM(3, 4, num_layers=2, rng=rng), (5, 2, 3)),
        "GRU": (rnnlib.GRU(3, 4, batch_first=True, rng=rng), (2, 5, 3)),
        "Linear": (rnnlib.Linear(3, 4, rng=rng), (2, 3)),
        "MLP": (rnnlib.MLP([3, 5, 4], rng=rng), (2, 3)),
        "SelfAttention": (rnnlib.SelfAttention(4, causal=True, rng=rng), (2, 5, 4)),
    }


@pytest.mark.parametrize("name", list(_layers(np.random.default_rng(0))))
def test_a_forward_under_no_grad_leaves_the_pending_backward(name):
    rng = np.random.default_rng(0)
    layer, shape = _layers(rng)[name]
    x, other = rng.standard_normal(shape), rng.standard_normal(shape)

    def out(y):
        return y[0] if isinstance(y, tuple) else y

    dout = rng.standard_normal(out(layer.forward(x)).shape)
    dx_clean = out(layer.backward(dout))
    clean = _copy(layer.grads)
    layer.forward(x)
    with layer.no_grad():
        layer.forward(other)
    dx = out(layer.backward(dout))
    np.testing.assert_array_equal(dx, dx_clean)
    _assert_same(_copy(layer.grads), clean)
