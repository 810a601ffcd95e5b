"""Bad input raises errors that name the tensor, the expected and the received shape."""

import subprocess
import sys

import numpy as np
import pytest

import rnnlib
from rnnlib import functional as F


def test_wrong_rank():
    layer = rnnlib.LSTM(4, 3)
    with pytest.raises(ValueError, match=r"x: expected shape \(T, N, D=4\), got \(5, 4\)"):
        layer.forward(np.zeros((5, 4)))


def test_mismatched_input_size():
    layer = rnnlib.GRU(4, 3, batch_first=True)
    with pytest.raises(ValueError, match=r"x: expected shape \(N, T, D=4\), got \(2, 5, 6\)"):
        layer.forward(np.zeros((2, 5, 6)))


def test_wrong_dtype():
    layer = rnnlib.RNN(4, 3)
    with pytest.raises(TypeError, match="x: expected dtype float64"):
        layer.forward(np.zeros((5, 2, 4), dtype=np.float32))
    with pytest.raises(TypeError, match="x: expected a floating-point array"):
        layer.forward(np.zeros((5, 2, 4), dtype=np.int64))


def test_state_of_wrong_shape():
    layer = rnnlib.LSTM(4, 3, num_layers=2)
    h = np.zeros((1, 2, 3))
    with pytest.raises(
        ValueError, match=r"state h: expected shape \(layers\*dirs=2, N=2, H=3\), got \(1, 2, 3\)"
    ):
        layer.forward(np.zeros((5, 2, 4)), (h, np.zeros((2, 2, 3))))
    with pytest.raises(ValueError, match=r"tuple \(h, c\)"):
        layer.forward(np.zeros((5, 2, 4)), np.zeros((2, 2, 3)))


def test_backward_before_forward():
    with pytest.raises(RuntimeError, match="backward called before forward"):
        rnnlib.GRU(2, 3).backward(np.zeros((1, 1, 3)))


def test_functional_messages():
    W_ih, W_hh = np.zeros((12, 5)), np.zeros((12, 3))
    with pytest.raises(ValueError, match=r"h_prev: expected shape \(N=2, H=3\), got \(2, 4\)"):
        F.lstm_cell_forward(np.zeros((2, 5)), np.zeros((2, 4)), np.zeros((2, 3)), W_ih, W_hh)
    with pytest.raises(ValueError, match=r"W_hh: expected shape \(G\*H=9, H=3\), got \(12, 3\)"):
        F.gru_cell_forward(np.zeros((2, 5)), np.zeros((2, 3)), np.zeros((9, 5)), W_hh)
    with pytest.raises(
        ValueError, match=r"b_ih: expected shape \(G\*H=12,\)|b_ih: expected shape \(G\*H=12\)"
    ):
        F.lstm_forward(
            np.zeros((4, 2, 5)), np.zeros((2, 3)), np.zeros((2, 3)), W_ih, W_hh, np.zeros(3)
        )
    with pytest.raises(ValueError, match="nonlinearity"):
        rnnlib.RNN(2, 3, nonlinearity="sigmoid")


def test_load_state_dict_errors():
    layer = rnnlib.RNN(2, 3)
    sd = layer.state_dict()
    sd["weight_hh_l0"] = np.zeros((4, 4))
    with pytest.raises(ValueError, match=r"weight_hh_l0.*expected shape \(3, 3\), got \(4, 4\)"):
        layer.load_state_dict(sd)
    with pytest.raises(KeyError, match="missing keys"):
        layer.load_state_dict({})
    model = rnnlib.models.CharRNN(5, hidden_size=4, embedding_dim=3)
    sd = model.state_dict()
    sd["extra"] = sd.pop("head.weight")
    with pytest.raises(KeyError, match=r"missing keys \['head.weight'\], unexpected keys \['extra'\]"):
        model.load_state_dict(sd)


def test_import_rnnlib_does_not_import_torch():
    code = "import sys, rnnlib, numpy as np; rnnlib.LSTM(2,3).forward(np.zeros((2,1,2))); print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: rnnlib.models.CharRNN(5, 4).forward(np.zeros(3, dtype=int)), r"ids: expected"),
        (lambda: rnnlib.sampling.softmax_temperature(np.zeros((2, 3, 4))), r"logits: expected"),
        (lambda: rnnlib.datasets.make_windows(np.zeros((4, 2)), 2), r"series: expected a 1-D"),
        (lambda: rnnlib.gradcheck.rel_error(np.zeros(2), np.zeros(3)), r"shapes differ"),
        (lambda: rnnlib.EchoStateNetwork(2, 8, sparsity=0.5).fit(np.zeros((60, 3)), np.zeros(60)), r"u: expected"),
        (lambda: next(rnnlib.training.minibatches(np.zeros(3), np.zeros(4), batch_size=2)),
         r"arrays\[1\]: expected length 3"),
        (lambda: rnnlib.Linear(3, 2).load_state_dict({"weight": np.zeros((2, 4)),
                                                      "bias": np.zeros(2)}), r"state_dict\['weight'\]"),
        (lambda: F.mse_forward(np.zeros(3), np.zeros(4)), r"target: expected shape"),
    ],
)
def test_every_shape_problem_is_a_shape_error(call, message):
    with pytest.raises(rnnlib.ShapeError, match=message):
        call()


def test_loss_backward_takes_dloss_then_cache():
    logits, targets = np.zeros((2, 3)), np.array([0, 2])
    _, cache = F.softmax_cross_entropy_forward(logits, targets)
    np.testing.assert_array_equal(  # a loss ends the graph: the cache alone means dloss = 1
        F.softmax_cross_entropy_backward(cache), F.softmax_cross_entropy_backward(1.0, cache)
    )
    np.testing.assert_allclose(
        F.softmax_cross_entropy_backward(2.0, cache), 2 * F.softmax_cross_entropy_backward(cache)
    )
    with pytest.raises(TypeError, match="goes second"):
        F.softmax_cross_entropy_backward(cache, 2.0)
    with pytest.raises(TypeError, match="cache: expected the MSECache"):
        F.mse_backward(1.0, cache)
