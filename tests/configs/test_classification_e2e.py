"""Table 2 classification configs end to end on synthetic data, through the real CLI.

For each dataset a unimodal ("Uni") teacher config trains one epoch with ``tools/train.py`` and
checkpoints; that checkpoint is the ``model.teacher_ckpt`` of the FD-CMKD config, which trains,
validates and checkpoints in turn. The datasets are written in their real on-disk layouts by the
package's synthetic writers; only sizes and paths are overridden (``--cfg-options``): narrow
ResNets (base width 8), 32-pixel frames and images, a two-layer BERT of width 16 with its own
WordPiece vocabulary, batch 4, one epoch, no workers. Pipelines, losses and wiring stay the
configs' own.

Teachers are module-scoped fixtures, so each unimodal run happens once and feeds its FD run(s).
Each subprocess runs single-threaded: a few tiny models gain nothing from threads, and
spinning OpenMP threads on a busy 2-core machine slow them down many times over.
"""
import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from mmengine.config import Config

from fdkd_mm.testing.synthetic_audio_visual import (write_synthetic_ave, write_synthetic_cremad,
                                                    write_synthetic_vggsound)
from fdkd_mm.testing.synthetic_crisismmd import write_synthetic_crisismmd

REPO = Path(__file__).resolve().parents[2]
BASE = 8  # ResNet base width in these runs: features of 8 * 8 = 64 channels
HIDDEN = 16  # tiny BERT width
# The tiny BERT's WordPiece vocabulary: special tokens, the synthetic tweets' filler words and
# the class keywords of the informative task ('informative', 'not' for not_informative).
VOCAB = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]', 'informative', 'not', 'the', 'storm',
         'today', 'near', 'city', 'via', 'news']
# Every term of Eq. 11 that FD-CMKD logs with all ablation switches on (README, "Loss keys").
FD_LOSS_KEYS = {
    'student.loss', 'distill.loss_low', 'distill.loss_high',
    'align.loss_low_student', 'align.loss_low_teacher',
    'align.loss_high_student', 'align.loss_high_teacher',
    'aux.loss_low', 'aux.loss_high',
}
ACCURACY = 'accuracy/top1'
# The first weight of each modality's model and the input channels it must take, so a run's
# checkpoint shows which model (student or teacher) saw which modality.
FIRST_LAYER = {
    'audio': ('backbone.conv1.weight', 1),  # 1-channel spectrogram stem
    'visual': ('backbone.backbone.conv1.weight', 3),  # ResNet inside the frame folding
    'image': ('backbone.conv1.conv.weight', 3),  # MobileNetV2 stem
    'text': ('backbone.encoder.embeddings.word_embeddings.weight', None),
}


# ----------------------------------------------------------------------------- helpers
def run_tool(*args: str) -> str:
    """Run a tool of the repository in a subprocess; return its stdout + stderr."""
    env = dict(os.environ, OMP_NUM_THREADS='1', MKL_NUM_THREADS='1', HF_HUB_OFFLINE='1',
               TRANSFORMERS_OFFLINE='1',
               PYTHONPATH=os.pathsep.join(filter(None, [str(REPO),
                                                        os.environ.get('PYTHONPATH')])))
    result = subprocess.run([sys.executable, *args], cwd=REPO, capture_output=True, text=True,
                            env=env, timeout=600)
    output = result.stdout + result.stderr
    assert result.returncode == 0, f'{" ".join(args[:2])} failed:\n{output[-6000:]}'
    return output


def run_options(data_root: str) -> list[str]:
    """Paths, batch size, workers and a one-epoch schedule for every config."""
    options = ['train_cfg.max_epochs=1', 'train_cfg.val_interval=1',
               'default_hooks.checkpoint.interval=1', 'default_hooks.logger.interval=1',
               'env_cfg.cudnn_benchmark=False']
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        options += [f'{loader}.dataset.data_root={data_root}', f'{loader}.batch_size=4',
                    f'{loader}.num_workers=0', f'{loader}.persistent_workers=False']
    return options


def transform_options(config: str, updates: dict[str, dict]) -> list[str]:
    """``--cfg-options`` changing arguments of pipeline transforms, found by type.

    Indices are looked up in the config itself, so the overrides follow the pipelines' order;
    every type in ``updates`` must occur, so a renamed transform fails here, not silently.
    """
    cfg = Config.fromfile(str(REPO / config))
    options, found = [], set()
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        for index, transform in enumerate(cfg[loader].dataset.pipeline):
            name = transform['type'].rsplit('.', 1)[-1]  # ours are fdkd_mm.X, others mmpretrain.X
            for key, value in updates.get(name, {}).items():
                options.append(f'{loader}.dataset.pipeline.{index}.{key}={value}')
                found.add(name)
    assert found == set(updates), f'{config}: no transform of types {set(updates) - found}'
    return options


