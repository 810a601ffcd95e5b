"""Parity with torch.nn.RNN/LSTM/GRU in float64: outputs, final states, dx, dstate and every
parameter gradient to 1e-9, with random upstream gradients, random non-zero biases and a
random initial state."""

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import rnnlib

TOL = 1e-9
MODULES = {
    "rnn_tanh": lambda *a, **k: torch.nn.RNN(*a, nonlinearity="tanh", **k),
    "rnn_relu": lambda *a, **k: torch.nn.RNN(*a, nonlinearity="relu", **k),
    "lstm": torch.nn.LSTM,
    "gru": torch.nn.GRU,
}


def compare(kind, T, N, D, H, num_layers, bidirectional, batch_first, seed, as_torch=False):
    torch.manual_seed(seed)
    m = MODULES[kind](
        D, H, num_layers=num_layers, bidirectional=bidirectional, batch_first=batch_first
    ).double()
    with torch.no_grad():
        for p in m.parameters():
            p.uniform_(-0.6, 0.6)  # biases included: random and non-zero
    layer = rnnlib.from_torch(m, as_numpy=not as_torch)
    L = num_layers * (2 if bidirectional else 1)
    x = torch.randn(
        (N, T, D) if batch_first else (T, N, D), dtype=torch.float64, requires_grad=True
    )
    lstm = kind == "lstm"
    s0 = tuple(
        torch.randn(L, N, H, dtype=torch.float64, requires_grad=True)
        for _ in range(2 if lstm else 1)
    )
    out, sT = m(x, s0 if lstm else s0[0])
    sT = sT if lstm else (sT,)
    dout = torch.randn_like(out)
    dsT = tuple(torch.randn_like(s) for s in sT)
    (torch.sum(out * dout) + sum(torch.sum(a * b) for a, b in zip(sT, dsT, strict=True))).backward()

    conv = (lambda t: t.detach()) if as_torch else (lambda t: t.detach().numpy())
    back = (lambda a: a.numpy()) if as_torch else (lambda a: a)
    my_out, my_sT = layer.forward(conv(x), tuple(conv(s) for s in s0) if lstm else conv(s0[0]))
    my_sT = my_sT if lstm else (my_sT,)
    dx, ds0 = layer.backward(conv(dout), tuple(conv(d) for d in dsT) if lstm else conv(dsT[0]))
    ds0 = ds0 if lstm else (ds0,)
    if as_torch:
        assert isinstance(my_out, torch.Tensor) and isinstance(dx, torch.Tensor)

    def close(name, mine, ref):
        np.testing.assert_allclose(
            back(mine), ref.detach().numpy(), rtol=TOL, atol=TOL, err_msg=name
        )

    close("out", my_out, out)
    for a, b in zip(my_sT, sT, strict=True):
        close("final state", a, b)
    close("dx", dx, x.grad)
    for a, b in zip(ds0, s0, strict=True):
        close("dstate", a, b.grad)
    for name, p in m.named_parameters():
        close(f"grad {name}", layer.grads[name], p.grad)


@pytest.mark.parametrize("kind", list(MODULES))
@pytest.mark.parametrize("num_layers", [1, 2])
@pytest.mark.parametrize("bidirectional", [False, True])
@pytest.mark.parametrize("batch_first", [False, True])
def test_parity_grid(kind, num_layers, bidirectional, batch_first):
    compare(kind, 5, 3, 4, 6, num_layers, bidirectional, batch_first, seed=7)


@pytest.mark.parametrize("kind", list(MODULES))
@pytest.mark.parametrize("T,N", [(1, 3), (5, 1), (1, 1)])
def test_parity_edge_sizes(kind, T, N):
    compare(kind, T, N, 2, 3, 2, True, False, seed=3)


@settings(max_examples=25, deadline=None)
@given(
    kind=st.sampled_from(list(MODULES)),
    T=st.integers(1, 6),
    N=st.integers(1, 4),
    D=st.integers(1, 5),
    H=st.integers(1, 5),
    num_layers=st.integers(1, 3),
    bidirectional=st.booleans(),
    batch_first=st.booleans(),
    seed=st.integers(0, 2**16),
)
def test_parity_property(kind, T, N, D, H, num_layers, bidirectional, batch_first, seed):
    compare(kind, T, N, D, H, num_layers, bidirectional, batch_first, seed)


@pytest.mark.parametrize("kind", list(MODULES))
@pytest.mark.parametrize("bidirectional", [False, True])
def test_parity_with_torch_tensors_in(kind, bidirectional):
    """The same rnnlib code on torch CPU tensors: tensors in, tensors out, same numbers."""
    compare(kind, 4, 3, 3, 5, 2, bidirectional, True, seed=11, as_torch=True)


def test_no_bias_layers_match():
    torch.manual_seed(0)
    m = torch.nn.LSTM(3, 4, bias=False).double()
    layer = rnnlib.from_torch(m)
    assert set(layer.params) == {"weight_ih_l0", "weight_hh_l0"}
    x = torch.randn(4, 2, 3, dtype=torch.float64)
    np.testing.assert_allclose(layer.forward(x.numpy())[0], m(x)[0].detach().numpy(), atol=TOL)


def test_state_dict_round_trip_with_torch():
    torch.manual_seed(1)
    m = torch.nn.GRU(3, 4, num_layers=2).double()
    layer = rnnlib.GRU(3, 4, num_layers=2, rng=np.random.default_rng(0))
    layer.load_state_dict(m.state_dict())  # torch tensors accepted
    assert all(isinstance(v, np.ndarray) for v in layer.params.values())
    m2 = torch.nn.GRU(3, 4, num_layers=2).double()
    m2.load_state_dict({k: torch.from_numpy(v) for k, v in layer.state_dict().items()})
    x = torch.randn(3, 2, 3, dtype=torch.float64)
    np.testing.assert_allclose(m2(x)[0].detach().numpy(), layer.forward(x.numpy())[0], atol=TOL)
