"""Brevitas quantization-aware DIET-SNN training (imports nothing of hw/, sim/, deploy/)."""
