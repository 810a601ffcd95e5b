"""The core parity on CUDA: the same rnnlib code with its parameters on the GPU
(``layer.to("cuda")``) against torch.nn in float64 (cuDNN's TF32 does not touch float64,
and we switch it off anyway). Skips cleanly without a GPU."""

import numpy as np
import pytest
import torch

import rnnlib

pytestmark = [
    pytest.mark.cuda,
    pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU"),
]
TOL = 1e-9
MODULES = {"rnn": torch.nn.RNN, "lstm": torch.nn.LSTM, "gru": torch.nn.GRU}


def compare_cuda(kind, T, N, D, H, num_layers, bidirectional, batch_first, seed, lengths=None):
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    torch.manual_seed(seed)
    m = MODULES[kind](
        D, H, num_layers=num_layers, bidirectional=bidirectional, batch_first=batch_first
    ).double()
    with torch.no_grad():
        for p in m.parameters():
            p.uniform_(-0.6, 0.6)
    layer = rnnlib.from_torch(m).to("cuda")
    lstm = kind == "lstm"
    L = num_layers * (2 if bidirectional else 1)
    x = torch.randn((N, T, D) if batch_first else (T, N, D), dtype=torch.float64)
    x.requires_grad_(True)
    s0 = tuple(
        torch.randn(L, N, H, dtype=torch.float64, requires_grad=True)
        for _ in range(2 if lstm else 1)
    )
    if lengths is None:
        out, sT = m(x, s0 if lstm else s0[0])
    else:
        from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

        packed = pack_padded_sequence(
            x, torch.tensor(lengths), batch_first=batch_first, enforce_sorted=False
        )
        out, sT = m(packed, s0 if lstm else s0[0])
        out, _ = pad_packed_sequence(out, batch_first=batch_first, total_length=T)
    sT = sT if lstm else (sT,)
    dout = torch.randn_like(out)
    dsT = tuple(torch.randn_like(s) for s in sT)
    (torch.sum(out * dout) + sum(torch.sum(a * b) for a, b in zip(sT, dsT, strict=True))).backward()

    def gpu(t):
        return t.detach().to("cuda")

    kw = {} if lengths is None else {"lengths": torch.tensor(lengths, device="cuda")}
    my_out, my_sT = layer.forward(gpu(x), tuple(gpu(s) for s in s0) if lstm else gpu(s0[0]), **kw)
    dx, ds0 = layer.backward(gpu(dout), tuple(gpu(d) for d in dsT) if lstm else gpu(dsT[0]))
    assert my_out.is_cuda and dx.is_cuda
    my_sT = my_sT if lstm else (my_sT,)
    ds0 = ds0 if lstm else (ds0,)

    def close(name, mine, ref):
        np.testing.assert_allclose(
            mine.cpu().numpy(), ref.detach().numpy(), rtol=TOL, atol=TOL, err_msg=name
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
@pytest.mark.parametrize("bidirectional", [False, True])
def test_cuda_parity(kind, bidirectional):
    compare_cuda(kind, 5, 3, 4, 6, 2, bidirectional, False, seed=7)
    compare_cuda(kind, 4, 2, 3, 5, 1, bidirectional, True, seed=8)


@pytest.mark.parametrize("kind", list(MODULES))
def test_cuda_padded_bidirectional_parity(kind):
    compare_cuda(kind, 6, 4, 3, 4, 2, True, False, seed=5, lengths=[3, 6, 1, 5])


def test_cuda_attention_runs_on_the_gpu():
    q = torch.randn(3, 4, dtype=torch.float64, device="cuda")
    k = torch.randn(3, 5, 4, dtype=torch.float64, device="cuda")
    v = torch.randn(3, 5, 2, dtype=torch.float64, device="cuda")
    mask = torch.ones(3, 5, device="cuda")
    mask[0, 2:] = 0
    ctx, a, cache = rnnlib.F.dot_attention_forward(q, k, v, mask, scale=True)
    assert ctx.is_cuda and float(a[0, 2:].abs().sum()) == 0.0
    dq, dk, dv = rnnlib.F.dot_attention_backward(torch.ones_like(ctx), cache)
    assert dq.is_cuda and dk.shape == k.shape and dv.shape == v.shape
