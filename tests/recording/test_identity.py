"""The teacher identity record: normalised recorder and network specs, the checkpoint digest,
and the differences a cache or bank reports against a run."""
import hashlib
import shutil

from fdkd_mm.recording.identity import (first_difference, identity_differences, network_spec,
                                        recorder_spec, teacher_identity)

NETWORK = dict(type='ImageClassifier', backbone=dict(type='ResNet', depth=18),
               head=dict(num_classes=6))
TRANSFORMS = [dict(type='LoadWaveform', sample_rate=22050),
              dict(type='LogSpectrogram', hop_length=353, n_fft=512)]


def test_recorders_compare_with_their_defaults_filled_in():
    assert recorder_spec(dict(path='head.fc')) == recorder_spec(
        dict(path='head.fc', source='output', call_index=0, data_index=0, pool=None,
             clone=True))
    assert recorder_spec(dict(path='backbone.layer4', pool='avg')) != recorder_spec(
        dict(path='backbone.layer4'))
    assert recorder_spec(dict(path='bn.weight', source='parameter')) == dict(
        path='bn.weight', source='parameter')


def test_where_weights_come_from_is_not_part_of_the_network():
    cfg = dict(type='ImageClassifier', backbone=dict(type='ResNet', depth=18, init_cfg=dict(
        type='Pretrained', checkpoint='x.pth')), head=dict(num_classes=6), pretrained='y')
    assert network_spec(cfg) == dict(type='ImageClassifier',
                                     backbone=dict(depth=18, type='ResNet'),
                                     head=dict(num_classes=6))


def test_the_first_difference_is_named_by_its_path():
    run = [dict(TRANSFORMS[0]), dict(TRANSFORMS[1], hop_length=300)]
    assert first_difference(TRANSFORMS, run, 'the cache') == \
        '[1].hop_length: 353 in the cache, 300 in the run'
    assert first_difference(TRANSFORMS, TRANSFORMS[:1], 'the bank') == \
        'list: 2 entries in the bank, 1 in the run'
    assert first_difference(dict(a=1), dict(a=1, b=2), 'the cache') == 'b: only the run has it'
    assert first_difference(TRANSFORMS, [dict(c) for c in TRANSFORMS], 'the cache') is None


def test_the_record_holds_the_checkpoint_digest_and_normalised_specs(tmp_path):
    path = tmp_path / 'teacher.pth'
    path.write_bytes(b'weights' * 300000)
    identity = teacher_identity('audio', dict(NETWORK, pretrained='y'), str(path),
                                dict(feat=dict(path='head.fc', source='input', pool='avg')),
                                tuple(TRANSFORMS))
    assert identity == dict(
        input='audio', network=network_spec(NETWORK), checkpoint=str(path),
        checkpoint_sha256=hashlib.sha256(b'weights' * 300000).hexdigest(),
        recorders=dict(feat=dict(path='head.fc', source='input', call_index=0, data_index=0,
                                 pool='avg')),
        transforms=TRANSFORMS)
    shutil.copy(path, tmp_path / 'copy.pth')
    copied = teacher_identity('audio', NETWORK, str(tmp_path / 'copy.pth'), {})
    assert copied['checkpoint_sha256'] == identity['checkpoint_sha256']
    assert 'transforms' not in copied


def test_every_differing_field_is_named(tmp_path):
    (tmp_path / 'a.pth').write_bytes(b'a')
    (tmp_path / 'b.pth').write_bytes(b'b')
    held = teacher_identity('audio', NETWORK, str(tmp_path / 'a.pth'),
                            dict(feat=dict(path='neck', pool='avg'), logits=dict(path='head')),
                            TRANSFORMS)
    assert identity_differences(held, held, 'the bank') == []
    fewer = teacher_identity('audio', NETWORK, str(tmp_path / 'a.pth'),
                             dict(logits=dict(path='head')))
    assert identity_differences(held, fewer, 'the cache') == []  # more held is fine
    run = teacher_identity(
        'visual', dict(NETWORK, backbone=dict(type='ResNet', depth=34)), str(tmp_path / 'b.pth'),
        dict(feat=dict(path='neck'), stage2=dict(path='backbone.layer2')),
        [TRANSFORMS[0]])
    problems = identity_differences(held, run, 'the bank')
    assert problems == [
        "teacher input: 'audio' in the bank, 'visual' in the run",
        f'teacher checkpoint: the bank was computed from {tmp_path / "a.pth"} (sha256 '
        f'{hashlib.sha256(b"a").hexdigest()[:12]}...), the run\'s teacher_ckpt '
        f'{tmp_path / "b.pth"} has sha256 {hashlib.sha256(b"b").hexdigest()[:12]}...',
        'teacher network config: backbone.depth: 18 in the bank, 34 in the run',
        "teacher tensors ['stage2']: not in the bank (it holds ['feat', 'logits'])",
        "teacher recorder 'feat': pool: 'avg' in the bank, None in the run",
        'teacher input transforms: list: 2 entries in the bank, 1 in the run']
