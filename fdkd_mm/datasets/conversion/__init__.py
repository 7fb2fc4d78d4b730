"""Shared machinery of the dataset converters in ``tools/dataset_converters``.

``media`` decodes frames at 1 fps and audio tracks with PyAV, ``outputs`` writes every output
under a temporary name and renames it, ``runner`` converts clips in a worker pool with a
progress bar and a failure summary, ``verify`` checks a converted layout through the dataset
classes. Each converter script holds only its dataset's rules. Not imported by
``import fdkd_mm`` (it needs PyAV, which training does not).
"""
