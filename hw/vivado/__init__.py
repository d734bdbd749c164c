"""The Vivado side of the flow: tool detection, fit check, generated TCL, report parsing.

Nothing in this package imports ``sim`` or ``deploy`` (the orchestration that
also stitches and sizes FIFOs is ``flow/bitstream.py``), and nothing but
``flow.bitstream``'s run step starts a vendor tool.
"""
