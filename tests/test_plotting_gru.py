"""rnnlib.plotting.plot_gru_cell: draws one GRU step from its tensors, and the drawn strips hold
exactly the values of the step (gates from F.gru_cell_forward's cache)."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from rnnlib import functional as F  # noqa: E402
from rnnlib import plotting  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _step(N=2, D=3, H=4, seed=0):
    rng = np.random.default_rng(seed)
    x, h_prev = rng.standard_normal((N, D)), np.tanh(rng.standard_normal((N, H)))
    params = (rng.standard_normal((3 * H, D)), rng.standard_normal((3 * H, H)),
              rng.standard_normal(3 * H), rng.standard_normal(3 * H))
    h, cache = F.gru_cell_forward(x, h_prev, *params)
    return x, h_prev, h, cache


@pytest.mark.parametrize("row", [0, 1])
def test_strips_hold_the_step_values(row):
    x, h_prev, h, cache = _step()
    H = h.shape[1]
    fig = plotting.plot_gru_cell(h_prev, cache.gates, h, x=x, row=row)
    images = {im.get_label(): im for im in fig.axes[0].get_images()}
    expected = {"x": x[row], "h_prev": h_prev[row], "r": cache.gates[row, :H],
                "z": cache.gates[row, H:2 * H], "n": cache.gates[row, 2 * H:], "h": h[row]}
    assert set(images) == set(expected)
    for name, values in expected.items():
        np.testing.assert_array_equal(images[name].get_array()[0], values)
    # the gates use a 0..1 colour scale, the states -1..1: a gate near 1 is drawn bright
    assert images["z"].get_clim() == (0.0, 1.0) and images["h"].get_clim() == (-1.0, 1.0)
    z = cache.gates[row, H:2 * H]
    rgba = images["z"].to_rgba(z[None, :])[0]
    brightest = np.argmax(rgba[:, :3].sum(axis=1))
    assert brightest == np.argmax(z)
    # small H: each value is also written on its strip
    texts = {t.get_text() for t in fig.axes[0].texts}
    assert f"{h[row, 0]:.2f}" in texts


def test_draws_into_a_given_axes_without_x_and_rejects_bad_shapes():
    x, h_prev, h, cache = _step(N=1, H=12)
    fig, ax = plt.subplots()
    assert plotting.plot_gru_cell(h_prev, cache.gates, h, ax=ax) is fig
    assert {im.get_label() for im in ax.get_images()} == {"h_prev", "r", "z", "n", "h"}
    with pytest.raises(ValueError, match=r"gates: expected shape \(N, 3H\)"):
        plotting.plot_gru_cell(h_prev, cache.gates[:, :-1], h)
    with pytest.raises(ValueError, match="h_prev, h: expected the same shape"):
        plotting.plot_gru_cell(h_prev, cache.gates, h.T)
    with pytest.raises(ValueError, match="row: expected"):
        plotting.plot_gru_cell(h_prev, cache.gates, h, row=1)
