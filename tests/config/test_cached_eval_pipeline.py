"""A distiller that reads its teacher from a cache does not load the teacher's input to
validate or test; a pipeline option means the same to the cache and to the run."""
from pathlib import Path

from mmengine.config import Config
from mmengine.registry import init_default_scope

from fdkd_mm.config.pipeline_options import apply_pipeline_options
from fdkd_mm.datasets.pipeline_split.teacher import teacher_input_transforms
from fdkd_mm.registry import DATASETS
from fdkd_mm.teacher_cache.run_config import cached_eval_pipelines
from fdkd_mm.testing import write_synthetic_cremad

REPO = Path(__file__).resolve().parents[2]
DISTILLER = 'configs/fdkd/fdkd_r18-audio_r18-visual_cremad.py'


def short_types(pipeline) -> list[str]:
    return [t['type'].rsplit('.', 1)[-1] for t in pipeline]


def cached(config: str = DISTILLER) -> Config:
    cfg = Config.fromfile(str(REPO / config))
    cfg.merge_from_dict({'model.teacher_cache': dict(path='unused')})
    return cfg


def test_validation_and_test_drop_the_teachers_loading(tmp_path):
    cfg = cached()
    train_before = list(cfg.train_dataloader.dataset.pipeline)
    assert cached_eval_pipelines(cfg) == ['val_dataloader', 'test_dataloader']
    for loader in ('val_dataloader', 'test_dataloader'):
        pipeline = cfg[loader].dataset.pipeline
        assert short_types(pipeline) == ['SampleFrames', 'LoadFrames', 'FramesResize',
                                         'PackAudioVisualInputs']
        assert tuple(pipeline[-1]['keys']) == ('visual', )
    # The training pipeline is apply_teacher_cache's (it checks it against the cache first).
    assert cfg.train_dataloader.dataset.pipeline == train_before
    assert cached_eval_pipelines(cfg) == []  # idempotent: nothing left to drop

    # The reduced pipeline runs: a test sample carries the frames only, no decoded audio.
    data = tmp_path / 'cremad'
    write_synthetic_cremad(str(data), clips_per_class=(1, 1))
    init_default_scope('fdkd_mm')
    apply_pipeline_options(cfg, ['frame_size=32'])
    dataset_cfg = cfg.test_dataloader.dataset.to_dict()
    dataset_cfg.update(data_root=str(data))
    sample = DATASETS.build(dataset_cfg)[0]
    assert set(sample['inputs']) == {'visual'}
    assert sample['inputs']['visual'].shape[-2:] == (32, 32)


def test_live_teachers_and_teacher_free_configs_keep_their_pipelines():
    live = Config.fromfile(str(REPO / DISTILLER))
    before = live.val_dataloader.dataset.pipeline
    assert cached_eval_pipelines(live) == [] and live.val_dataloader.dataset.pipeline == before
    bank = cached('configs/unpaired/ufd_r18-audio_r18-visual_cremad.py')
    assert cached_eval_pipelines(bank) == []  # teacher_input None: nothing to drop


def test_the_cache_and_the_cached_run_see_the_same_teacher_transforms():
    """The cache tool and the training both load the distiller config; the same named option
    gives both the same teacher input transforms (the cache's manifest check compares them)."""
    for_cache, for_run = Config.fromfile(str(REPO / DISTILLER)), cached()
    for cfg in (for_cache, for_run):
        apply_pipeline_options(cfg, ['audio_duration=1.5', 'frame_size=32'])
    paths = [teacher_input_transforms(list(cfg.train_dataloader.dataset.pipeline), 'audio')
             for cfg in (for_cache, for_run)]
    assert paths[0] == paths[1]
    assert [t['duration'] for t in paths[0] if 'duration' in t] == [1.5]
