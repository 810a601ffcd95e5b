"""A class on one machine: JupyterHub with local accounts and nbgrader's exchange.

Not part of the installed packages (``rnnlib``, ``autograder``); run ``python -m classroom``
from the repository root. See the section on classes in ``autograder/README.md``.
"""
