"""Padded batches with per-sequence lengths: parity with torch's pack_padded_sequence /
pad_packed_sequence in float64 (outputs, final states, dx, dstate and every parameter
gradient to 1e-9), uni- and bidirectional, 1 and 2 layers, RNN/LSTM/GRU, numpy and torch
tensors; and a numerical gradient check."""

import numpy as np
import pytest
import torch
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

import rnnlib
from rnnlib.gradcheck import numerical_gradient, rel_error

TOL = 1e-9
MODULES = {"rnn": torch.nn.RNN, "lstm": torch.nn.LSTM, "gru": torch.nn.GRU}
CLASSES = {"rnn": rnnlib.RNN, "lstm": rnnlib.LSTM, "gru": rnnlib.GRU}


def compare_padded(
    kind, lengths, D, H, num_layers, bidirectional, batch_first, seed, as_torch=False, device="cpu"
):
    torch.manual_seed(seed)
    T, N = max(lengths) + 1, len(lengths)  # one step of padding beyond the longest, too
    m = MODULES[kind](
        D, H, num_layers=num_layers, bidirectional=bidirectional, batch_first=batch_first
    ).double()
    with torch.no_grad():
        for p in m.parameters():
            p.uniform_(-0.6, 0.6)
    layer = rnnlib.from_torch(m, as_numpy=not as_torch)
    if as_torch:
        layer.to(device)
    L = num_layers * (2 if bidirectional else 1)
    lstm = kind == "lstm"
    x = torch.randn(
        (N, T, D) if batch_first else (T, N, D), dtype=torch.float64, requires_grad=True
    )
    s0 = tuple(
        torch.randn(L, N, H, dtype=torch.float64, requires_grad=True)
        for _ in range(2 if lstm else 1)
    )
    lens = torch.tensor(lengths)
    packed = pack_padded_sequence(x, lens, batch_first=batch_first, enforce_sorted=False)
    out_p, sT = m(packed, s0 if lstm else s0[0])
    out, _ = pad_packed_sequence(out_p, batch_first=batch_first, total_length=T)
    sT = sT if lstm else (sT,)
    dout = torch.randn_like(out)
    dsT = tuple(torch.randn_like(s) for s in sT)
    (torch.sum(out * dout) + sum(torch.sum(a * b) for a, b in zip(sT, dsT, strict=True))).backward()

    if as_torch:

        def conv(t):
            return t.detach().to(device)

        def back(a):
            return a.cpu().numpy()
    else:

        def conv(t):
            return t.detach().numpy()

        def back(a):
            return a

    my_lens = lens.to(device) if as_torch else np.array(lengths)
    my_out, my_sT = layer.forward(
        conv(x), tuple(conv(s) for s in s0) if lstm else conv(s0[0]), lengths=my_lens
    )
    my_sT = my_sT if lstm else (my_sT,)
    # a nonzero upstream gradient at padded positions must be ignored
    dout_mine = conv(dout) + 0.0
    mask = np.arange(T)[:, None] >= np.array(lengths)[None, :]  # (T, N)
    if batch_first:
        mask = mask.T
    dout_mine[torch.as_tensor(mask) if as_torch else mask] = 5.0
    dx, ds0 = layer.backward(dout_mine, tuple(conv(d) for d in dsT) if lstm else conv(dsT[0]))
    ds0 = ds0 if lstm else (ds0,)
    if as_torch:
        assert isinstance(my_out, torch.Tensor) and my_out.device.type == torch.device(device).type

    def close(name, mine, ref):
        np.testing.assert_allclose(
            back(mine), ref.detach().numpy(), rtol=TOL, atol=TOL, err_msg=name
        )

    close("out", my_out, out)
    assert np.all(back(my_out)[mask] == 0)
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
def test_padded_parity_with_pack_padded_sequence(kind, num_layers, bidirectional):
    compare_padded(kind, [3, 6, 1, 6, 4], 3, 4, num_layers, bidirectional, False, seed=5)


@pytest.mark.parametrize("kind", list(MODULES))
def test_padded_parity_batch_first_and_equal_lengths(kind):
    compare_padded(kind, [4, 2, 5], 2, 3, 2, True, True, seed=1)
    compare_padded(kind, [3, 3], 2, 3, 1, True, False, seed=2)  # one segment only


@pytest.mark.parametrize("kind", list(MODULES))
def test_padded_parity_with_torch_tensors_in(kind):
    """The same code on torch CPU tensors (lengths as a torch tensor too)."""
    compare_padded(kind, [2, 5, 3], 3, 4, 2, True, False, seed=9, as_torch=True)


def test_full_lengths_equal_the_unpadded_forward(rng):
    layer = rnnlib.LSTM(3, 4, num_layers=2, bidirectional=True, rng=rng)
    x = rng.standard_normal((5, 3, 3))
    out, (h, c) = layer.forward(x)
    out2, (h2, c2) = layer.forward(x, lengths=np.array([5, 5, 5]))
    for a, b in ((out, out2), (h, h2), (c, c2)):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)


def test_reverse_direction_never_reads_padding(rng):
    """Changing x at padded positions changes nothing (the reverse direction starts at each
    sequence's last valid step, not at T)."""
    layer = rnnlib.GRU(2, 3, bidirectional=True, rng=rng)
    x = rng.standard_normal((6, 2, 2))
    lengths = np.array([3, 6])
    out, h = layer.forward(x, lengths=lengths)
    x2 = x.copy()
    x2[3:, 0] = 100.0
    out2, h2 = layer.forward(x2, lengths=lengths)
    np.testing.assert_array_equal(out, out2)
    np.testing.assert_array_equal(h, h2)


@pytest.mark.parametrize("cls", [rnnlib.RNN, rnnlib.LSTM, rnnlib.GRU])
def test_padded_gradcheck(rng, cls):
    layer = cls(2, 3, num_layers=2, bidirectional=True, rng=rng)
    for p in layer.params.values():
        p += 0.1 * rng.standard_normal(p.shape)  # non-zero biases, off the init
    x = rng.standard_normal((4, 3, 2))
    lengths = np.array([2, 4, 1])
    out, state = layer.forward(x, lengths=lengths)
    states = state if isinstance(state, tuple) else (state,)
    dout = rng.standard_normal(out.shape)
    dstates = tuple(rng.standard_normal(s.shape) for s in states)

    def loss():
        o, s = layer.forward(x, lengths=lengths)
        s = s if isinstance(s, tuple) else (s,)
        return np.sum(o * dout) + sum(np.sum(a * b) for a, b in zip(s, dstates, strict=True))

    layer.forward(x, lengths=lengths)
    dx, _ = layer.backward(dout, dstates if len(dstates) == 2 else dstates[0])
    grads = dict(layer.grads)
    assert rel_error(dx, numerical_gradient(loss, x)) <= 1e-7
    for name, p in layer.params.items():
        assert rel_error(grads[name], numerical_gradient(loss, p)) <= 1e-7, name


def test_bad_lengths_are_clear_errors(rng):
    layer = rnnlib.RNN(2, 3, rng=rng)
    x = rng.standard_normal((4, 2, 2))
    with pytest.raises(ValueError, match="lengths"):
        layer.forward(x, lengths=np.array([0, 4]))
    with pytest.raises(ValueError, match="lengths"):
        layer.forward(x, lengths=np.array([5, 4]))
    with pytest.raises(ValueError, match="lengths"):
        layer.forward(x, lengths=np.array([4, 4, 4]))
    with pytest.raises(TypeError, match="lengths"):
        layer.forward(x, lengths=np.array([4.0, 4.0]))
