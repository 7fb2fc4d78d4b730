"""Splitting a multi-modal pipeline: the student's transforms alone, the teacher input's."""
