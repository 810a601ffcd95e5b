"""``CharRNN``: embedding -> RNN / LSTM / GRU -> linear over the vocabulary, a character-level
language model (makemore / char-rnn style), batch-first."""

from __future__ import annotations

import numpy as np

from .. import functional as F
from .._backend import namespace
from .._checks import ShapeError
from ..layers import GRU, LSTM, RNN, Embedding, Linear, Module
from ..sampling import sample_next

__all__ = ["CharRNN"]

_CELLS = {"rnn": RNN, "lstm": LSTM, "gru": GRU}


class CharRNN(Module):
    """Character-level language model: logits over the next character at every step.

        e_t = E[x_t];  h_t = cell(e_t, h_{t-1});  logits_t = h_t W^T + b

    Shapes (batch-first): ids (N, T) ints in [0, V), logits (N, T, V), state as the
    recurrent layer's: h or (h, c) of shape (num_layers, N, H).

    The three layers are its children: ``params``/``grads`` hold theirs under the prefixes
    ``embedding.``, ``rnn.`` and ``head.``; the arrays are the layers' own, so
    ``rnnlib.Adam(model.params)`` updates the model.
    """

    def __init__(
        self,
        vocab_size: int,
        hidden_size: int = 128,
        embedding_dim: int = 32,
        cell: str = "gru",
        num_layers: int = 1,
        *,
        dtype=np.float64,
        rng=None,
    ):
        if cell not in _CELLS:
            raise ValueError(f"cell: expected one of {sorted(_CELLS)}, got {cell!r}")
        super().__init__()
        rng = rng if rng is not None else np.random.default_rng()
        self.vocab_size, self.hidden_size, self.cell = vocab_size, hidden_size, cell
        self.embedding = Embedding(vocab_size, embedding_dim, dtype=dtype, rng=rng)
        self.rnn = _CELLS[cell](
            embedding_dim, hidden_size, num_layers, batch_first=True, dtype=dtype, rng=rng
        )
        self.head = Linear(hidden_size, vocab_size, dtype=dtype, rng=rng)

    def forward(self, ids, state=None):
        """ids (N, T) ints -> logits (N, T, V), final state."""
        if getattr(ids, "ndim", None) != 2:
            got = getattr(ids, "shape", type(ids).__name__)
            raise ShapeError(f"ids: expected shape (N, T) of token ids, got {got}")
        e = self.embedding.forward(ids)  # (N, T, E)
        h, state = self.rnn.forward(e, state)  # (N, T, H)
        logits = self.head.forward(h)  # (N, T, V)
        self._cache = True
        return logits, state

    def backward(self, dlogits, dstate=None):
        """dlogits (N, T, V) -> dstate0 (the gradient of the initial state); fills grads."""
        self._require_cache()
        dh = self.head.backward(dlogits)
        de, dstate0 = self.rnn.backward(dh, dstate)  # de (N, T, E)
        self.embedding.backward(de)
        return dstate0

    def loss(self, inputs, targets, mask=None, state=None):
        """Mean cross-entropy (nats per character) of the next-character predictions over the
        positions where ``mask`` is 1, its gradients, and the final state.

        inputs, targets (N, T) ints, mask (N, T) of 0/1 or None -> (loss, grads, state)."""
        logits, state = self.forward(inputs, state)
        loss, cache = F.softmax_cross_entropy_forward(logits, targets, mask)
        self.backward(F.softmax_cross_entropy_backward(cache))
        return float(loss), self.grads, state

    def generate(
        self,
        n: int,
        start: int = 0,
        stop: int | None = 0,
        max_len: int = 30,
        temperature: float = 1.0,
        top_k: int | None = None,
        rng=None,
    ) -> list[list[int]]:
        """Sample ``n`` sequences in parallel from ``start``, each until ``stop`` is drawn or
        ``max_len`` ids (``start`` and ``stop`` not included). Returns lists of ids."""
        rng = rng if rng is not None else np.random.default_rng()
        with self.no_grad():  # a pending backward keeps the caches of its forward
            return self._generate(n, start, stop, max_len, temperature, top_k, rng)

    def _generate(self, n, start, stop, max_len, temperature, top_k, rng):
        W = self.head.params["weight"]
        ops = namespace(W)
        tokens = np.full(n, start, dtype=np.int64)
        state, out = None, [[] for _ in range(n)]
        done = np.zeros(n, dtype=bool)
        for _ in range(max_len):
            ids = tokens[:, None]
            if ops.name == "torch":
                import torch

                ids = torch.as_tensor(ids, device=W.device)
            logits, state = self.forward(ids, state)
            tokens = sample_next(logits[:, -1], temperature, top_k, rng)
            for i in np.flatnonzero(~done):
                if stop is not None and tokens[i] == stop:
                    done[i] = True
                else:
                    out[i].append(int(tokens[i]))
            if done.all():
                break
        return out
