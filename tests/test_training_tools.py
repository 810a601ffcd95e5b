"""rnnlib.sampling, rnnlib.training, rnnlib.plotting, rnnlib.io and rnnlib.models.CharRNN."""

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest
import torch

import rnnlib
from rnnlib import io as rio
from rnnlib import plotting, sampling, training
from rnnlib.gradcheck import numerical_gradient, rel_error
from rnnlib.models import CharRNN


# -- sampling ------------------------------------------------------------------------------
def test_temperature_to_zero_tends_to_argmax():
    logits = np.array([1.0, 2.5, 2.0, -1.0])
    p_hot = sampling.softmax_temperature(logits, 1.0)
    p_cold = sampling.softmax_temperature(logits, 0.05)
    assert p_cold[1] > 0.99 > p_hot[1]
    assert sampling.softmax_temperature(logits, 0).tolist() == [0, 1, 0, 0]
    rng = np.random.default_rng(0)
    assert all(sampling.sample_next(logits, 0.0, rng=rng) == 1 for _ in range(20))
    draws = [sampling.sample_next(logits, 0.01, rng=rng) for _ in range(200)]
    assert set(draws) == {1}
    # high temperature flattens the distribution towards uniform
    assert np.allclose(sampling.softmax_temperature(logits, 1e6), 0.25, atol=1e-5)


def test_top_k_never_picks_outside_the_k_best():
    rng = np.random.default_rng(0)
    logits = rng.standard_normal((50, 10))
    best3 = np.argsort(logits, axis=1)[:, -3:]
    for _ in range(20):
        ids = sampling.sample_next(logits, temperature=5.0, top_k=3, rng=rng)
        assert ids.shape == (50,) and all(ids[i] in best3[i] for i in range(50))
    single = logits[0]
    picks = {sampling.sample_next(single, 2.0, top_k=2, rng=rng) for _ in range(300)}
    assert picks == set(np.argsort(single)[-2:].tolist())
    with pytest.raises(ValueError, match="top_k"):
        sampling.sample_next(single, top_k=11)


def test_sample_next_frequencies_follow_softmax():
    rng = np.random.default_rng(1)
    logits = np.log(np.array([0.1, 0.2, 0.7]))
    draws = sampling.sample_next(np.tile(logits, (20000, 1)), rng=rng)
    freq = np.bincount(draws, minlength=3) / 20000
    np.testing.assert_allclose(freq, [0.1, 0.2, 0.7], atol=0.015)
    t = torch.tensor(logits)  # torch logits are accepted
    assert 0 <= sampling.sample_next(t, rng=rng) < 3


def test_sample_sequence_stops_and_feeds_back():
    # a deterministic "model": next token = previous + 1, stop token 4
    def step(token, state):
        logits = np.full(6, -50.0)
        logits[(token + 1) % 6] = 50.0
        return logits, (state or 0) + 1

    assert sampling.sample_sequence(step, start=0, stop=4, max_len=10) == [1, 2, 3]
    assert sampling.sample_sequence(step, start=0, max_len=3) == [1, 2, 3]


# -- training ------------------------------------------------------------------------------
def test_minibatches_cover_every_row_once():
    X, y = np.arange(10)[:, None] * 1.0, np.arange(10)
    seen = []
    for xb, yb in training.minibatches(X, y, batch_size=3, rng=np.random.default_rng(0)):
        assert np.array_equal(xb[:, 0], yb) and len(yb) <= 3
        seen += yb.tolist()
    assert sorted(seen) == list(range(10)) and seen != list(range(10))
    batches = list(training.minibatches(y, batch_size=3, shuffle=False, drop_last=True))
    assert [b.tolist() for b in batches] == [[0, 1, 2], [3, 4, 5], [6, 7, 8]]
    with pytest.raises(ValueError, match="length"):
        next(training.minibatches(X, y[:5], batch_size=2))


def test_tbptt_windows_carry_state_like_one_long_pass():
    rng = np.random.default_rng(0)
    rnn = rnnlib.GRU(3, 5, batch_first=True, rng=rng)
    x = rng.standard_normal((2, 11, 3))
    full, h_full = rnn.forward(x)
    parts, h = [], None
    windows = list(training.tbptt_windows(x, 4))
    assert [w.shape[1] for w in windows] == [4, 4, 3]
    for xw in windows:
        out, h = rnn.forward(xw, h)
        parts.append(out)
    np.testing.assert_allclose(np.concatenate(parts, axis=1), full, atol=1e-12)
    np.testing.assert_allclose(h, h_full, atol=1e-12)
    pairs = list(training.tbptt_windows(x, 5, y=x[..., 0]))
    assert len(pairs) == 3 and pairs[2][1].shape == (2, 1)


