"""Teacher banks: the frozen teacher run once over its own data (distillation without pairs).

:mod:`.build` builds a bank from a config (``tools/build_teacher_bank.py`` and
:class:`~fdkd_mm.engine.hooks.BuildTeacherBankHook`); the bank module the losses read is
:class:`~fdkd_mm.models.banks.TeacherBank`.
"""
