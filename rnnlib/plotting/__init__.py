"""Figures for the chapters, drawn by code from the model's own tensors.

One module per kind of figure (matplotlib is imported inside each function, so ``import
rnnlib`` stays fast); every function returns the matplotlib ``Figure`` and draws into ``ax``
when one is passed. Arrays may be numpy arrays or torch tensors; labels are in Portuguese.

- :mod:`.curves`: loss curves, gradient norm per time step, gate heatmaps, attention heatmaps.
- :mod:`.lstm`: one LSTM step, its gates coloured by their values.
- :mod:`.unrolled`: a simple RNN unrolled in time, with its shared weights.
- :mod:`.mlp`: the computational graph of a small MLP (neurons and weighted edges).
- :mod:`.gru`: one step of a GRU cell, each vector a strip coloured by its values.
- :mod:`.seq2seq`: an encoder-decoder's states and the attention between them.
- :mod:`.widgets`: figures with controls that degrade to a still figure without widgets.
"""

from .curves import plot_attention, plot_gates, plot_grad_norms, plot_history
from .gru import plot_gru_cell
from .lstm import plot_lstm_cell
from .mlp import plot_mlp
from .seq2seq import plot_seq2seq
from .unrolled import plot_unrolled_rnn
from .widgets import interactive

__all__ = ["plot_history", "plot_grad_norms", "plot_gates", "plot_attention", "plot_mlp",
           "interactive", "plot_gru_cell", "plot_lstm_cell",
           "plot_unrolled_rnn", "plot_seq2seq"]
