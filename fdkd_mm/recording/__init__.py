"""The teacher pass written once: a frozen network run over an ordered loader, its tensors
recorded and pooled (:mod:`.teacher_pass`), and the identity record of what they depend on
(:mod:`.identity`), shared by the teacher cache, the teacher bank and the analysis tools.

The submodules are imported by name (``fdkd_mm.recording.teacher_pass``): the teacher cache's
checks, which ``fdkd_mm.models`` imports, read :mod:`.identity` alone.
"""
