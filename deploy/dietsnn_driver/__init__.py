"""PYNQ driver of the DIET-SNN dataflow accelerator (numpy and pynq only: it runs on the board image)."""

from .driver import Accelerator
from .errors import DriverError, InputError, NetworkMismatchError, TransportError

__all__ = ["Accelerator", "DriverError", "InputError", "NetworkMismatchError", "TransportError"]
