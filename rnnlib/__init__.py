"""rnnlib: recurrent networks (RNN, LSTM, GRU) with hand-written forward and backward passes.

numpy arrays in, numpy arrays out; torch tensors (CPU or CUDA) in, torch tensors out,
through the same code. Parameter names, layouts and gate orders are torch.nn's.
"""

from . import datasets, functional, gradcheck, init, io, models, optim, plotting, sampling, training
from . import functional as F
from ._checks import DTypeError, ShapeError
from ._optional import optional_torch, require_torch
from .clip import clip_by_norm, clip_by_value, global_norm
from .convert import from_torch
from .layers import GRU, LSTM, MLP, RNN, Embedding, Linear, Module, ModuleDict
from .layers.attention import SelfAttention, positional_encoding
from .models import CharRNN, EchoStateNetwork, Seq2Seq
from .optim import SGD, Adagrad, Adam, RMSprop

__all__ = [
    "functional",
    "F",
    "gradcheck",
    "init",
    "optim",
    "datasets",
    "io",
    "models",
    "plotting",
    "sampling",
    "training",
    "clip_by_norm",
    "clip_by_value",
    "global_norm",
    "from_torch",
    "ShapeError",
    "DTypeError",
    "optional_torch",
    "require_torch",
    "CharRNN",
    "EchoStateNetwork",
    "SelfAttention",
    "positional_encoding",
    "Seq2Seq",
    "Module",
    "ModuleDict",
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
