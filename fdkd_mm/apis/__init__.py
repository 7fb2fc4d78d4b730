"""Inference with exported students (``tools/export_student.py``) of fdkd_mm's own kind."""
from .student_inferencer import StudentInferencer

__all__ = ['StudentInferencer']
