"""A small training toolkit: minibatches, truncated-BPTT windows, a history, early stopping and a
``fit`` loop around a user-supplied ``loss_and_grads(batch) -> (loss, grads)``.

The loop is deliberately thin: the model's forward and backward stay in the learner's hands;
``fit`` only iterates batches, clips, steps the optimizer, validates, records and stops.

Arrays are batch-first (N first), as :mod:`rnnlib.datasets` returns them.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable

import numpy as np

from ._backend import is_torch, namespace
from ._checks import ShapeError
from .clip import clip_by_norm
from .layers.module import ModuleDict

__all__ = [
    "minibatches",
    "tbptt_windows",
    "merge_params",
    "merge_grads",
    "History",
    "EarlyStopping",
    "fit",
]


def _take(a, idx):
    if isinstance(a, list):
        return [a[i] for i in idx]
    if is_torch(a):
        import torch

        return a[torch.as_tensor(idx, device=a.device)]
    return a[idx]


def minibatches(*arrays, batch_size: int, shuffle: bool = True, rng=None, drop_last: bool = False):
    """Yield minibatches of arrays (numpy, torch or lists) that share their first axis N.

    One array gives batches of it; several give tuples ``(a_batch, b_batch, ...)``.
    ``shuffle`` draws a new order each call with ``rng`` (a ``numpy.random.Generator``);
    ``drop_last`` drops a last batch smaller than ``batch_size``.
    """
    if not arrays:
        raise ValueError("minibatches: expected at least one array")
    if not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
        raise ValueError(f"batch_size: expected a positive integer, got {batch_size!r}")
    n = len(arrays[0])
    for k, a in enumerate(arrays):
        if len(a) != n:
            raise ShapeError(f"arrays[{k}]: expected length {n} (the first array's), got {len(a)}")
    if shuffle:
        rng = rng if rng is not None else np.random.default_rng()
        order = rng.permutation(n)
    else:
        order = np.arange(n)
    for start in range(0, n, batch_size):
        idx = order[start : start + batch_size]
        if drop_last and len(idx) < batch_size:
            break
        batch = tuple(_take(a, idx) for a in arrays)
        yield batch[0] if len(batch) == 1 else batch


def tbptt_windows(x, window: int, y=None, *, time_axis: int = 1):
    """Cut a long batch into consecutive time windows for truncated BPTT.

    x (N, T, ...) (time on ``time_axis``, 1 by default for batch-first) -> windows
    x[:, 0:window], x[:, window:2 window], ... (the last may be shorter). With ``y`` (same T)
    yields ``(x_w, y_w)`` pairs.

    Carry the state between windows and do not backpropagate into it:

        state = None
        for xw, yw in tbptt_windows(x, 25, y):
            out, state = rnn.forward(xw, state)     # starts where the last window ended
            ...; rnn.backward(dout)                 # dstate=None: the gradient stops here
    """
    if not isinstance(window, (int, np.integer)) or window < 1:
        raise ValueError(f"window: expected a positive integer, got {window!r}")
    T = x.shape[time_axis]
    if y is not None and y.shape[time_axis] != T:
        raise ShapeError(
            f"y: expected {T} steps on axis {time_axis} (as x), got {y.shape[time_axis]}"
        )
    for start in range(0, T, window):
        sl = [slice(None)] * x.ndim
        sl[time_axis] = slice(start, start + window)
        xw = x[tuple(sl)]
        if y is None:
            yield xw
        else:
            sly = [slice(None)] * y.ndim
            sly[time_axis] = slice(start, start + window)
            yield xw, y[tuple(sly)]


def merge_params(**modules):
    """The parameters of several layers by dotted name, as a model holding them as children
    would list them: ``merge_params(emb=emb, rnn=rnn) -> {"emb.weight": ..., "rnn.weight_ih_l0":
    ...}`` (the ``params`` of ``ModuleDict(emb=emb, rnn=rnn)``). The arrays are the layers' own,
    so an optimizer built on it updates the layers."""
    return ModuleDict(**modules).params


def merge_grads(**modules) -> dict:
    """The gradients of the layers, keyed as :func:`merge_params` keys their parameters."""
    return dict(ModuleDict(**modules).grads)


class History:
    """Per-epoch record of a training run.

    ``train_loss`` and ``val_loss`` are lists (one value per epoch; ``val_loss`` empty
    without validation), ``metrics`` a dict name -> list, ``grad_norms`` the global gradient
    norm of every step (before clipping), ``step_losses`` the loss of every step.
    """

    def __init__(self):
        self.train_loss: list[float] = []
        self.val_loss: list[float] = []
        self.metrics: dict[str, list[float]] = {}
        self.grad_norms: list[float] = []
        self.step_losses: list[float] = []
        self.stopped_early = False

    def log(self, train_loss: float, val_loss: float | None = None, **metrics) -> None:
        """Record one epoch."""
        self.train_loss.append(float(train_loss))
        if val_loss is not None:
            self.val_loss.append(float(val_loss))
        for k, v in metrics.items():
            self.metrics.setdefault(k, []).append(float(v))

    def __len__(self) -> int:
        return len(self.train_loss)

    @property
    def epochs(self) -> int:
        return len(self.train_loss)

    @property
    def best_epoch(self) -> int:
        """Index (from 0) of the epoch with the lowest validation loss (training loss
        without validation)."""
        losses = self.val_loss or self.train_loss
        if not losses:
            raise ValueError("History: no epoch recorded yet")
        return int(np.argmin(losses))

    @property
    def best_loss(self) -> float:
        return (self.val_loss or self.train_loss)[self.best_epoch]

    def as_dict(self) -> dict:
        return {"train_loss": self.train_loss, "val_loss": self.val_loss, **self.metrics}

    def __repr__(self) -> str:
        if not self.train_loss:
            return "History(empty)"
        last = f"train_loss={self.train_loss[-1]:.4f}"
        if self.val_loss:
            last += f", val_loss={self.val_loss[-1]:.4f}"
        return f"History({len(self)} epochs, {last}, best_epoch={self.best_epoch})"


class EarlyStopping:
    """Stop when the monitored value (lower is better) has not improved by more than
    ``min_delta`` for ``patience`` consecutive epochs.

    ``stop = es.step(value)`` after each epoch; ``es.best``, ``es.best_epoch`` and
    ``es.improved`` (did the last step improve?) describe the run.
    """

    def __init__(self, patience: int = 5, min_delta: float = 0.0):
        if not isinstance(patience, (int, np.integer)) or patience < 1:
            raise ValueError(f"patience: expected a positive integer, got {patience!r}")
        if min_delta < 0:
            raise ValueError(f"min_delta: expected a number >= 0, got {min_delta}")
        self.patience, self.min_delta = patience, min_delta
        self.best = math.inf
        self.best_epoch = -1
        self.epoch = -1
        self.bad_epochs = 0
        self.improved = False
        self.should_stop = False

    def step(self, value: float) -> bool:
        """Record one epoch's value; True when training should stop."""
        self.epoch += 1
        value = float(value)
        self.improved = value < self.best - self.min_delta
        if self.improved:
            self.best, self.best_epoch, self.bad_epochs = value, self.epoch, 0
        else:
            self.bad_epochs += 1
        self.should_stop = self.bad_epochs >= self.patience
        return self.should_stop


