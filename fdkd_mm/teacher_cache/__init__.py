"""Teacher output caches: a frozen teacher's recorded tensors computed once, read by every run.

``tools/cache_teacher.py`` writes a cache (:mod:`.build`, :mod:`.store`); a distiller with
``teacher_cache=dict(path=...)`` reads it instead of running its teacher
(:class:`~fdkd_mm.teacher_cache.cached.CachedTeacher`), after the checks of
:mod:`.checks` against the manifest (:mod:`.manifest`). See docs/teacher_cache.md.
"""
from .manifest import TeacherCacheError
from .run_config import apply_teacher_cache
from .store import DTYPES, TeacherCacheReader, TeacherCacheWriter

__all__ = ['DTYPES', 'TeacherCacheError', 'TeacherCacheReader', 'TeacherCacheWriter',
           'apply_teacher_cache']
