"""Figures with controls (ipywidgets) that still show a figure where widgets cannot run."""

from __future__ import annotations

import base64
import io

__all__ = ["interactive", "WIDGET_VIEW"]

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def _png(fig) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=80, bbox_inches="tight")
    return base64.b64encode(buf.getvalue()).decode("ascii")


def interactive(draw, **controls):
    """Controls that redraw ``draw(**values)``, a function returning a matplotlib ``Figure``.

    ``controls``: what :func:`ipywidgets.interactive` accepts (a widget, a ``(min, max, step)``
    tuple, a list of choices), one per argument of ``draw``. The figure is drawn for the
    controls' initial values and again whenever one moves, and shown in the box's output area
    (the figure is closed after drawing, so it appears once). The output shown carries two forms
    of it: the live widget (a Jupyter with ipywidgets) and a PNG of the initial figure, which
    pages without widgets (the static site, nbconvert) show instead.

    Returns the ``ipywidgets.interactive`` box: ``box.kwargs_widgets`` are the controls and
    ``box.result`` is the last figure drawn."""
    import functools

    import ipywidgets
    import matplotlib.pyplot as plt
    from IPython.display import display

    @functools.wraps(draw)  # ipywidgets reads draw's signature through the wrapper
    def redraw(**values):
        fig = draw(**values)
        if fig is not None:
            plt.close(fig)  # shown once, by the box (not again by the inline backend)
        return fig

    box = ipywidgets.interactive(redraw, {"auto_display": True}, **controls)
    if box.result is None:
        raise ValueError("draw: expected it to return a matplotlib Figure, got None "
                         "(or it raised; see the log)")
    display({WIDGET_VIEW: {"version_major": 2, "version_minor": 0, "model_id": box.model_id},
             "image/png": _png(box.result),
             "text/plain": f"figura interativa ({', '.join(controls)})"}, raw=True)
    return box
