"""Board-side package: the PYNQ driver and the notebook (numpy and pynq only)."""
