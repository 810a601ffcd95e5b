"""Curves and heatmaps: loss curves, gradient norm per time step, gate activations and
attention heatmaps. matplotlib is imported inside each function (``import rnnlib`` stays fast).

Every function returns the matplotlib ``Figure``; pass ``ax`` to draw into an existing axes.
Arrays may be numpy arrays or torch tensors. Labels are in Portuguese (the course's language).
"""

from __future__ import annotations

import numpy as np

from ._base import _axes, _np

__all__ = ["plot_history", "plot_grad_norms", "plot_gates", "plot_attention"]


def plot_history(history, ax=None, log_scale: bool = False, title: str | None = None):
    """Training (and validation) loss per epoch, with the best epoch marked.

    ``history``: a :class:`rnnlib.training.History`, or a dict with ``"train_loss"`` and
    optionally ``"val_loss"`` lists."""
    if isinstance(history, dict):
        train, val = list(history.get("train_loss", [])), list(history.get("val_loss", []))
    else:
        train, val = list(history.train_loss), list(history.val_loss)
    if not train:
        raise ValueError("history: no epoch recorded (train_loss is empty)")
    fig, ax = _axes(ax, (6, 4))
    epochs = np.arange(1, len(train) + 1)
    ax.plot(epochs, train, marker="o", ms=3, label="treino")
    if val:
        ax.plot(np.arange(1, len(val) + 1), val, marker="o", ms=3, label="validação")
        best = int(np.argmin(val))
        ax.axvline(best + 1, color="gray", ls=":", label=f"melhor época ({best + 1})")
    ax.set_xlabel("época")
    ax.set_ylabel("perda")
    if log_scale:
        ax.set_yscale("log")
    ax.set_title(title or "Curvas de perda")
    ax.legend()
    ax.grid(alpha=0.3)
    return fig


def plot_grad_norms(norms_per_step, ax=None, log_scale: bool = True, labels=None, title=None):
    """Gradient norm against the time step it flows back to (vanishing/exploding gradients).

    ``norms_per_step``: (T,) one curve, (K, T) K curves (e.g. one per model, labelled by
    ``labels``), or a dict label -> (T,)."""
    if isinstance(norms_per_step, dict):
        labels = list(norms_per_step)
        curves = [_np(v).reshape(-1) for v in norms_per_step.values()]
    else:
        arr = _np(norms_per_step)
        if arr.ndim not in (1, 2):
            raise ValueError(f"norms_per_step: expected shape (T,) or (K, T), got {arr.shape}")
        curves = [arr] if arr.ndim == 1 else list(arr)
    if labels is not None and len(labels) != len(curves):
        raise ValueError(f"labels: expected {len(curves)} labels, got {len(labels)}")
    fig, ax = _axes(ax, (6, 4))
    for i, c in enumerate(curves):
        ax.plot(np.arange(len(c)), c, label=None if labels is None else str(labels[i]))
    if log_scale:
        ax.set_yscale("log")
    ax.set_xlabel("passo de tempo t")
    ax.set_ylabel(r"$\|\partial L / \partial h_t\|$")
    ax.set_title(title or "Norma do gradiente por passo de tempo")
    if labels is not None:
        ax.legend()
    ax.grid(alpha=0.3)
    return fig


def plot_gates(gates, tokens=None, max_units: int | None = 64, title=None):
    """Heatmaps of gate activations over time, one panel per gate.

    ``gates``: an array (T, H) (one gate), or a dict name -> (T, H) (e.g. ``{"entrada": i,
    "esquecimento": f, "saída": o}``), values usually in [0, 1]. ``tokens`` (T,) labels the
    time axis (e.g. the characters read); at most ``max_units`` hidden units are drawn."""
    import matplotlib.pyplot as plt

    if not isinstance(gates, dict):
        gates = {"porta": gates}
    if not gates:
        raise ValueError("gates: expected at least one gate array")
    mats = {}
    for name, g in gates.items():
        g = _np(g)
        if g.ndim != 2:
            raise ValueError(f"gates[{name!r}]: expected shape (T, H), got {g.shape}")
        mats[name] = g[:, :max_units] if max_units else g
    T = next(iter(mats.values())).shape[0]
    if tokens is not None and len(tokens) != T:
        raise ValueError(f"tokens: expected {T} labels (one per time step), got {len(tokens)}")
    k = len(mats)
    fig, axes = plt.subplots(k, 1, figsize=(max(6, 0.3 * T), 2.2 * k), squeeze=False)
    lo = min(float(m.min()) for m in mats.values())
    hi = max(float(m.max()) for m in mats.values())
    vmin, vmax = (0.0, 1.0) if lo >= 0 and hi <= 1 else (lo, hi)
    for ax, (name, m) in zip(axes[:, 0], mats.items(), strict=True):
        im = ax.imshow(
            m.T, aspect="auto", cmap="viridis", vmin=vmin, vmax=vmax, interpolation="nearest"
        )
        ax.set_ylabel(f"{name}\nunidade")
        if tokens is not None:
            ax.set_xticks(np.arange(T))
            ax.set_xticklabels([str(t) for t in tokens])
        fig.colorbar(im, ax=ax)
    axes[-1, 0].set_xlabel("passo de tempo")
    fig.suptitle(title or "Ativações das portas")
    fig.tight_layout()
    return fig


def plot_attention(weights, src_tokens, tgt_tokens, ax=None, title=None):
    """Attention heatmap: row i is the distribution over source positions when the decoder
    writes target token i.

    ``weights`` (T_tgt, T_src), ``src_tokens`` (T_src,), ``tgt_tokens`` (T_tgt,)."""
    w = _np(weights)
    if w.ndim != 2:
        raise ValueError(f"weights: expected shape (T_tgt, T_src), got {w.shape}")
    if len(src_tokens) != w.shape[1] or len(tgt_tokens) != w.shape[0]:
        raise ValueError(
            f"tokens: weights have shape {w.shape} (T_tgt, T_src) but got {len(tgt_tokens)} "
            f"target and {len(src_tokens)} source tokens"
        )
    fig, ax = _axes(ax, (max(4, 0.35 * w.shape[1]), max(3, 0.35 * w.shape[0])))
    im = ax.imshow(
        w,
        cmap="Blues",
        vmin=0.0,
        vmax=max(1e-12, float(w.max())),
        aspect="auto",
        interpolation="nearest",
    )
    ax.set_xticks(np.arange(w.shape[1]))
    ax.set_xticklabels([str(t) for t in src_tokens], rotation=90)
    ax.set_yticks(np.arange(w.shape[0]))
    ax.set_yticklabels([str(t) for t in tgt_tokens])
    ax.set_xlabel("entrada (origem)")
    ax.set_ylabel("saída (destino)")
    ax.set_title(title or "Pesos de atenção")
    fig.colorbar(im, ax=ax)
    return fig
