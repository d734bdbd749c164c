"""QONNX/FINN lowering of the integer DIET-SNN into streaming LIF dataflow hardware.

Imports nothing of ``sim/`` or ``deploy/``.
"""
