"""A bank already held is checked against the config's teacher identity before it is used."""
import copy

import pytest

from fdkd_mm.models.banks import BankMismatchError
from fdkd_mm.teacher_bank.build import bank_identity, bank_settings, verify_bank_source

TRANSFORMS = [dict(type='fdkd_mm.LoadWaveform', sample_rate=22050),
              dict(type='fdkd_mm.LogSpectrogram', hop_length=353)]


def unpaired_cfg(checkpoint: str) -> dict:
    teacher = dict(type='mmpretrain.ImageClassifier', backbone=dict(type='ResNet', depth=18))
    return dict(
        teacher_bank=dict(teacher=teacher, teacher_input='audio', teacher_ckpt=checkpoint,
                          recorders=dict(feat=dict(path='neck', pool='avg'),
                                         logits=dict(path='head.fc'),
                                         stage2=dict(path='backbone.layer2'))),
        teacher_dataloader=dict(dataset=dict(
            type='fdkd_mm.DisjointPartDataset', part='A',
            dataset=dict(type='fdkd_mm.CremaDDataset', pipeline=TRANSFORMS))))


def test_the_identity_reads_the_transforms_below_the_part_wrapper(tmp_path):
    (tmp_path / 't.pth').write_bytes(b'teacher')
    cfg = unpaired_cfg(str(tmp_path / 't.pth'))
    identity = bank_identity(cfg, bank_settings(cfg), str(tmp_path / 't.pth'))
    assert identity['transforms'] == TRANSFORMS
    assert sorted(identity['recorders']) == ['feat', 'logits']  # what a bank reads


def test_a_bank_of_another_teacher_is_refused_naming_each_field(tmp_path):
    (tmp_path / 't.pth').write_bytes(b'teacher')
    built = unpaired_cfg(str(tmp_path / 't.pth'))
    manifest = dict(teacher=bank_identity(built, bank_settings(built), str(tmp_path / 't.pth')))
    run = copy.deepcopy(built)
    run['teacher_bank']['recorders']['feat']['pool'] = None
    run['teacher_dataloader']['dataset']['dataset']['pipeline'][1]['hop_length'] = 300
    with pytest.raises(BankMismatchError, match=(
            r"teacher bank bank.pth was built from another teacher:\n"
            r"  - teacher recorder 'feat': pool: 'avg' in the bank, None in the run\n"
            r"  - teacher input transforms: \[1\]\.hop_length: 353 in the bank, 300 in the run\n"
            r"Build the bank again")):
        verify_bank_source(manifest, run, 'bank.pth')
