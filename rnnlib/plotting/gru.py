"""The GRU cell drawn from its own tensors: each vector of one step as a coloured strip.

The layout follows the equations of chapter 06 (PyTorch's form, gates stacked r, z, n)::

    r = σ(a^x_r + a^h_r)     z = σ(a^x_z + a^h_z)     n = tanh(a^x_n + r ⊙ a^h_n)
    h = (1 - z) ⊙ n + z ⊙ h_prev

The top line carries ``h_prev`` to ``h`` through ``z ⊙ h_prev`` (the direct path); the
candidate ``n`` enters through ``(1 - z) ⊙ n``.
"""

from __future__ import annotations

from ._base import _axes, _np

_STRIPS = {  # name -> (x0, y0, label, colour map, range)
    "x": (0.2, 0.2, r"$x_t$", "coolwarm", (-2.0, 2.0)),
    "h_prev": (0.2, 5.0, r"$h_{t-1}$", "coolwarm", (-1.0, 1.0)),
    "r": (1.6, 2.2, r"$r_t = \sigma(\cdot)$" + "\nreinicialização", "viridis", (0.0, 1.0)),
    "z": (4.0, 3.3, r"$z_t = \sigma(\cdot)$" + "\natualização", "viridis", (0.0, 1.0)),
    "n": (6.4, 2.2, r"$n_t = \tanh(\cdot)$" + "\ncandidato", "coolwarm", (-1.0, 1.0)),
    "h": (8.0, 5.0, r"$h_t$", "coolwarm", (-1.0, 1.0)),
}
_W, _H = 1.8, 0.42  # strip size in data units


def _strip(ax, name, values):
    x0, y0, label, cmap, (lo, hi) = _STRIPS[name]
    im = ax.imshow(values[None, :], cmap=cmap, vmin=lo, vmax=hi, aspect="auto",
                   extent=(x0, x0 + _W, y0, y0 + _H), interpolation="nearest", zorder=3)
    im.set_label(name)
    ax.add_patch(_rect(x0, y0))
    ax.text(x0 + _W / 2, y0 - 0.12, label, ha="center", va="top", fontsize=9)
    if values.size <= 8:
        step = _W / values.size
        size = 7 if values.size <= 5 else 6
        for k, v in enumerate(values):
            light = abs(v - (lo + hi) / 2) > 0.3 * (hi - lo)  # saturated colour: white text
            ax.text(x0 + step * (k + 0.5), y0 + _H / 2, f"{v:.2f}", ha="center", va="center",
                    fontsize=size, color="white" if light else "black", zorder=4)
    return im


def _rect(x0, y0):
    from matplotlib.patches import Rectangle

    return Rectangle((x0, y0), _W, _H, fill=False, lw=1.2, ec="black", zorder=4)


def _node(ax, x, y, symbol):
    from matplotlib.patches import Circle

    ax.add_patch(Circle((x, y), 0.22, fc="white", ec="black", lw=1.2, zorder=5))
    ax.text(x, y, symbol, ha="center", va="center", fontsize=11, zorder=6)


def _arrow(ax, start, end, color="black", lw=1.2):
    ax.annotate("", xy=end, xytext=start, zorder=2,
                arrowprops={"arrowstyle": "-|>", "color": color, "lw": lw,
                            "shrinkA": 0, "shrinkB": 0})


def plot_gru_cell(h_prev, gates, h, x=None, row: int = 0, ax=None, title=None):
    """Draw one GRU step with the vectors of batch row ``row`` coloured by their values.

    h_prev: (N, H) previous state; gates: (N, 3H) activated r, z, n in that order (the
    ``gates`` of ``F.gru_cell_forward``'s cache); h: (N, H) new state; x: optional (N, D)
    input. Returns the figure; its images carry the labels ``x``, ``h_prev``, ``r``, ``z``,
    ``n``, ``h`` (``im.get_label()``) and hold exactly the drawn values.
    """
    h_prev, gates, h = _np(h_prev), _np(gates), _np(h)
    if h_prev.ndim != 2 or h.shape != h_prev.shape:
        raise ValueError(f"h_prev, h: expected the same shape (N, H), got {h_prev.shape} "
                         f"and {h.shape}")
    N, H = h.shape
    if gates.shape != (N, 3 * H):
        raise ValueError(f"gates: expected shape (N, 3H) = {(N, 3 * H)} (r, z, n), got "
                         f"{gates.shape}")
    if not 0 <= row < N:
        raise ValueError(f"row: expected 0 <= row < {N}, got {row}")
    fig, ax = _axes(ax, (9.5, 4.8))
    values = {"h_prev": h_prev[row], "r": gates[row, :H], "z": gates[row, H:2 * H],
              "n": gates[row, 2 * H:], "h": h[row]}
    if x is not None:
        values["x"] = _np(x)[row]
    for name, v in values.items():
        _strip(ax, name, v)
    top = 5.0 + _H / 2
    # direct path: h_prev --(z ⊙)--> + --> h
    _node(ax, 4.9, top, "⊙")
    _node(ax, 7.3, top, "+")
    _arrow(ax, (2.0, top), (4.68, top))
    _arrow(ax, (5.12, top), (7.08, top))
    _arrow(ax, (7.52, top), (8.0, top))
    _arrow(ax, (4.9, 3.3 + _H), (4.9, top - 0.22), color="tab:green")
    # candidate path: (1 - z) ⊙ n --> +
    _node(ax, 7.3, 4.0, "⊙")
    _node(ax, 6.1, 4.0, "1−")
    _arrow(ax, (5.8, 3.3 + _H / 2), (6.1, 3.78), color="tab:green")
    _arrow(ax, (6.32, 4.0), (7.08, 4.0), color="tab:green")
    _arrow(ax, (7.3, 2.2 + _H), (7.3, 3.78), color="tab:orange")
    _arrow(ax, (7.3, 4.22), (7.3, top - 0.22))
    # inputs of the gates: h_prev and x feed r, z and n; r scales the recurrent part of n
    _node(ax, 5.6, 1.3, "⊙")
    for target in ((2.5, 2.2), (4.9, 3.3), (7.3, 2.2)):
        _arrow(ax, (1.1, 5.0), target, color="0.6", lw=0.8)
        if x is not None:
            _arrow(ax, (1.1, 0.2 + _H), target, color="0.6", lw=0.8)
    _arrow(ax, (3.4, 2.2 + _H / 2), (5.38, 1.3), color="tab:purple")
    _arrow(ax, (5.82, 1.3), (7.0, 2.2), color="tab:purple")
    ax.text(5.6, 0.9, r"$r_t \odot a^h_n$", ha="center", va="top", fontsize=9)
    ax.set_xlim(0, 10)
    ax.set_ylim(-0.3, 6.0)
    ax.set_axis_off()
    ax.set_title(title or f"Um passo da GRU (linha {row} do lote, H = {H})")
    return fig