def fit(
    loss_and_grads: Callable,
    optimizer,
    batches: Callable[[], Iterable] | Iterable,
    epochs: int,
    *,
    val_fn: Callable[[], float | dict] | None = None,
    clip: float | None = None,
    early_stopping: EarlyStopping | int | None = None,
    restore_best: bool = True,
    progress: bool = True,
    history: History | None = None,
) -> History:
    """Train for ``epochs`` epochs and return a :class:`History`.

    - ``loss_and_grads(batch) -> (loss, grads)``: the learner's forward and backward on one
      batch; ``grads`` has the keys of ``optimizer.params`` (see :func:`merge_params`).
    - ``optimizer``: an rnnlib optimizer (``rnnlib.Adam(params, lr=...)``).
    - ``batches``: a function returning the batches of one epoch (for example
      ``lambda: minibatches(X, Y, batch_size=32, rng=rng)``) or a list reused every epoch.
    - ``val_fn() -> val_loss`` or a dict with ``"val_loss"`` and any other metrics, called
      after each epoch.
    - ``clip``: clip the global gradient norm to this value (the norm before clipping is
      recorded in ``history.grad_norms`` in any case).
    - ``early_stopping``: an :class:`EarlyStopping` or a patience; monitors the validation
      loss (the training loss without ``val_fn``). With ``restore_best`` the parameters of the
      best epoch are copied back into ``optimizer.params`` (in place) at the end.
    - ``progress``: a tqdm bar over epochs (``tqdm.auto``: a widget in Jupyter).
    """
    if not isinstance(epochs, (int, np.integer)) or epochs < 1:
        raise ValueError(f"epochs: expected a positive integer, got {epochs!r}")
    if isinstance(early_stopping, (int, np.integer)) and not isinstance(early_stopping, bool):
        early_stopping = EarlyStopping(patience=int(early_stopping))
    history = history if history is not None else History()
    params = optimizer.params
    best_params = None
    bar = range(epochs)
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(bar, desc="treino", unit="época")
    for _ in bar:
        total, count = 0.0, 0
        for batch in batches() if callable(batches) else batches:
            loss, grads = loss_and_grads(batch)
            loss = float(loss)
            if not math.isfinite(loss):
                raise FloatingPointError(
                    f"loss became {loss} at step {len(history.step_losses)}: lower the learning "
                    "rate or clip the gradients (clip=...)"
                )
            norm = clip_by_norm(grads, clip) if clip is not None else _global_norm(grads)
            history.grad_norms.append(float(norm))
            history.step_losses.append(loss)
            optimizer.step(grads)
            total += loss
            count += 1
        if count == 0:
            raise ValueError("batches: an epoch produced no batch")
        train_loss = total / count
        val_loss, metrics = None, {}
        if val_fn is not None:
            v = val_fn()
            if isinstance(v, dict):
                metrics = dict(v)
                val_loss = metrics.pop("val_loss", None)
            else:
                val_loss = v
        history.log(train_loss, val_loss, **metrics)
        if progress:
            post = {"loss": f"{train_loss:.4f}"}
            if val_loss is not None:
                post["val"] = f"{float(val_loss):.4f}"
            bar.set_postfix(post)
        if early_stopping is not None:
            monitored = val_loss if val_loss is not None else train_loss
            stop = early_stopping.step(monitored)
            if restore_best and early_stopping.improved:
                best_params = {k: namespace(v).copy(v) for k, v in params.items()}
            if stop:
                history.stopped_early = True
                break
    if progress:
        bar.close()
    if best_params is not None:
        for k, v in best_params.items():
            params[k][...] = v
    return history


def _global_norm(grads: dict) -> float:
    from .clip import global_norm

    return global_norm(grads)
