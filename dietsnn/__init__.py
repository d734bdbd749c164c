"""DIET-SNN to FPGA toolchain.

This package holds what every level shares: the integer reference of
``SPEC.md`` (``dietsnn.ref``, numpy only, importable on a PYNQ board) and the
``.snn.npz`` network file (``dietsnn.netfile``). The command line lives in
``dietsnn.cli`` and imports the heavier packages lazily.
"""

__version__ = "0.1.0"
