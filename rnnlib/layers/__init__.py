from .attention import SelfAttention, positional_encoding
from .linear import Embedding, Linear
from .mlp import MLP
from .module import Module, ModuleDict
from .recurrent import GRU, LSTM, RNN

__all__ = ["Module", "ModuleDict", "Linear", "Embedding", "MLP", "RNN", "LSTM", "GRU"]
__all__ += ["SelfAttention", "positional_encoding"]