SMALL_FRAMES = {'FramesRandomResizedCrop': dict(scale=32), 'FramesResize': dict(scale=32)}
SMALL_IMAGES = {'RandomResizedCrop': dict(scale=32),
                'ResizeEdge': dict(scale=36),
                'CenterCrop': dict(crop_size=32)}


def model_options(prefix: str, modality: str, bert_dir: str = '') -> list[str]:
    """Shrink the model of ``modality`` at config path ``prefix`` (no pretrained weights)."""
    if modality in ('audio', 'visual'):
        # The visual classifier wraps its ResNet in a FrameFoldingBackbone.
        resnet = f'{prefix}.backbone' + ('.backbone' if modality == 'visual' else '')
        return [f'{resnet}.base_channels={BASE}', f'{resnet}.stem_channels={BASE}',
                f'{prefix}.head.in_channels={BASE * 8}']
    if modality == 'text':
        return [f'{prefix}.backbone.pretrained={bert_dir}', f'{prefix}.head.in_channels={HIDDEN}']
    # MobileNetV2 0.25x still ends in 1280 channels; no ImageNet download.
    return [f'{prefix}.backbone.widen_factor=0.25', f'{prefix}.backbone.init_cfg=None']


def read_scalars(work_dir: Path) -> tuple[list[dict], list[dict]]:
    """Training and validation records of MMEngine's LocalVisBackend (one JSON per line)."""
    paths = list(work_dir.glob('*/vis_data/scalars.json'))
    assert len(paths) == 1, f'expected one run in {work_dir}, found {paths}'
    records = [json.loads(line) for line in paths[0].read_text().splitlines()]
    return ([r for r in records if 'loss' in r], [r for r in records if ACCURACY in r])


def load_state(path: Path) -> dict[str, torch.Tensor]:
    return torch.load(path, map_location='cpu', weights_only=False)['state_dict']


def assert_modality(state: dict, modality: str, prefix: str = '') -> None:
    """The weights under ``prefix`` are those of ``modality``'s model."""
    key, in_channels = FIRST_LAYER[modality]
    assert prefix + key in state, f'no {modality} model under {prefix!r}'
    if in_channels is not None:
        assert state[prefix + key].shape[1] == in_channels


def train_teacher(config: str, work_dir: Path, options: list[str], modality: str) -> dict:
    """Train a unimodal config for one epoch; check what a teacher run must produce."""
    run_tool('tools/train.py', config, '--work-dir', str(work_dir), '--cfg-options', *options)
    train, val = read_scalars(work_dir)
    assert train and all({k for k in r if 'loss' in k} == {'loss'} for r in train)
    assert all(math.isfinite(r['loss']) and r['loss'] > 0 for r in train)
    assert len(val) == 1  # one validation, with the metric (read_scalars selects on it)
    checkpoint = work_dir / 'epoch_1.pth'
    state = load_state(checkpoint)
    # A plain mmpretrain classifier's checkpoint: what teacher_ckpt loads strictly.
    assert {key.split('.')[0] for key in state} == {'backbone', 'head'}
    assert_modality(state, modality)
    return dict(checkpoint=checkpoint, state=state, modality=modality)


def check_fd_run(config: str, work_dir: Path, teacher: dict, options: list[str],
                 student: str) -> dict:
    """Distil from ``teacher``'s checkpoint into a ``student`` model for one epoch; check it."""
    log = run_tool('tools/train.py', config, '--work-dir', str(work_dir), '--cfg-options',
                   *options, f'model.teacher_ckpt={teacher["checkpoint"]}')
    assert f'loaded teacher weights from {teacher["checkpoint"]}' in log

    train, val = read_scalars(work_dir)
    assert train
    for record in train:
        losses = {key: value for key, value in record.items() if 'loss' in key}
        assert set(losses) == FD_LOSS_KEYS | {'loss'}
        assert all(math.isfinite(value) for value in losses.values()), losses
        assert losses['distill.loss_low'] > 0 and losses['distill.loss_high'] > 0
        # MMEngine optimises the sum of every logged term (Eq. 11 with λ1 = λ2 = 1).
        assert losses['loss'] == pytest.approx(
            sum(value for key, value in losses.items() if key != 'loss'), rel=1e-5)
    assert len(val) == 1  # one validation, with the metric (read_scalars selects on it)

    state = load_state(work_dir / 'epoch_1.pth')
    prefixes = {key.split('.')[0] for key in state}
    assert {'student', 'teacher', 'losses'} <= prefixes
    assert any(key.startswith('losses.loss_fd.shared_heads.') for key in state)
    assert_modality(state, student, 'student.')
    assert_modality(state, teacher['modality'], 'teacher.')
    # The frozen teacher is exactly the unimodal checkpoint: loaded, never updated (weights
    # and BatchNorm statistics alike, as it runs in eval mode).
    distilled_teacher = {key[len('teacher.'):]: value for key, value in state.items()
                         if key.startswith('teacher.')}
    assert distilled_teacher.keys() == teacher['state'].keys()
    for key, value in teacher['state'].items():
        assert torch.equal(distilled_teacher[key], value), key
    return dict(log=log, val=val)


