"""Check a distiller's teacher cache against the run's training set before training."""
from mmengine.hooks import Hook
from mmengine.logging import print_log
from mmengine.model import is_model_wrapper

from fdkd_mm.registry import HOOKS
from fdkd_mm.teacher_cache.cached import CachedTeacher


@HOOKS.register_module()
class TeacherCacheHook(Hook):
    """Before training, check the model's teacher cache against the training data.

    A no-op for a model without a cached teacher. Otherwise, for each
    :class:`~fdkd_mm.teacher_cache.cached.CachedTeacher`, the training set (dataset type,
    length and every sample's teacher input) and, if the training pipeline still loads the
    teacher's modality, its input transforms (deterministic, and those of the cache) must be
    the cache's; only then does the distiller read cached rows. Runs on every rank, so each
    checks the dataset it trains on.
    """

    priority = 'VERY_HIGH'

    def before_train(self, runner) -> None:
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        caches = [teacher for teacher in getattr(model, 'teachers', {}).values()
                  if isinstance(teacher, CachedTeacher)]
        dataset_cfg = runner.cfg.get('train_dataloader', {}).get('dataset', {})
        for cache in caches:
            cache.check_data(runner.train_dataloader.dataset, dataset_cfg,
                             'train_dataloader.dataset.pipeline')
            print_log(f'{cache.label} outputs read from the cache {cache.store_dir} (checked '
                      'against the training set); the teacher does not run', logger='current')
