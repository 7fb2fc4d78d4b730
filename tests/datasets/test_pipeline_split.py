"""Which transforms a teacher's input passes, which of them are random, and the pipeline of a
run that reads its teacher from a cache; on the real configs of every dataset pair."""
import pytest
from mmengine.config import Config

from fdkd_mm.models.distillers.validation import packed_input_keys
from fdkd_mm.datasets.pipeline_split.teacher import (RandomTeacherTransformError, check_deterministic,
                                            random_transforms, teacher_input_transforms,
                                            without_modality)

CONFIGS = 'configs/kd/kd_{}.py'


def train_pipeline(name: str):
    cfg = Config.fromfile(CONFIGS.format(name))
    return cfg.train_dataloader.dataset.pipeline, cfg.model.teacher_input


def types(transforms) -> list:
    return [t['type'] for t in transforms]


@pytest.mark.parametrize('name, expected', [
    ('r18-audio_r18-visual_cremad', ['fdkd_mm.LoadWaveform', 'fdkd_mm.LogSpectrogram']),
    ('r18-audio_r18-visual_ave', ['fdkd_mm.LoadSpectrogram']),
    ('bert-text_mbv2-image_crisismmd', ['fdkd_mm.TokenizeText']),
])
def test_deterministic_teacher_inputs_are_accepted(name, expected):
    pipeline, modality = train_pipeline(name)
    assert types(check_deterministic(pipeline, modality, 'train')) == expected


@pytest.mark.parametrize('name, named, not_named', [
    ('r18-audio_r18-visual_vggsound', ["LogSpectrogram with crop='random'"], []),
    ('r18-visual_r18-audio_cremad', ['SampleFrames with random=True', 'FramesRandomResizedCrop',
                                     'FramesRandomFlip'], ['LogSpectrogram']),
    ('mbv2-image_bert-text_crisismmd', ['mmpretrain.RandomResizedCrop', 'mmpretrain.RandomFlip'],
     ['TokenizeText']),
    # NYU's geometry is applied to the depth map too (mmseg seg fields); the colour distortion
    # is not.
    ('dlv3p-r18-depth_dlv3p-r18-rgb_nyu', ['RandomResize', 'mmseg.RandomCrop', 'mmseg.RandomFlip'],
     ['PhotoMetricDistortion']),
    ('dlv3p-r18-rgb_dlv3p-r18-depth_nyu', ['RandomResize', 'mmseg.RandomCrop', 'mmseg.RandomFlip',
                                           'mmseg.PhotoMetricDistortion'], []),
])
def test_random_teacher_inputs_are_refused_naming_each_transform(name, named, not_named):
    pipeline, modality = train_pipeline(name)
    with pytest.raises(RandomTeacherTransformError) as error:
        check_deterministic(pipeline, modality, 'train_dataloader.dataset.pipeline')
    message = str(error.value).split('Deterministic transforms:')[0]  # not the allowed list
    assert f'teacher input {modality!r}' in message
    assert 'train_dataloader.dataset.pipeline' in message
    for text in named:
        assert text in message
    for text in not_named:
        assert text not in message


def test_transforms_before_the_teacher_loader_do_not_count():
    pipeline = [dict(type='LoadImageFromFile'), dict(type='MyRandomThing'),
                dict(type='fdkd_mm.TokenizeText', tokenizer_path='x'),
                dict(type='fdkd_mm.PackTextImageInputs', modalities=('text', 'image'))]
    assert types(teacher_input_transforms(pipeline, 'text')) == ['fdkd_mm.TokenizeText']


def test_an_unknown_transform_after_the_teacher_loader_is_taken_to_touch_it():
    pipeline = [dict(type='fdkd_mm.TokenizeText', tokenizer_path='x'),
                dict(type='LoadImageFromFile'), dict(type='MyRandomThing'),
                dict(type='fdkd_mm.PackTextImageInputs', modalities=('text', 'image'))]
    assert types(teacher_input_transforms(pipeline, 'text')) == ['fdkd_mm.TokenizeText',
                                                                 'MyRandomThing']
    assert random_transforms(teacher_input_transforms(pipeline, 'text')) == [
        'MyRandomThing (not on the list of deterministic transforms)']
    assert without_modality(pipeline, 'text') is None  # it may need the tokens


@pytest.mark.parametrize('name, kept', [
    ('r18-audio_r18-visual_cremad', ['fdkd_mm.SampleFrames', 'fdkd_mm.LoadFrames',
                                     'fdkd_mm.FramesRandomResizedCrop',
                                     'fdkd_mm.FramesRandomFlip']),
    ('bert-text_mbv2-image_crisismmd', ['LoadImageFromFile', 'mmpretrain.RandomResizedCrop',
                                        'mmpretrain.RandomFlip']),
])
def test_a_cached_run_loads_the_student_modality_only(name, kept):
    pipeline, modality = train_pipeline(name)
    reduced = without_modality(pipeline, modality)
    assert types(reduced[:-1]) == kept
    keys, plain = packed_input_keys(reduced)
    assert modality not in keys and len(keys) == 1 and not plain
    assert set(packed_input_keys(pipeline)[0]) == {*keys, modality}


def test_shared_transforms_keep_the_pipeline_as_it_is():
    pipeline, modality = train_pipeline('dlv3p-r18-depth_dlv3p-r18-rgb_nyu')
    assert without_modality(pipeline, modality) is None


def test_a_modality_the_data_info_holds_has_every_transform_on_its_path():
    """AV-MNIST's pipeline is only its packer: the arrays come with the data info."""
    from fdkd_mm.datasets.pipeline_split.student import split_student_pipeline
    from fdkd_mm.datasets.pipeline_split.teacher import teacher_input_transforms, without_modality
    pack = dict(type='fdkd_mm.PackAudioVisualInputs', keys=('image', 'audio'), video_keys=())
    split = split_student_pipeline([pack], 'image')
    assert split.direct and split.input_key == 'image' and split.transforms == []
    resize = dict(type='mmcv.Resize', scale=(2, 2))
    assert teacher_input_transforms([resize, pack], 'audio') == [resize]
    assert without_modality([pack], 'audio') == [dict(pack, keys=('image', ))]
    assert without_modality([resize, pack], 'audio') is None  # shared: kept


def test_an_early_fused_input_is_refused_naming_its_stack():
    """NYU's RGB-D teacher reads a map stacked from both modalities after their transforms:
    no loader of its own to split off or cache."""
    from fdkd_mm.datasets.pipeline_split.student import split_student_pipeline
    from fdkd_mm.errors import ConfigError
    cfg = Config.fromfile('configs/mm/kd_dlv3p-r18-rgbd_dlv3p-r18-rgb_nyu.py')
    pipeline, modality = cfg.train_dataloader.dataset.pipeline, cfg.model.teacher_input
    assert modality == 'rgbd'
    with pytest.raises(ConfigError, match=r"'rgbd' is stacked from \['img', 'depth'\] by "
                                          r'StackModalities'):
        split_student_pipeline(pipeline, modality)
