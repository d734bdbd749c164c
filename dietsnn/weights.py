"""The weight load of an accelerator whose weights are in UltraRAM (numpy only: the driver's and the simulation's).

UltraRAM has no bitstream initialisation: after every reset of the
accelerator its first input beats must be the weight-load stream, the bytes
of ``weights.bin`` in the deploy folder (written by ``dietsnn stitch``,
described by ``stitched.json``'s ``weight_load``). The transports send them
with ``send_weights`` right after every ``recover`` (the accelerator's reset
clears its "loaded" flags), through the same DMA that carries the frames: one
or more send-only transfers (``AxiDma.send``), nothing comes back.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np

from .axi_dma import AxiDma
from .errors import DriverError


def read_weights(folder: str | Path, record: dict) -> np.ndarray:
    """The load stream's bytes from ``folder``, checked against ``record`` (size and SHA-256)."""
    path = Path(folder) / record["file"]
    if not path.is_file():
        raise DriverError(f"{path}: missing; this accelerator keeps weights of {len(record['layers'])} layers in "
                          "UltraRAM and loads them from this file after every reset (`dietsnn deploy BUILD` "
                          "copies it)")
    data = np.fromfile(path, dtype=np.uint8)
    if data.size != record["bytes"]:
        raise DriverError(f"{path}: {data.size} bytes, expected {record['bytes']} (stitched.json weight_load)")
    digest = hashlib.sha256(data.tobytes()).hexdigest()
    if digest != record["sha256"]:
        raise DriverError(f"{path}: SHA-256 {digest[:16]}... differs from stitched.json's {record['sha256'][:16]}...: "
                          "the weights of another build")
    return data


def send_weights(dma: AxiDma, buffer, beat_bytes: int) -> None:
    """Send ``buffer`` (the load stream, with ``physical_address``) in transfers of whole beats that the DMA
    can move, waiting for each."""
    n = int(buffer.nbytes)
    if n % beat_bytes:
        raise DriverError(f"weight load of {n} bytes is not a whole number of {beat_bytes}-byte beats")
    step = dma.max_transfer // beat_bytes * beat_bytes
    for off in range(0, n, step):
        dma.send(buffer.physical_address + off, min(step, n - off))
        dma.wait(receive=False)


__all__ = ["read_weights", "send_weights"]
