"""rnnlib: recurrent networks (RNN, LSTM, GRU) with hand-written forward and backward passes.

numpy arrays in, numpy arrays out; torch tensors (CPU or CUDA) in, torch tensors out,
through the same code. Parameter names, layouts and gate orders are torch.nn's.
"""

from . import functional, gradcheck, init, optim
from . import functional as F
from .clip import clip_by_norm, clip_by_value, global_norm
from .convert import from_torch
from .layers import GRU, LSTM, MLP, RNN, Embedding, Linear, Module
from .optim import SGD, Adagrad, Adam, RMSprop

__all__ = [
    "functional",
    "F",
    "gradcheck",
    "init",
    "optim",
    "clip_by_norm",
    "clip_by_value",
    "global_norm",
    "from_torch",
    "Module",
    "Linear",
    "Embedding",
    "MLP",
    "RNN",
    "LSTM",
    "GRU",
    "SGD",
    "Adagrad",
    "RMSprop",
    "Adam",
]
__version__ = "0.1.0"
