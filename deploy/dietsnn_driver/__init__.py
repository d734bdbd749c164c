"""PYNQ driver of the DIET-SNN dataflow accelerator (numpy and pynq only: it runs on the board image)."""

from dietsnn.errors import DriverError, InputError, NetworkMismatchError, TransportError

from .driver import Accelerator

__all__ = ["Accelerator", "DriverError", "InputError", "NetworkMismatchError", "TransportError"]
