"""RNN, LSTM and GRU layers with torch's constructor, parameter names and state layout.

A layer stacks ``num_layers`` of one cell type, each optionally bidirectional: the
backward direction reads the sequence reversed, and its outputs are reversed back and
concatenated after the forward direction's on the feature axis, as torch does.

Shapes (time-major; ``batch_first=True`` swaps T and N for x and out only):
x (T, N, D), out (T, N, num_directions * H), h and c (num_layers * num_directions, N, H).
Parameters: ``weight_ih_l{k}`` (G*H, D_k), ``weight_hh_l{k}`` (G*H, H), ``bias_ih_l{k}``,
``bias_hh_l{k}`` (G*H,), suffix ``_reverse`` for the backward direction; G = 1, 4, 3.

Padded batches: ``forward(x, state, lengths)`` with ``lengths`` (N,) ints follows torch's
``pack_padded_sequence`` semantics; the machinery (sorting, segments, reversal within each
length) is in :mod:`.padded`.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from .. import functional as F
from .._backend import namespace
from .._checks import check_float, check_shape
from ..init import uniform_default
from .module import Module
from .padded import PaddedBatches, PaddedCache
from .padded import _reverse_within as _reverse_within  # chapter 08 imports it from here


class RecurrentCache(NamedTuple):
    caches: list  # [layer][direction] -> the sequence op's cache
    batch_first: bool


class _Recurrent(PaddedBatches, Module):
    gates = 1
    has_cell = False  # LSTM carries (h, c)

    def __init__(
        self,
        input_size,
        hidden_size,
        num_layers=1,
        bias=True,
        batch_first=False,
        bidirectional=False,
        *,
        dtype=np.float64,
        rng=None,
    ):
        super().__init__()
        for name, v in (
            ("input_size", input_size),
            ("hidden_size", hidden_size),
            ("num_layers", num_layers),
        ):
            if not isinstance(v, (int, np.integer)) or v < 1:
                raise ValueError(f"{name}: expected a positive integer, got {v!r}")
        self.input_size, self.hidden_size, self.num_layers = input_size, hidden_size, num_layers
        self.bias, self.batch_first, self.bidirectional = bias, batch_first, bidirectional
        self.num_directions = 2 if bidirectional else 1
        rng = rng if rng is not None else np.random.default_rng()
        G, H = self.gates, hidden_size
        for k in range(num_layers):
            D_k = input_size if k == 0 else H * self.num_directions
            for suffix in self._suffixes():
                p = f"_l{k}{suffix}"
                self.params["weight_ih" + p] = uniform_default((G * H, D_k), rng, H, dtype)
                self.params["weight_hh" + p] = uniform_default((G * H, H), rng, H, dtype)
                if bias:
                    self.params["bias_ih" + p] = uniform_default((G * H,), rng, H, dtype)
                    self.params["bias_hh" + p] = uniform_default((G * H,), rng, H, dtype)

    def _suffixes(self):
        return ("", "_reverse") if self.bidirectional else ("",)

    def _weights(self, k, suffix):
        p = f"_l{k}{suffix}"
        get = self.params.get
        return get("weight_ih" + p), get("weight_hh" + p), get("bias_ih" + p), get("bias_hh" + p)

    # -- one direction of one layer; subclasses bind the functional ops --------------------
    def _run(self, x, state, weights):
        """x (T, N, D), state: tuple of (N, H) -> out (T, N, H), final state tuple, cache."""
        raise NotImplementedError

    def _run_backward(self, dout, dstate, cache):
        """-> dx (T, N, D), dstate0 tuple, grads dict."""
        raise NotImplementedError

    # -- the layer ----------------------------------------------------------------------------
    def _check_input(self, x, state):
        W = self.params["weight_hh_l0"]
        dims = "NTD" if self.batch_first else "TND"
        check_shape("x", x, (None, None, self.input_size), dims)
        check_float("x", x, like=W)
        N = x.shape[0] if self.batch_first else x.shape[1]
        L = self.num_layers * self.num_directions
        states = () if state is None else (state if self.has_cell else (state,))
        if (
            self.has_cell
            and state is not None
            and not (isinstance(state, tuple) and len(state) == 2)
        ):
            raise ValueError("state: expected the tuple (h, c) for an LSTM")
        for name, s in zip(("h", "c"), states, strict=False):
            if s is not None:
                check_shape(f"state {name}", s, (L, N, self.hidden_size), ("layers*dirs", "N", "H"))
                check_float(f"state {name}", s, like=W)
        return N

    def forward(self, x, state=None, lengths=None):
        """x (T, N, D) (or (N, T, D) if batch_first), state h or (h, c) of shape
        (num_layers * num_directions, N, H) or None (zeros) -> out, final state.

        lengths: None, or (N,) ints in [1, T], the valid length of each sequence of a padded
        batch (see the module docstring): out is 0 at t >= lengths[n], the reverse direction
        reads each sequence reversed within its length, the final state is taken at each
        sequence's last valid step.
        """
        N = self._check_input(x, state)
        if lengths is not None:
            return self._forward_padded(x, state, lengths)
        ops = namespace(x)
        x = x.swapaxes(0, 1) if self.batch_first else x
        state = self._initial_state(state, N, like=x)
        out, finals, caches = self._forward_stack(
            x,
            state,
            lambda a: ops.flip(a, axis=0),
            lambda seq, s0, weights: self._run(seq, s0, weights),
        )
        self._cache = RecurrentCache(caches, self.batch_first)
        out = out.swapaxes(0, 1) if self.batch_first else out
        final_state = tuple(ops.stack(f, axis=0) for f in finals)
        return out, (final_state if self.has_cell else final_state[0])

    def _initial_state(self, state, N, like):
        """The state as a tuple (h,) or (h, c) of (L * dirs, N, H); zeros when None."""
        if state is None:
            zero = namespace(like).zeros(
                (self.num_layers * self.num_directions, N, self.hidden_size), like=like
            )
            return (zero,) * (2 if self.has_cell else 1)
        return state if self.has_cell else (state,)

    def _forward_stack(self, x, state, reverse, run_direction):
        """The layer-and-direction loop of the forward pass, shared by plain and padded batches.

        x (T, N, D) time-major; state tuple of (L * dirs, N, H); reverse(a) puts a time-major
        array in the reverse direction's order (and back: it is its own inverse);
        run_direction(seq, state0, weights) -> out (T, N, H), final state tuple, cache.
        Returns out (T, N, dirs * H), the final states as lists per state tensor, caches
        [layer][direction].
        """
        ops = namespace(x)
        caches, finals = [], [[] for _ in state]
        inp = x
        for k in range(self.num_layers):
            outs, layer_caches = [], []
            for d, suffix in enumerate(self._suffixes()):
                idx = k * self.num_directions + d
                seq = inp if d == 0 else reverse(inp)
                out, final, cache = run_direction(
                    seq, tuple(s[idx] for s in state), self._weights(k, suffix)
                )
                outs.append(out if d == 0 else reverse(out))
                layer_caches.append(cache)
                for j, f in enumerate(final):
                    finals[j].append(f)
            inp = outs[0] if len(outs) == 1 else ops.concat(outs, axis=-1)  # (T, N, dirs*H)
            caches.append(layer_caches)
        return inp, finals, caches

    def backward(self, dout, dstate=None):
        """BPTT through every layer and direction. dout like out (or None), dstate like the
        final state (or None) -> dx like x, dstate0 like the initial state; fills self.grads.

        After a padded forward, the gradient at padded positions of dout is ignored (those
        outputs are the constant 0) and dx is 0 there."""
        cache = self._require_cache()
        if isinstance(cache, PaddedCache):
            return self._backward_padded(dout, dstate, cache)
        caches, batch_first = cache
        ops = namespace(self.params["weight_hh_l0"])
        if dout is not None and batch_first:
            dout = dout.swapaxes(0, 1)
        if dstate is not None and not self.has_cell:
            dstate = (dstate,)
        dx, dstate0 = self._backward_stack(
            dout,
            dstate,
            lambda a: ops.flip(a, axis=0),
            lambda dout_d, dfinal, k, d: self._run_backward(dout_d, dfinal, caches[k][d]),
        )
        dx = dx.swapaxes(0, 1) if batch_first else dx
        dstate0 = tuple(ops.stack(s, axis=0) for s in dstate0)
        return dx, (dstate0 if self.has_cell else dstate0[0])

    def _backward_stack(self, dout, dstate, reverse, run_direction):
        """BPTT's layer-and-direction loop, shared by plain and padded batches; fills
        self.grads.

        dout (T, N, dirs * H) time-major or None; dstate tuple of (L * dirs, N, H) (entries
        may be None) or None; reverse as in :meth:`_forward_stack`;
        run_direction(dout_d, dfinal, k, d) -> dx, dstate0 tuple, grads of layer k, direction d.
        Returns dx (T, N, D) time-major and dstate0 as lists per state tensor.
        """
        H, dirs = self.hidden_size, self.num_directions
        n_state = 2 if self.has_cell else 1
        grads, dstate0 = {}, [[None] * (self.num_layers * dirs) for _ in range(n_state)]
        for k in range(self.num_layers - 1, -1, -1):
            dinp = None
            for d, suffix in enumerate(self._suffixes()):
                idx = k * dirs + d
                dout_d = None
                if dout is not None:
                    dout_d = dout[..., d * H : (d + 1) * H]
                    dout_d = dout_d if d == 0 else reverse(dout_d)
                dfinal = (None,) * n_state
                if dstate is not None:
                    dfinal = tuple(s[idx] if s is not None else None for s in dstate)
                dx, ds0, g = run_direction(dout_d, dfinal, k, d)
                dx = dx if d == 0 else reverse(dx)
                dinp = dx if dinp is None else dinp + dx
                for j in range(n_state):
                    dstate0[j][idx] = ds0[j]
                grads.update({f"{name}_l{k}{suffix}": v for name, v in g.items()})
            dout = dinp
        self.grads = {name: grads[name] for name in self.params}
        return dout, dstate0


class RNN(_Recurrent):
    """Elman RNN: h_t = f(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh), f = tanh or relu."""

    def __init__(
        self,
        input_size,
        hidden_size,
        num_layers=1,
        nonlinearity="tanh",
        bias=True,
        batch_first=False,
        bidirectional=False,
        *,
        dtype=np.float64,
        rng=None,
    ):
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"nonlinearity: expected 'tanh' or 'relu', got {nonlinearity!r}")
        self.nonlinearity = nonlinearity
        super().__init__(
            input_size,
            hidden_size,
            num_layers,
            bias,
            batch_first,
            bidirectional,
            dtype=dtype,
            rng=rng,
        )

    def _run(self, x, state, weights):
        hs, cache = F.rnn_forward(x, state[0], *weights, nonlinearity=self.nonlinearity)
        return hs, (hs[-1],), cache

    def _run_backward(self, dout, dstate, cache):
        dx, dh0, g = F.rnn_backward(dout, cache, dh_last=dstate[0])
        return dx, (dh0,), g


class LSTM(_Recurrent):
    """LSTM with torch's gate order i, f, g, o; state (h, c)."""

    gates = 4
    has_cell = True

    def _run(self, x, state, weights):
        hs, c, cache = F.lstm_forward(x, state[0], state[1], *weights)
        return hs, (hs[-1], c), cache

    def _run_backward(self, dout, dstate, cache):
        dx, dh0, dc0, g = F.lstm_backward(dout, cache, dh_last=dstate[0], dc_last=dstate[1])
        return dx, (dh0, dc0), g


class GRU(_Recurrent):
    """GRU with torch's gate order r, z, n and n = tanh(W_in x + b_in + r * (W_hn h + b_hn))."""

    gates = 3

    def _run(self, x, state, weights):
        hs, cache = F.gru_forward(x, state[0], *weights)
        return hs, (hs[-1],), cache

    def _run_backward(self, dout, dstate, cache):
        dx, dh0, g = F.gru_backward(dout, cache, dh_last=dstate[0])
        return dx, (dh0,), g
