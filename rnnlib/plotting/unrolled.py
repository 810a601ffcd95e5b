"""A simple RNN unrolled in time, drawn from its own tensors: one copy of the cell per step,
every copy joined to the next by the SAME recurrent matrix, and optionally the gradient that
flows back to each step.

Each state ``h_t`` is a column of squares (one per unit) coloured by its values; the inputs
``x_t`` are columns below; the matrix ``W_hh`` shared by every horizontal arrow is drawn once, on
the left, as a heatmap. With ``grad_norms`` (``||dL/dh_t||`` per step) a red arrow goes back
from each step to the previous one, as thick as the gradient arriving there is large.
"""

from __future__ import annotations

import numpy as np

from ._base import _np, _strip

__all__ = ["plot_unrolled_rnn", "grad_widths"]


def grad_widths(norms) -> np.ndarray:
    """Line widths of the backward arrows: 0.4 + 5 * norm / max(norm)."""
    n = np.abs(_np(norms)).reshape(-1)
    top = float(n.max()) if n.size else 0.0
    return 0.4 + 5.0 * (n / top if top > 0 else n)


def plot_unrolled_rnn(hs, W_hh, xs=None, grad_norms=None, title=None):
    """Draw the unrolled RNN for one example.

    ``hs``: (T, H) the states h_1..h_T (pass ``hs[:, n]`` of a (T, N, H) batch);
    ``W_hh``: (H, H) the recurrent matrix, the same at every step; ``xs``: optional (T, D)
    inputs; ``grad_norms``: optional (T,) norms of dL/dh_t. The state columns are
    ``PatchCollection``s labelled ``"h_1"``, ... (``get_array()`` = the values drawn); the
    backward arrows are annotations with ``gid="grad_t"``."""
    import matplotlib.pyplot as plt

    h = _np(hs)
    if h.ndim != 2:
        raise ValueError(f"hs: expected shape (T, H) (one example), got {h.shape}")
    T, H = h.shape
    W = _np(W_hh)
    if W.shape != (H, H):
        raise ValueError(f"W_hh: expected shape ({H}, {H}) for states with H = {H}, got {W.shape}")
    x = None if xs is None else _np(xs)
    if x is not None and (x.ndim != 2 or x.shape[0] != T):
        raise ValueError(f"xs: expected shape (T, D) with T = {T}, got {x.shape}")
    g = None if grad_norms is None else _np(grad_norms).reshape(-1)
    if g is not None and g.shape[0] != T:
        raise ValueError(f"grad_norms: expected {T} values (one per step), got {g.shape[0]}")
    fig, (ax_w, ax) = plt.subplots(1, 2, figsize=(2.5 + 1.3 * T, 4.2),
                                   gridspec_kw={"width_ratios": [1.2, max(3, T)]})
    lim = float(np.abs(W).max()) or 1.0
    im = ax_w.imshow(W, cmap="PuOr", vmin=-lim, vmax=lim)
    ax_w.set_title("$W_{hh}$ (a mesma\nem todas as setas)", fontsize=9)
    ax_w.set_xticks([])
    ax_w.set_yticks([])
    fig.colorbar(im, ax=ax_w, fraction=0.046)
    top = max(1.0, float(np.abs(h).max()))
    col = 1.6  # height of a state column
    for t in range(T):
        _strip(ax, f"h_{t + 1}", h[t], t, 2.0, "coolwarm", -top, top, width=col, height=0.35,
               vertical=True)
        ax.annotate(f"$h_{{{t + 1}}}$", (t, 2.0 + col / 2 + 0.1), ha="center", va="bottom")
        if t:
            ax.annotate("", (t - 0.2, 2.25), (t - 0.8, 2.25),
                        arrowprops=dict(arrowstyle="-|>", color="purple", lw=1.4))
            ax.annotate("$W_{hh}$", (t - 0.5, 2.35), ha="center", va="bottom", fontsize=8,
                        color="purple")
        if x is not None:
            xt = x[t]
            lx = float(np.abs(x).max()) or 1.0
            _strip(ax, f"x_{t + 1}", xt, t, 0.0, "BrBG", -lx, lx, width=0.25 * len(xt),
                   height=0.35, vertical=True)
            ax.annotate("", (t, 2.0 - col / 2 - 0.05), (t, 0.15 * len(xt) + 0.05),
                        arrowprops=dict(arrowstyle="-|>", color="0.4"))
            ax.annotate(f"$x_{{{t + 1}}}$", (t, -0.15 * len(xt) - 0.1), ha="center", va="top")
    if g is not None:
        for t, w in enumerate(grad_widths(g)):
            if t:
                ax.annotate("", (t - 0.8, 1.65), (t - 0.2, 1.65), gid=f"grad_{t + 1}",
                            arrowprops=dict(arrowstyle="-|>", color="tab:red", lw=float(w)))
        ax.annotate(r"vermelho: $\|\partial L/\partial h_t\|$ voltando no tempo", (T - 0.5, 3.3),
                    ha="right", fontsize=8, color="tab:red")
    ax.set_xlim(-0.6, T - 0.4)
    low = -0.3 * (0 if x is None else x.shape[1]) - 0.5
    ax.set_ylim(low, 3.5)
    ax.set_axis_off()
    fig.suptitle(title or "A RNN desenrolada: uma cópia da célula por passo, os mesmos pesos")
    return fig
