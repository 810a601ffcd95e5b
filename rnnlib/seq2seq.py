"""The old import path of :class:`rnnlib.models.seq2seq.Seq2Seq`."""

from .models.seq2seq import Seq2Seq

__all__ = ["Seq2Seq"]
