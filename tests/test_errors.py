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
