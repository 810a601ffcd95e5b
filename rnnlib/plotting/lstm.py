"""An LSTM cell at one time step, drawn with its gates coloured by their values (after Olah's
"Understanding LSTM Networks" figure, but from the model's own tensors).

The cell state runs along the top: ``c_{t-1}`` is multiplied by the forget gate ``f`` and
receives ``i * g``; the hidden state ``h_t = o * tanh(c_t)`` leaves at the bottom right. Each
gate is a box holding one coloured square per hidden unit: gates in [0, 1] (viridis), the
candidate ``g`` and the states in [-1, 1] (coolwarm, scaled to the largest |value|).
"""

from __future__ import annotations

import numpy as np

from ._base import _axes, _np, _strip

__all__ = ["plot_lstm_cell", "GATES"]

# name -> (label, activation, x position of the box)
GATES = {
    "f": ("esquecimento f", "σ", 1.5),
    "i": ("entrada i", "σ", 3.5),
    "g": ("candidatos g", "tanh", 5.5),
    "o": ("saída o", "σ", 7.5),
}
TOP, GATE_Y, BOTTOM = 4.0, 1.6, 0.0  # y of the cell-state line, the gate boxes, the h line


def _vec(name, v, H=None):
    v = _np(v)
    if v.ndim == 2 and v.shape[0] == 1:
        v = v[0]
    if v.ndim != 1:
        raise ValueError(f"{name}: expected shape (H,) (one example), got {v.shape}")
    if H is not None and v.shape[0] != H:
        raise ValueError(f"{name}: expected {H} values (one per hidden unit), got {v.shape[0]}")
    return v


def plot_lstm_cell(gates, c_prev, c, h, ax=None, title=None):
    """Draw one LSTM step for one example.

    ``gates``: dict with ``"i"``, ``"f"``, ``"g"``, ``"o"``, each (H,) (or (1, H)): the input,
    forget and output gates after the sigmoid and the candidate values after the tanh.
    ``c_prev``, ``c``, ``h``: (H,) the cell state before and after the step and the new hidden
    state. The coloured squares are ``PatchCollection``s labelled by the tensor's name
    (``"f"``, ``"c_t"``, ...), whose ``get_array()`` holds the values drawn."""
    from matplotlib.patches import Circle

    missing = [k for k in GATES if k not in gates]
    if missing:
        raise ValueError(f"gates: missing {missing} (expected keys 'i', 'f', 'g', 'o')")
    H = _vec("gates['f']", gates["f"]).shape[0]
    vals = {k: _vec(f"gates[{k!r}]", gates[k], H) for k in GATES}
    states = {"c_prev": _vec("c_prev", c_prev, H), "c_t": _vec("c", c, H), "h_t": _vec("h", h, H)}
    fig, ax = _axes(ax, (10, 4.6))
    arrow = dict(arrowstyle="-|>", color="0.3", lw=1.2)
    # cell state line with the two operations
    ax.annotate("", (9.6, TOP), (0.4, TOP), arrowprops=dict(arrow, lw=2.2, color="0.15"))
    for x, op in ((1.5, "×"), (4.5, "+")):
        ax.add_patch(Circle((x, TOP), 0.28, facecolor="white", edgecolor="black", zorder=4))
        ax.annotate(op, (x, TOP), ha="center", va="center", fontsize=13, zorder=5)
    # gate boxes, arrows to the cell-state operations
    for k, (label, act, x) in GATES.items():
        vmin, vmax = (-1.0, 1.0) if k == "g" else (0.0, 1.0)
        _strip(ax, k, vals[k], x, GATE_Y, "coolwarm" if k == "g" else "viridis", vmin, vmax)
        ax.annotate(f"{label} ({act})", (x, GATE_Y - 0.45), ha="center", va="top", fontsize=9)
        ax.annotate(f"média {vals[k].mean():.2f}", (x, GATE_Y + 0.35), ha="center",
                    va="bottom", fontsize=8, color="0.3")
        ax.annotate("", (x, GATE_Y - 0.8), (x, BOTTOM + 0.1), arrowprops=dict(arrow, lw=0.8))
    ax.annotate("", (1.5, TOP - 0.3), (1.5, GATE_Y + 0.7), arrowprops=arrow)
    ax.annotate("", (4.5, TOP - 0.3), (4.5, GATE_Y + 0.7), arrowprops=arrow)
    ax.annotate("i ⊙ g", (4.55, (TOP + GATE_Y) / 2 + 0.3), fontsize=9)
    # states
    top = max(float(np.abs(v).max()) for v in states.values()) or 1.0
    _strip(ax, "c_prev", states["c_prev"], 0.2, TOP + 0.6, "coolwarm", -top, top, width=1.0)
    ax.annotate("$c_{t-1}$", (0.2, TOP + 0.95), ha="center", fontsize=9)
    _strip(ax, "c_t", states["c_t"], 9.6, TOP + 0.6, "coolwarm", -top, top, width=1.0)
    ax.annotate("$c_t$", (9.6, TOP + 0.95), ha="center", fontsize=9)
    _strip(ax, "h_t", states["h_t"], 9.6, BOTTOM + 0.6, "coolwarm", -top, top, width=1.0)
    ax.annotate(r"$h_t = o \odot \tanh(c_t)$", (9.6, BOTTOM + 0.15), ha="center", va="top",
                fontsize=9)
    ax.annotate("", (8.9, BOTTOM + 0.6), (7.5, GATE_Y + 0.7),
                arrowprops=dict(arrow, connectionstyle="arc3,rad=-0.3"))
    ax.annotate("$[h_{t-1}, x_t]$", (0.2, BOTTOM), ha="left", va="center", fontsize=9)
    ax.plot([1.3, 7.5], [BOTTOM, BOTTOM], color="0.3", lw=1.0)
    ax.set_xlim(-0.6, 10.6)
    ax.set_ylim(BOTTOM - 0.9, TOP + 1.4)
    ax.set_axis_off()
    ax.set_title(title or "Célula LSTM num passo: portas coloridas pelos seus valores")
    return fig
