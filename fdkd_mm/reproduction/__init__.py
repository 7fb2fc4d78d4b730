"""Reproduction: the paper's tables as data, the runner behind ``tools/reproduce.py``, results.

:mod:`.paper_tables` and :mod:`.unpaired_tables` hold the tables (cells, configs, published
numbers); :mod:`.runner` plans, trains and tests their runs resumably; :mod:`.results` reads
finished runs from their work dirs; :mod:`.tables` tabulates seeds against the paper.
"""
