"""The computational graph of a small MLP, drawn from its own tensors.

Neurons are circles in columns (one column per layer), coloured by their values for one example;
each weight ``W[m, d]`` is a line from neuron ``d`` of one column to neuron ``m`` of the next,
red when positive, blue when negative, as thick as ``|W[m, d]|`` is large. Passing gradients
(``dW``, same shapes) instead of weights draws where the loss pushes the weights.
"""

from __future__ import annotations

import numpy as np

from ._base import _axes, _np

__all__ = ["plot_mlp", "edge_widths"]

MAX_WIDTH = 4.0  # line width of the largest |weight|
MIN_WIDTH = 0.3
POSITIVE = (0.80, 0.15, 0.15, 0.75)  # RGBA of a positive edge (red)
NEGATIVE = (0.15, 0.30, 0.80, 0.75)  # and of a negative one (blue)


def edge_widths(values) -> np.ndarray:
    """Line widths for edge values: ``MIN_WIDTH + (MAX_WIDTH - MIN_WIDTH) |v| / max |v|``."""
    v = np.abs(_np(values))
    top = float(v.max()) if v.size else 0.0
    return MIN_WIDTH + (MAX_WIDTH - MIN_WIDTH) * (v / top if top > 0 else v)


def _check(weights, activations):
    mats = [_np(w) for w in weights]
    if not mats:
        raise ValueError("weights: expected at least one weight matrix")
    for k, w in enumerate(mats):
        if w.ndim != 2:
            raise ValueError(f"weights[{k}]: expected shape (M, D), got {w.shape}")
        if k and w.shape[1] != mats[k - 1].shape[0]:
            raise ValueError(
                f"weights[{k}] has shape {w.shape} but weights[{k - 1}] has {mats[k - 1].shape}: "
                f"layer {k} must read the {mats[k - 1].shape[0]} outputs of layer {k - 1}"
            )
    sizes = [mats[0].shape[1]] + [w.shape[0] for w in mats]
    acts = None
    if activations is not None:
        acts = [_np(a).reshape(-1) for a in activations]
        if [a.size for a in acts] != sizes:
            raise ValueError(
                f"activations: expected vectors of sizes {sizes} (one per column of neurons), "
                f"got {[a.size for a in acts]}"
            )
    return mats, sizes, acts


def _positions(sizes):
    """(x, y) of every neuron, column by column, each column centred on y = 0."""
    return [np.column_stack([np.full(n, float(k)), (n - 1) / 2 - np.arange(n)])
            for k, n in enumerate(sizes)]


def plot_mlp(weights, activations=None, ax=None, title=None, layer_names=None, op_names=None):
    """Draw an MLP as neurons and weighted edges.

    ``weights``: list of L matrices, ``weights[l]`` of shape (M_l, D_l) (``y = x W^T + b``, the
    course's convention), with ``D_l = M_{l-1}``; gradients of the same shapes work too.
    ``activations``: optional list of L + 1 vectors (the input, each layer's output), sizes
    ``[D_0, M_0, ..., M_{L-1}]``: the neurons are coloured by these values (one example).
    ``layer_names``: labels under the columns; ``op_names``: labels between columns (the
    operation of each layer, e.g. ``"tanh(x W₁ᵀ + b₁)"``).

    The edges are one ``LineCollection`` per layer (``ax.collections``), widths from
    :func:`edge_widths` of that layer's matrix; the neurons are one ``scatter`` per column."""
    import matplotlib.pyplot as plt
    from matplotlib.collections import LineCollection

    mats, sizes, acts = _check(weights, activations)
    L = len(mats)
    fig, ax = _axes(ax, (1.8 + 1.6 * L, 0.9 + 0.45 * max(sizes)))
    pos = _positions(sizes)
    for k, w in enumerate(mats):
        src, dst = pos[k], pos[k + 1]
        segs = [(src[d], dst[m]) for m in range(w.shape[0]) for d in range(w.shape[1])]
        vals = w.reshape(-1)
        colors = np.where(vals[:, None] >= 0, [POSITIVE], [NEGATIVE])
        ax.add_collection(LineCollection(segs, linewidths=edge_widths(vals), colors=colors,
                                         zorder=1))
    cmap = plt.get_cmap("coolwarm")
    top = max((float(np.abs(a).max()) for a in acts), default=1.0) if acts else 1.0
    top = top if top > 0 else 1.0
    for k, p in enumerate(pos):
        face = cmap(0.5 + 0.5 * acts[k] / top) if acts else "white"
        ax.scatter(p[:, 0], p[:, 1], s=420, c=face if acts else None,
                   facecolors=None if acts else "white", edgecolors="black", zorder=2)
        if acts:
            for (x, y), v in zip(p, acts[k], strict=True):
                ax.annotate(f"{v:.2f}", (x, y), ha="center", va="center", fontsize=6, zorder=3)
    names = layer_names or (["entrada"] + [f"oculta {k}" for k in range(1, L)] + ["saída"])
    low = -max(sizes) / 2 - 0.2
    for k, name in enumerate(names[: L + 1]):
        ax.annotate(name, (k, low), ha="center", va="top", fontsize=9)
    for k, name in enumerate((op_names or [])[:L]):
        ax.annotate(name, (k + 0.5, -low + 0.1), ha="center", va="bottom", fontsize=9,
                    color="0.25")
    ax.set_xlim(-0.4, L + 0.4)
    ax.set_ylim(low - 0.6, -low + 0.6)
    ax.set_axis_off()
    ax.set_title(title or "Grafo da MLP: vermelho = positivo, azul = negativo")
    return fig
