"""Evaluation: metrics that mmseg / mmpretrain do not already provide (none needed yet)."""