# ----------------------------------------------------------------------------- CREMA-D
@pytest.fixture(scope='module')
def cremad(tmp_path_factory):
    root = tmp_path_factory.mktemp('cremad')
    write_synthetic_cremad(str(root / 'data'))  # 12 train / 6 test clips, 6 emotions
    return dict(root=root, options=run_options(str(root / 'data')))


def cremad_options(cremad: dict, config: str) -> list[str]:
    return cremad['options'] + transform_options(config, SMALL_FRAMES)


def fd_model_options(student: str, teacher: str, width: int = BASE * 8,
                     bert_dir: str = '') -> list[str]:
    """Shrink both models of an FD config; the bands then have ``width`` channels."""
    return (model_options('model.student', student, bert_dir)
            + model_options('model.teacher', teacher, bert_dir)
            + [f'model.distill_losses.loss_fd.in_channels={width}'])


@pytest.fixture(scope='module')
def cremad_audio_teacher(cremad):
    return train_teacher('configs/uni/uni_r18-audio_cremad.py',
                         cremad['root'] / 'audio_teacher',
                         cremad['options'] + model_options('model', 'audio'), 'audio')


@pytest.fixture(scope='module')
def cremad_visual_teacher(cremad):
    config = 'configs/uni/uni_r18-visual_cremad.py'
    return train_teacher(config, cremad['root'] / 'visual_teacher',
                         cremad_options(cremad, config) + model_options('model', 'visual'),
                         'visual')


CREMAD_AUDIO_TO_VISUAL = 'configs/fdkd/fdkd_r18-audio_r18-visual_cremad.py'


@pytest.fixture(scope='module')
def cremad_audio_to_visual(cremad, cremad_audio_teacher):
    work_dir = cremad['root'] / 'audio_to_visual'
    options = (cremad_options(cremad, CREMAD_AUDIO_TO_VISUAL)
               + fd_model_options('visual', 'audio'))
    run = check_fd_run(CREMAD_AUDIO_TO_VISUAL, work_dir, cremad_audio_teacher, options,
                       'visual')
    # The distiller loads teacher_ckpt when it is built, for testing too.
    options.append(f'model.teacher_ckpt={cremad_audio_teacher["checkpoint"]}')
    return dict(run, work_dir=work_dir, options=options)


def test_cremad_audio_to_visual(cremad_audio_to_visual):
    """The audio teacher's checkpoint feeds the visual student's FD run (checks in the fixture)."""
    assert (cremad_audio_to_visual['work_dir'] / 'epoch_1.pth').is_file()


def test_cremad_visual_to_audio(cremad, cremad_visual_teacher):
    config = 'configs/fdkd/fdkd_r18-visual_r18-audio_cremad.py'
    check_fd_run(config, cremad['root'] / 'visual_to_audio', cremad_visual_teacher,
                 cremad_options(cremad, config) + fd_model_options('audio', 'visual'), 'audio')


def test_cremad_test_tool_reproduces_the_validation_accuracy(cremad, cremad_audio_to_visual):
    """CREMA-D validates on its test split, so tools/test.py must give the same top-1."""
    run = cremad_audio_to_visual
    metrics = cremad['root'] / 'test_metrics.json'
    run_tool('tools/test.py', CREMAD_AUDIO_TO_VISUAL, str(run['work_dir'] / 'epoch_1.pth'),
             '--work-dir', str(cremad['root'] / 'test'), '--out', str(metrics),
             '--cfg-options', *run['options'])
    assert json.loads(metrics.read_text())[ACCURACY] == pytest.approx(
        run['val'][0][ACCURACY], abs=1e-4)