def test_history_and_early_stopping():
    es = training.EarlyStopping(patience=2)
    values = [3.0, 2.0, 2.5, 1.5, 1.6, 1.7, 1.0]
    stops = [es.step(v) for v in values]
    assert stops == [False, False, False, False, False, True, False]
    assert es.best == 1.0 and es.best_epoch == 6
    h = training.History()
    for tr, va in [(3, 2.5), (2, 2.0), (1, 2.2)]:
        h.log(tr, va, accuracy=0.5)
    assert h.best_epoch == 1 and h.best_loss == 2.0 and len(h) == 3
    assert h.metrics["accuracy"] == [0.5] * 3


def _regression_problem():
    rng = np.random.default_rng(0)
    lin = rnnlib.Linear(4, 1, rng=rng)
    X = rng.standard_normal((200, 4))
    y = X @ np.array([[1.0], [-2.0], [0.5], [3.0]]) + 0.1

    def loss_and_grads(batch):
        xb, yb = batch
        loss, cache = rnnlib.F.mse_forward(lin.forward(xb), yb)
        lin.backward(rnnlib.F.mse_backward(cache))
        return loss, lin.grads

    def val():
        return {"val_loss": float(rnnlib.F.mse_forward(lin.forward(X), y)[0]), "dummy": 1.0}

    return lin, X, y, loss_and_grads, val


def test_fit_learns_records_and_clips():
    lin, X, y, loss_and_grads, val = _regression_problem()
    rng = np.random.default_rng(0)
    opt = rnnlib.Adam(lin.params, lr=0.05)
    hist = training.fit(
        loss_and_grads, opt, lambda: training.minibatches(X, y, batch_size=20, rng=rng),
        epochs=30, val_fn=val, clip=1.0, progress=False,
    )
    assert len(hist) == 30 and hist.val_loss[-1] < 0.01 * hist.val_loss[0]
    assert len(hist.grad_norms) == 30 * 10 and hist.metrics["dummy"] == [1.0] * 30
    np.testing.assert_allclose(lin.params["weight"], [[1.0, -2.0, 0.5, 3.0]], atol=0.05)


def test_fit_early_stopping_restores_best():
    lin, X, y, loss_and_grads, val = _regression_problem()
    opt = rnnlib.SGD(lin.params, lr=0.05)
    calls = iter([5.0, 4.0, 4.5, 4.6, 4.7, 1.0])
    snapshots = []

    def val_fn():
        snapshots.append(lin.params["weight"].copy())
        return next(calls)

    hist = training.fit(loss_and_grads, opt, [(X, y)], epochs=6, val_fn=val_fn,
                        early_stopping=2, progress=True)
    assert hist.stopped_early and len(hist) == 4 and hist.best_epoch == 1
    np.testing.assert_array_equal(lin.params["weight"], snapshots[1])


def test_fit_refuses_a_nan_loss():
    opt = rnnlib.SGD({"w": np.zeros(2)}, lr=0.1)
    with pytest.raises(FloatingPointError, match="learning rate"):
        training.fit(lambda b: (np.nan, {"w": np.zeros(2)}), opt, [0], epochs=1, progress=False)


def test_merge_params_shares_arrays():
    a, b = rnnlib.Linear(2, 3), rnnlib.Linear(3, 1)
    p = training.merge_params(enc=a, head=b)
    assert set(p) == {"enc.weight", "enc.bias", "head.weight", "head.bias"}
    p["enc.weight"] += 1.0
    assert p["enc.weight"] is a.params["weight"]


# -- plotting ------------------------------------------------------------------------------
def test_plots_return_figures():
    from matplotlib.figure import Figure

    h = training.History()
    for k in range(5):
        h.log(1.0 / (k + 1), 1.2 / (k + 1))
    rng = np.random.default_rng(0)
    figs = [
        plotting.plot_history(h),
        plotting.plot_history({"train_loss": [3, 2, 1]}, log_scale=True),
        plotting.plot_grad_norms(np.exp(-np.arange(20.0))),
        plotting.plot_grad_norms({"RNN": np.exp(-np.arange(9.0)), "LSTM": np.ones(9)}),
        plotting.plot_gates({"entrada": rng.random((7, 4)), "esquecimento": rng.random((7, 4))},
                            tokens=list("maria..")),
        plotting.plot_attention(torch.softmax(torch.randn(4, 6), dim=1), list("abcdef"),
                                ["1", "9", "9", "7"]),
    ]
    import matplotlib.pyplot as plt

    for f in figs:
        assert isinstance(f, Figure) and f.axes
        plt.close(f)
    with pytest.raises(ValueError, match="tokens"):
        plotting.plot_attention(np.ones((2, 3)), ["a", "b"], ["x", "y"])


