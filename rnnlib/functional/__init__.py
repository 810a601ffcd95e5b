"""Pure forward/backward pairs, time-major (T, N, D). Imported as ``rnnlib.functional`` or ``F``."""

from .activations import (
    log_softmax,
    relu_backward,
    relu_forward,
    sigmoid_backward,
    sigmoid_forward,
    softmax_backward,
    softmax_forward,
    tanh_backward,
    tanh_forward,
)
from .attention import (
    additive_attention_backward,
    additive_attention_forward,
    dot_attention_backward,
    dot_attention_forward,
    masked_softmax_backward,
    masked_softmax_forward,
)
from .embedding import embedding_backward, embedding_forward
from .gru import gru_backward, gru_cell_backward, gru_cell_forward, gru_forward
from .linear import linear_backward, linear_forward
from .losses import (
    mse_backward,
    mse_forward,
    softmax_cross_entropy_backward,
    softmax_cross_entropy_forward,
)
from .lstm import lstm_backward, lstm_cell_backward, lstm_cell_forward, lstm_forward
from .rnn import rnn_backward, rnn_cell_backward, rnn_cell_forward, rnn_forward

__all__ = [name for name in dir() if name.endswith(("_forward", "_backward"))] + ["log_softmax"]
