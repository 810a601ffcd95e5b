"""Padded batches for the recurrent layers: ``forward(x, state, lengths)``.

With ``lengths`` (N,) ints the layers follow torch's ``pack_padded_sequence`` semantics.
Sequence n is x[:lengths[n], n]; the backward direction reverses it *within its own length*
(x[lengths[n] - 1 - t, n]), never reading the padding; outputs at padded positions are 0; the
final state of sequence n is the state after its last valid step. As in a ``PackedSequence``,
the batch is sorted by decreasing length and the time axis cut into segments at the distinct
lengths, so that in segment j only the sequences still running are stepped (a shrinking prefix
of the sorted batch): each segment is one call of the ordinary sequence op, started from the
previous segment's final states.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from .._backend import is_torch, namespace, to_numpy
from .._checks import DTypeError, ShapeError


class PaddedBatches:
    """The padded-batch half of a recurrent layer (mixed into ``_Recurrent``, whose
    ``_forward_stack``, ``_backward_stack``, ``_run`` and ``_run_backward`` it drives)."""

    def _forward_padded(self, x, state, lengths):
        """forward with ``lengths``: see the module docstring."""
        ops = namespace(x)
        x = x.swapaxes(0, 1) if self.batch_first else x
        T, N = x.shape[0], x.shape[1]
        lengths = _check_lengths(lengths, N, T)
        order = np.argsort(-lengths, kind="stable")  # longest first, as in a PackedSequence
        unorder = np.argsort(order)
        lens = lengths[order]
        plan = _segments(lens)
        rev = _reverse_within(lens, T)  # (T, N) time index of the reversed sequences
        cols = np.broadcast_to(np.arange(N), (T, N))
        order_i, unorder_i = _index(order, x), _index(unorder, x)
        rev_i, cols_i = _index(rev, x), _index(cols, x)
        state = tuple(s[:, order_i] for s in self._initial_state(state, N, like=x))  # sorted
        out, finals, caches = self._forward_stack(
            x[:, order_i],  # (T, N, D) sorted batch
            state,
            lambda a: a[rev_i, cols_i],  # padding stays in place (and at 0)
            lambda seq, s0, weights: self._run_segments(seq, s0, weights, plan),
        )
        self._cache = PaddedCache(
            caches, self.batch_first, plan, order_i, unorder_i, rev_i, cols_i, tuple(x.shape)
        )
        out = out[:, unorder_i]
        out = out.swapaxes(0, 1) if self.batch_first else out
        final_state = tuple(ops.stack(f, axis=0)[:, unorder_i] for f in finals)
        return out, (final_state if self.has_cell else final_state[0])

    def _run_segments(self, x, state, weights, plan):
        """One direction over a sorted padded batch. x (T, N, D), state tuple of (N, H),
        plan [(t0, t1, n)]: steps t0..t1-1 run the first n sequences.
        -> out (T, N, H) with zeros at padded positions, final state tuple, segment caches."""
        ops = namespace(x)
        T, N = x.shape[0], x.shape[1]
        out = ops.zeros((T, N, self.hidden_size), like=x)
        caches, ends = [], []  # ends: the final states of the sequences ending in a segment
        current = state
        for j, (t0, t1, n) in enumerate(plan):
            n_next = plan[j + 1][2] if j + 1 < len(plan) else 0
            hs, current, cache = self._run(x[t0:t1, :n], tuple(s[:n] for s in current), weights)
            out[t0:t1, :n] = hs
            caches.append(cache)
            ends.append(tuple(s[n_next:n] for s in current))
        # sequences are sorted longest first: those ending in the last segment come first
        final = tuple(ops.concat([e[i] for e in reversed(ends)], axis=0) for i in range(len(state)))
        return out, final, caches

    def _backward_segments(self, dout, dfinal, caches, plan, shape):
        """Backward of :meth:`_run_segments`. dout (T, N, H) or None, dfinal tuple of (N, H) or
        None, shape (T, N, D) of x -> dx (T, N, D), dstate0 tuple of (N, H), grads summed
        over the segments."""
        ops = namespace(self.params["weight_hh_l0"])
        like = self.params["weight_hh_l0"]
        (T, N, D), H = shape, self.hidden_size
        dx = ops.zeros((T, N, D), like=like)
        carry = (None,) * len(dfinal)  # dstate0 of the next segment, (n_next, H)
        grads = {}
        for j in range(len(plan) - 1, -1, -1):
            t0, t1, n = plan[j]
            n_next = plan[j + 1][2] if j + 1 < len(plan) else 0
            dlast = []
            for c, f in zip(carry, dfinal, strict=True):
                if c is None and f is None:
                    dlast.append(None)
                    continue
                end = f[n_next:n] if f is not None else ops.zeros((n - n_next, H), like=like)
                dlast.append(end if c is None else ops.concat([c, end], axis=0))
            dout_j = dout[t0:t1, :n] if dout is not None else None
            dx_j, carry, g = self._run_backward(dout_j, tuple(dlast), caches[j])
            dx[t0:t1, :n] = dx_j
            for name, v in g.items():
                grads[name] = v if name not in grads else grads[name] + v
        return dx, carry, grads

    def _backward_padded(self, dout, dstate, cache):
        ops = namespace(self.params["weight_hh_l0"])
        H, dirs = self.hidden_size, self.num_directions
        rev_i, cols_i, order_i = cache.rev, cache.cols, cache.order
        T, N, D = cache.x_shape
        if dout is not None:
            dout = (dout.swapaxes(0, 1) if cache.batch_first else dout)[:, order_i]
        if dstate is not None and not self.has_cell:
            dstate = (dstate,)
        if dstate is not None:
            dstate = tuple(s[:, order_i] if s is not None else None for s in dstate)
        dx, dstate0 = self._backward_stack(
            dout,
            dstate,
            lambda a: a[rev_i, cols_i],
            lambda dout_d, dfinal, k, d: self._backward_segments(
                dout_d, dfinal, cache.caches[k][d], cache.plan, (T, N, D if k == 0 else H * dirs)
            ),
        )
        dx = dx[:, cache.unorder]
        dx = dx.swapaxes(0, 1) if cache.batch_first else dx
        dstate0 = tuple(ops.stack(s, axis=0)[:, cache.unorder] for s in dstate0)
        return dx, (dstate0 if self.has_cell else dstate0[0])


class PaddedCache(NamedTuple):
    caches: list  # [layer][direction] -> list of segment caches
    batch_first: bool
    plan: list  # [(t0, t1, n)]
    order: object  # (N,) sorting permutation (longest first), as an index of x's kind
    unorder: object  # (N,) its inverse
    rev: object  # (T, N) time index of each sequence reversed within its length
    cols: object  # (T, N) batch index paired with rev
    x_shape: tuple  # (T, N, D) time-major


def _check_lengths(lengths, N, T) -> np.ndarray:
    """lengths (N,) ints in [1, T] (numpy, torch or a list) -> numpy int64 array."""
    lengths = to_numpy(lengths)
    if lengths.shape != (N,):
        raise ShapeError(f"lengths: expected shape (N={N},), got {lengths.shape}")
    if not np.issubdtype(lengths.dtype, np.integer):
        raise DTypeError(f"lengths: expected integers, got dtype {lengths.dtype}")
    if lengths.min() < 1 or lengths.max() > T:
        raise ValueError(
            f"lengths: every length must lie in [1, T={T}], got min {lengths.min()} "
            f"max {lengths.max()}"
        )
    return lengths.astype(np.int64)


def _segments(sorted_lengths) -> list:
    """[(t0, t1, n)]: between consecutive distinct lengths, the n sequences still running."""
    plan, t0 = [], 0
    for t1 in sorted(set(sorted_lengths.tolist())):
        plan.append((t0, t1, int(np.sum(sorted_lengths > t0))))
        t0 = t1
    return plan


def _reverse_within(lengths, T) -> np.ndarray:
    """(T, N) time index: lengths[n] - 1 - t for t < lengths[n], t after (the padding stays).
    Applying it twice gives the identity, so it both reverses and restores."""
    t = np.arange(T)[:, None]
    return np.where(t < lengths[None, :], lengths[None, :] - 1 - t, t)


def _index(idx, like):
    """An integer index array usable on ``like`` (a torch tensor on its device, or numpy)."""
    if is_torch(like):
        import torch

        return torch.as_tensor(np.ascontiguousarray(idx), device=like.device)
    return idx
