"""Errors of the board driver and of the accelerator models it shares with the simulation; each names the
argument or file and what was expected."""


class DriverError(Exception):
    """Base of the driver's errors."""


class InputError(DriverError, ValueError):
    """Images of the wrong shape, dtype or value range (nothing is cast or clipped silently)."""


class NetworkMismatchError(DriverError):
    """The network parameters and the hardware (bitfile or simulation) were built for different networks."""


class TransportError(DriverError):
    """The DMA engine or the simulated accelerator reported an error, or a transfer did not complete."""
