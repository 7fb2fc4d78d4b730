"""The CMKD benchmark's other methods' cells train two iterations on synthetic data.

Every method on at least one classification and the dense dataset, the BERT and MobileNetV2
students of CrisisMMD included, and each on RAVDESS or AV-MNIST (the real configs, shrunk by ``tiny_runs``): the logged terms,
a frozen teacher (MGDFR's co-training: a trained one), CRD's bank sized by its hook.
"""
import pytest
import torch

from fdkd_mm.reproduction.paper_tables import config_name
from test_table_cells import TeacherWatch
from tiny_runs import RESNET_WIDTHS, distill_keys, tiny_config, train

KEYS = {
    'rkd': {'distill.loss_rkd.loss_distance', 'distill.loss_rkd.loss_angle'},
    'mlld': {'distill.loss_mlld.loss_instance', 'distill.loss_mlld.loss_batch',
             'distill.loss_mlld.loss_class'},
    'crd': {'distill.loss_crd'},
    'ofa': {'distill.loss_ofa.loss_branches', 'distill.loss_ofa.loss_logits'},
    'mgdfr-cotrain': {'distill.loss_mgdfr_cotrain'},
    'mgdfr': {'distill.loss_mgdfr'},
}
# Width of the teacher feature MGDFR freezes channels of, in the shrunk runs (ResNet-18's 512
# narrowed; the DeepLabV3+ decode feature keeps its 128).
TEACHER_FEAT = dict(cremad=RESNET_WIDTHS[512], ravdess=RESNET_WIDTHS[512],
                    avmnist=RESNET_WIDTHS[512], nyu=128)
# The modalities of the datasets beyond the paper's tables (both ResNet-18).
OTHER_DATASETS = dict(ravdess=('audio', 'visual'), avmnist=('audio', 'image'))
RUNS = [('rkd', 'cremad', 'visual'), ('rkd', 'nyu', 'rgb'), ('mlld', 'ave', 'audio'),
        ('mlld', 'nyu', 'depth'), ('crd', 'crisismmd', 'text'), ('crd', 'nyu', 'rgb'),
        ('ofa', 'cremad', 'visual'), ('ofa', 'crisismmd', 'text'),
        ('ofa', 'crisismmd', 'image'), ('ofa', 'nyu', 'rgb'),
        ('mgdfr-cotrain', 'crisismmd', 'text'), ('mgdfr-cotrain', 'nyu', 'rgb'),
        ('mgdfr', 'cremad', 'visual'), ('mgdfr', 'nyu', 'rgb'),
        ('rkd', 'ravdess', 'audio'), ('mlld', 'avmnist', 'image'), ('crd', 'avmnist', 'audio'),
        ('ofa', 'ravdess', 'visual'), ('mgdfr-cotrain', 'ravdess', 'audio'),
        ('mgdfr', 'avmnist', 'image')]


def cell_config(method: str, dataset: str, student: str) -> str:
    """The config of a method's cell, the student's modality named."""
    folder = method.split('-')[0]
    if dataset in OTHER_DATASETS:
        teacher, = (m for m in OTHER_DATASETS[dataset] if m != student)
        return f'configs/{folder}/{method}_r18-{teacher}_r18-{student}_{dataset}.py'
    return f'configs/{folder}/{config_name(method, dataset, student)}.py'


@pytest.mark.parametrize('method, dataset, student', RUNS,
                         ids=[cell_config(*run).rsplit('/', 1)[1][:-3] for run in RUNS])
def test_cell_trains_two_iterations(method, dataset, student, data_roots, tokenizer_dir,
                                    tmp_path):
    config = cell_config(method, dataset, student)
    overrides = {}
    if dataset == 'avmnist':  # 12 synthetic pairs: hold out 2 (the config keeps 5000)
        overrides['train_dataloader.dataset.val_size'] = 2
    if method == 'mgdfr':  # stage 2's output, for the shrunk teacher
        salience = tmp_path / 'salience.pth'
        torch.save(torch.rand(TEACHER_FEAT[dataset]), salience)
        overrides['model.distill_losses.loss_mgdfr.salience_file'] = str(salience)
    watch = TeacherWatch()
    runner, records = train(tiny_config(config, data_roots, tokenizer_dir, tmp_path / 'work',
                                        overrides), hooks=[watch])
    for record in records:
        assert distill_keys(record) == KEYS[method], record
        assert any(k.startswith('teacher.') for k in record) == (method == 'mgdfr-cotrain')
    changed = [k for k, v in watch.after.items() if not torch.equal(v, watch.before[k])]
    assert bool(changed) == (method == 'mgdfr-cotrain'), changed[:5]
    if method == 'crd':
        bank = runner.model.losses['loss_crd'].memory
        assert bank.num_samples == len(runner.train_dataloader.dataset)


def test_mgdfr_three_steps_through_the_tools(data_roots, tokenizer_dir, tmp_path):
    """Co-train, export the teacher and compute the salience with the documented commands,
    then run the KD cell from both files."""
    import subprocess
    import sys

    from tiny_runs import REPO
    cell = 'r18-audio_r18-visual_cremad'
    cotrain_cfg = tiny_config(f'configs/mgdfr/mgdfr-cotrain_{cell}.py', data_roots,
                              tokenizer_dir, tmp_path / 'cotrain')
    runner, _ = train(cotrain_cfg)
    checkpoint = tmp_path / 'cotrain' / 'cotrained.pth'
    runner.save_checkpoint(str(tmp_path / 'cotrain'), 'cotrained.pth')
    config = tmp_path / 'cotrain.py'
    # The export takes the student's pipeline from the test loader (the tiny run has none).
    cotrain_cfg.test_dataloader = cotrain_cfg.train_dataloader
    cotrain_cfg.dump(str(config))
    env = dict(PYTHONPATH=str(REPO), OMP_NUM_THREADS='1', PATH='/usr/bin:/bin')
    for cmd in (['tools/export_student.py', str(checkpoint), str(tmp_path / 'teacher.pth'),
                 '--config', str(config), '--prefix', 'teacher.'],
                ['tools/mgdfr_salience.py', str(config), str(checkpoint),
                 str(tmp_path / 'salience.pth'), '--repeats', '2', '--max-batches', '2']):
        result = subprocess.run([sys.executable, *cmd], cwd=REPO, env=env, capture_output=True,
                                text=True, timeout=300)
        assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-4000:]
    salience = torch.load(tmp_path / 'salience.pth', weights_only=True)
    assert salience.shape == (TEACHER_FEAT['cremad'], )
    assert float(salience.min()) == 0.0 and float(salience.max()) == 1.0
    kd_cfg = tiny_config(f'configs/mgdfr/mgdfr_{cell}.py', data_roots, tokenizer_dir,
                         tmp_path / 'kd', {'model.distill_losses.loss_mgdfr.salience_file':
                                           str(tmp_path / 'salience.pth')})
    kd_cfg.model.teacher_ckpt = str(tmp_path / 'teacher.pth')  # tiny_config cleared it
    kd_runner, records = train(kd_cfg)
    assert distill_keys(records[0]) == KEYS['mgdfr']
    teacher = kd_runner.model.teacher.state_dict()
    cotrained = runner.model.teacher.state_dict()
    assert all(torch.equal(teacher[k], cotrained[k].to(teacher[k].device)) for k in teacher)
