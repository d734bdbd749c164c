"""DIET-SNN to FPGA toolchain: the numpy base.

This package is what every level, and the board, shares: the integer
reference of ``SPEC.md`` (``dietsnn.ref``), the ``.snn.npz`` network file
(``dietsnn.netfile``), the dataset reader, the stream packing
(``dietsnn.frames``), and the models of the accelerator's data path that the
board driver and the simulation both use (``dietsnn.harness``,
``dietsnn.axi_dma``, ``dietsnn.sim_dma``). It imports numpy and the standard
library only, and nothing else of the project; the command line lives in
``flow.cli``.
"""

__version__ = "0.1.0"
