"""Checkpoints: safe loading, strict loading, what a checkpoint is, atomic writes.

:mod:`.safe_loading` reads any checkpoint with ``torch.load(weights_only=True)``;
:mod:`.config_data` stores a run's config in its checkpoints as data and reads it back without
executing anything; :mod:`.array_pickle` reads pickles of numpy arrays (dataset files) without
running code; :mod:`.strict_loading` loads a checkpoint into a model only if every key fits;
:mod:`.metadata` says what a checkpoint is (distiller, unimodal model or exported student, its
modality and network); :mod:`.atomic` writes files so that a crash never leaves a half-written
one.
"""
