"""Ready-made models assembled from rnnlib's layers and ops, for the chapters that use, rather
than build, a model: a character language model, sequence to sequence with attention, and an
echo state network (whose reservoir is not trained by gradient)."""

from .char_rnn import CharRNN
from .esn import EchoStateNetwork
from .seq2seq import Seq2Seq

__all__ = ["CharRNN", "Seq2Seq", "EchoStateNetwork"]