# ----------------------------------------------------------------------------- AVE
def test_ave_visual_to_audio_from_precomputed_spectrograms(tmp_path):
    """AVE: spectrogram pickles, separate val / test splits; visual teacher -> audio student."""
    write_synthetic_ave(str(tmp_path / 'data'))  # 3 events: 6 train / 3 val / 3 test videos
    options = run_options(str(tmp_path / 'data'))
    config = 'configs/uni/uni_r18-visual_ave.py'
    teacher = train_teacher(config, tmp_path / 'teacher',
                            options + transform_options(config, SMALL_FRAMES)
                            + model_options('model', 'visual'), 'visual')
    config = 'configs/fdkd/fdkd_r18-visual_r18-audio_ave.py'
    check_fd_run(config, tmp_path / 'fd', teacher,
                 options + transform_options(config, SMALL_FRAMES)
                 + fd_model_options('audio', 'visual'), 'audio')


# ----------------------------------------------------------------------------- VGGSound
def test_vggsound_audio_to_visual_with_three_folded_frames(tmp_path):
    """VGGSound: wavs in train-/test- folders; the visual student folds T = 3 frames."""
    write_synthetic_vggsound(str(tmp_path / 'data'))  # 3 classes: 6 train / 3 test clips
    assert Config.fromfile(str(REPO / 'configs/_base_/datasets/vggsound_av.py')).num_frames == 3
    options = run_options(str(tmp_path / 'data'))
    teacher = train_teacher('configs/uni/uni_r18-audio_vggsound.py', tmp_path / 'teacher',
                            options + model_options('model', 'audio'), 'audio')
    config = 'configs/fdkd/fdkd_r18-audio_r18-visual_vggsound.py'
    check_fd_run(config, tmp_path / 'fd', teacher,
                 options + transform_options(config, SMALL_FRAMES)
                 + fd_model_options('visual', 'audio'), 'visual')


# ----------------------------------------------------------------------------- CrisisMMD
@pytest.fixture(scope='module')
def bert_dir(tmp_path_factory) -> str:
    """A two-layer BERT of width 16 saved like a downloaded checkpoint directory.

    ``save_pretrained`` writes config + weights; ``vocab.txt`` and ``tokenizer_config.json``
    are the tokenizer files such a directory ships with (the configs read both from it).
    """
    from transformers import BertConfig, BertModel
    out = tmp_path_factory.mktemp('bert') / 'tiny-bert-uncased'
    torch.manual_seed(0)
    BertModel(BertConfig(vocab_size=len(VOCAB), hidden_size=HIDDEN, num_hidden_layers=2,
                         num_attention_heads=2, intermediate_size=32,
                         max_position_embeddings=32)).save_pretrained(str(out))
    (out / 'vocab.txt').write_text('\n'.join(VOCAB) + '\n')
    (out / 'tokenizer_config.json').write_text(
        '{"tokenizer_class": "BertTokenizer", "do_lower_case": true}')
    return str(out)


def test_crisismmd_text_to_image_with_a_local_bert(tmp_path, bert_dir):
    """CrisisMMD: BERT text teacher (local weights + tokenizer) -> MobileNetV2 image student.

    The widths differ (16 vs 1280): the student connector projects 1280 -> 16.
    """
    write_synthetic_crisismmd(str(tmp_path / 'data'))  # 8 train / 4 dev / 4 test pairs
    options = run_options(str(tmp_path / 'data'))
    tokenizer = {'TokenizeText': dict(tokenizer_path=bert_dir, max_length=16)}
    config = 'configs/uni/uni_bert-text_crisismmd.py'
    teacher = train_teacher(config, tmp_path / 'teacher',
                            options + transform_options(config, tokenizer)
                            + model_options('model', 'text', bert_dir), 'text')
    assert teacher['state']['backbone.encoder.embeddings.word_embeddings.weight'].shape == (
        len(VOCAB), HIDDEN)  # the local tiny BERT, not a download
    config = 'configs/fdkd/fdkd_bert-text_mbv2-image_crisismmd.py'
    check_fd_run(config, tmp_path / 'fd', teacher,
                 options + transform_options(config, {**tokenizer, **SMALL_IMAGES})
                 + fd_model_options('image', 'text', HIDDEN, bert_dir)
                 + [f'model.connectors.student_feat.out_channels={HIDDEN}'], 'image')
    state = load_state(tmp_path / 'fd' / 'epoch_1.pth')
    assert state['connectors.student_feat.fc.weight'].shape == (HIDDEN, 1280)
