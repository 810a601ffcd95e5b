"""torch is optional for learners: the few chapter cells that use it ask for it here.

- :func:`optional_torch` (demo cells): the ``torch`` module, or ``None`` after printing, in
  Portuguese, how to install it. The cell then runs only its part without torch, so the rest of
  the chapter goes on.
- :func:`require_torch` (exercises): the ``torch`` module, or :class:`TorchMissingError` with a
  short message that the self-check shows on the exercise's line.

The learner's install (``pip install -e .``, ``make curso``) leaves torch out: on Linux, PyPI's
wheel is the CUDA build, several GB with its NVIDIA libraries, while the CPU build from
PyTorch's own index is a ~190 MB download.
"""

TORCH_PIN = "torch==2.13.0"
CPU_INDEX = "https://download.pytorch.org/whl/cpu"
CPU_COMMAND = f"%pip install {TORCH_PIN} --index-url {CPU_INDEX}"

INSTALL_HELP = f"""\
Esta parte usa o PyTorch, que não está instalado neste ambiente. Ele é opcional: o resto do
capítulo funciona sem ele. Para instalá-lo, rode uma destas linhas numa célula do notebook e
depois reinicie o kernel (menu Kernel):
  • só CPU, Linux ou Windows (download de cerca de 200 MB):
      {CPU_COMMAND}
  • macOS:
      %pip install {TORCH_PIN}
  • com placa de vídeo NVIDIA (CUDA, alguns GB): no Linux, %pip install {TORCH_PIN};
    no Windows, o comando da sua versão do CUDA em https://pytorch.org/get-started/locally/
No terminal, com o ambiente do curso ativado, troque "%pip" por "python -m pip"."""

EXERCISE_HELP = (f"este exercício precisa do PyTorch, que é opcional e não está instalado. "
                 f"Só CPU: {CPU_COMMAND} (macOS ou GPU NVIDIA: README, seção PyTorch); "
                 f"depois reinicie o kernel.")


class TorchMissingError(ImportError):
    """An exercise needs torch and this environment has none (the message says how to add it)."""


def require_torch():
    """The ``torch`` module; :class:`TorchMissingError` (pt-BR install hint) when missing."""
    try:
        import torch
    except ImportError:
        raise TorchMissingError(EXERCISE_HELP) from None
    return torch


def optional_torch():
    """The ``torch`` module, or ``None`` after printing how to install it (in pt-BR)."""
    try:
        import torch
    except ImportError:
        print(INSTALL_HELP)
        return None
    return torch
