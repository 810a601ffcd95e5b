"""The old import path of :class:`rnnlib.models.esn.EchoStateNetwork`."""

from .models.esn import EchoStateNetwork

__all__ = ["EchoStateNetwork"]
