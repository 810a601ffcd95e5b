"""An encoder-decoder with attention drawn from its own tensors.

The encoder states (one column per source token) are a coloured strip at the bottom, the
decoder states (one column per target token) a strip at the top, and a line joins decoder step
t to encoder position s with a width proportional to the attention weight alpha[t, s]: the
picture of c_t = sum_s alpha[t, s] h_s for every step at once.
"""

from __future__ import annotations

import numpy as np

from ._base import _axes, _np

MAX_WIDTH = 4.0  # line width of the largest attention weight


def plot_seq2seq(src_tokens, tgt_tokens, enc_states, dec_states, weights, ax=None, title=None):
    """Draw the encoder states, the decoder states and the attention between them.

    enc_states (S, H), dec_states (T, H), weights (T, S) (row t: the attention of decoder step
    t over the S source positions), src_tokens (S,), tgt_tokens (T,). Returns the figure; its
    two images are labelled ``"codificador"`` and ``"decodificador"`` and hold the states
    transposed (H, S) and (H, T); the attention lines are the LineCollection labelled
    ``"atencao"``, with widths ``MAX_WIDTH * weights / weights.max()`` in row-major order.
    """
    from matplotlib.collections import LineCollection

    enc, dec, w = _np(enc_states), _np(dec_states), _np(weights)
    if enc.ndim != 2 or dec.ndim != 2 or enc.shape[1] != dec.shape[1]:
        raise ValueError(f"enc_states, dec_states: expected (S, H) and (T, H) with the same H, "
                         f"got {enc.shape} and {dec.shape}")
    S, T = enc.shape[0], dec.shape[0]
    if w.shape != (T, S):
        raise ValueError(f"weights: expected shape (T, S) = {(T, S)}, got {w.shape}")
    if len(src_tokens) != S or len(tgt_tokens) != T:
        raise ValueError(f"tokens: expected {S} source and {T} target tokens, got "
                         f"{len(src_tokens)} and {len(tgt_tokens)}")
    fig, ax = _axes(ax, (max(6.0, 0.32 * S), 4.6))
    top = max(1e-12, float(np.abs(np.concatenate([enc.ravel(), dec.ravel()])).max()))
    x_dec0 = (S - T) / 2  # the decoder strip is centred over the encoder strip
    strips = (("codificador", enc, 0.0, 0.0), ("decodificador", dec, x_dec0, 2.0))
    for name, states, x0, y0 in strips:
        im = ax.imshow(states.T, cmap="coolwarm", vmin=-top, vmax=top, aspect="auto",
                       extent=(x0, x0 + states.shape[0], y0, y0 + 0.8), interpolation="nearest")
        im.set_label(name)
    segments = [((x_dec0 + t + 0.5, 2.0), (s + 0.5, 0.8)) for t in range(T) for s in range(S)]
    widths = MAX_WIDTH * w.ravel() / max(1e-12, float(w.max()))
    lines = LineCollection(segments, linewidths=widths, colors="tab:green", alpha=0.6)
    lines.set_label("atencao")
    ax.add_collection(lines)
    for s, tok in enumerate(src_tokens):
        ax.text(s + 0.5, -0.08, str(tok), ha="center", va="top", fontsize=8)
    for t, tok in enumerate(tgt_tokens):
        ax.text(x_dec0 + t + 0.5, 2.88, str(tok), ha="center", va="bottom", fontsize=9)
    ax.text(-0.3, 0.4, "codificador $h_s$", ha="right", va="center", fontsize=9)
    ax.text(min(0.0, x_dec0) - 0.3, 2.4, "decodificador $s_t$", ha="right", va="center",
            fontsize=9)
    ax.set_xlim(min(0.0, x_dec0) - 0.5, max(S, x_dec0 + T) + 0.5)
    ax.set_ylim(-0.6, 3.3)
    ax.set_axis_off()
    ax.set_title(title or "Codificador, decodificador e a atenção entre eles (largura = peso)")
    return fig
