"""torch is optional for learners: without it, the cells that use it explain how to install it."""

import sys

import pytest

import rnnlib
from rnnlib._optional import CPU_COMMAND, TorchMissingError


@pytest.fixture
def no_torch(monkeypatch):
    """``import torch`` fails, as in the learner's install (torch leaves sys.modules for now)."""
    monkeypatch.setitem(sys.modules, "torch", None)


def test_demo_cells_print_how_to_install_and_go_on(no_torch, capsys):
    assert rnnlib.optional_torch() is None
    out = capsys.readouterr().out
    assert "PyTorch, que não está instalado" in out and "o resto do" in out
    assert CPU_COMMAND in out and "--index-url https://download.pytorch.org/whl/cpu" in out
    assert "NVIDIA" in out and "macOS" in out and "reinicie o kernel" in out


def test_exercises_raise_an_import_error_that_says_what_to_do(no_torch):
    with pytest.raises(TorchMissingError, match="precisa do PyTorch") as err:
        rnnlib.require_torch()
    assert isinstance(err.value, ImportError)
    assert CPU_COMMAND in str(err.value)
    assert len(str(err.value)) <= 500, "the self-check shows at most 500 characters of it"


def test_with_torch_both_return_the_module(capsys):
    torch = pytest.importorskip("torch")
    assert rnnlib.optional_torch() is torch and rnnlib.require_torch() is torch
    assert capsys.readouterr().out == ""