# -- io ------------------------------------------------------------------------------------
def test_save_load_round_trip(tmp_path):
    rng = np.random.default_rng(0)
    lstm = rnnlib.LSTM(3, 4, num_layers=2, rng=rng)
    path = rio.save(lstm, tmp_path / "modelo")
    assert path.suffix == ".npz" and path.exists()
    loaded = rio.load(path)
    assert set(loaded) == set(lstm.params)
    for k, v in lstm.params.items():
        np.testing.assert_array_equal(loaded[k], v)
    other = rio.load_into(rnnlib.LSTM(3, 4, num_layers=2, rng=np.random.default_rng(1)), path)
    x = rng.standard_normal((5, 2, 3))
    np.testing.assert_array_equal(other.forward(x)[0], lstm.forward(x)[0])
    # torch tensors in, torch layer out
    tparams = {k: torch.tensor(v) for k, v in lstm.params.items()}
    rio.save(tparams, tmp_path / "t.npz")
    tl = rnnlib.LSTM(3, 4, num_layers=2).to("cpu")
    rio.load_into(tl, tmp_path / "t.npz")
    assert all(isinstance(v, torch.Tensor) for v in tl.params.values())
    np.testing.assert_array_equal(tl.params["weight_hh_l1"].numpy(), lstm.params["weight_hh_l1"])
    with np.load(path, allow_pickle=False) as f:  # plain arrays, no pickle needed
        assert f["weight_ih_l0"].shape == (16, 3)


# -- CharRNN -------------------------------------------------------------------------------
@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
def test_char_rnn_gradients(cell):
    rng = np.random.default_rng(0)
    model = CharRNN(6, hidden_size=5, embedding_dim=3, cell=cell, rng=rng)
    ids = rng.integers(0, 6, size=(2, 4))
    targets = rng.integers(0, 6, size=(2, 4))
    mask = np.array([[1, 1, 1, 1], [1, 1, 0, 0]], dtype=float)
    _, grads, _ = model.loss(ids, targets, mask)
    grads = {k: v.copy() for k, v in grads.items()}
    for key in ["rnn.weight_hh_l0", "head.bias", "embedding.weight"]:
        p = model.params[key]

        def f():
            logits, _ = model.forward(ids)
            return np.asarray(rnnlib.F.softmax_cross_entropy_forward(logits, targets, mask)[0])

        num = numerical_gradient(f, p)
        assert rel_error(num, grads[key]) < 1e-7, key


def test_char_rnn_state_dict_and_generate(tmp_path):
    model = CharRNN(5, hidden_size=4, embedding_dim=2, rng=np.random.default_rng(0))
    rio.save(model, tmp_path / "m")
    clone = rio.load_into(CharRNN(5, hidden_size=4, embedding_dim=2), tmp_path / "m.npz")
    ids = np.array([[0, 1, 2]])
    np.testing.assert_array_equal(clone.forward(ids)[0], model.forward(ids)[0])
    seqs = model.generate(7, start=0, stop=0, max_len=6, rng=np.random.default_rng(0))
    assert len(seqs) == 7 and all(len(s) <= 6 and 0 not in s for s in seqs)


def _char_rnn_on(device):
    rng = np.random.default_rng(0)
    model = CharRNN(6, hidden_size=5, embedding_dim=3, cell="lstm", rng=rng)
    ids, targets = rng.integers(0, 6, size=(2, 3)), rng.integers(0, 6, size=(2, 3))
    loss, grads, _ = model.loss(ids, targets)
    grads = {k: v.copy() for k, v in grads.items()}
    model.to(device)
    tl, tgrads, _ = model.loss(torch.as_tensor(ids, device=device),
                               torch.as_tensor(targets, device=device))
    assert abs(tl - loss) < 1e-12
    for k, g in grads.items():
        assert isinstance(tgrads[k], torch.Tensor) and tgrads[k].device.type == device
        np.testing.assert_allclose(tgrads[k].cpu().numpy(), g, atol=1e-12)
    seqs = model.generate(3, max_len=4, rng=np.random.default_rng(0))
    assert len(seqs) == 3


def test_char_rnn_on_torch_cpu_matches_numpy():
    _char_rnn_on("cpu")


@pytest.mark.cuda
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_char_rnn_on_cuda_matches_numpy():
    _char_rnn_on("cuda")
