"""The CMKD benchmark's other methods' cells train two iterations on synthetic data.

Every method on at least one classification and the dense dataset, the BERT and MobileNetV2
students of CrisisMMD included (the real configs, shrunk by ``tiny_runs``): the logged terms,
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
TEACHER_FEAT = dict(cremad=RESNET_WIDTHS[512], nyu=128)
RUNS = [('rkd', 'cremad', 'visual'), ('rkd', 'nyu', 'rgb'), ('mlld', 'ave', 'audio'),
        ('mlld', 'nyu', 'depth'), ('crd', 'crisismmd', 'text'), ('crd', 'nyu', 'rgb'),
        ('ofa', 'cremad', 'visual'), ('ofa', 'crisismmd', 'text'),
        ('ofa', 'crisismmd', 'image'), ('ofa', 'nyu', 'rgb'),
        ('mgdfr-cotrain', 'crisismmd', 'text'), ('mgdfr-cotrain', 'nyu', 'rgb'),
        ('mgdfr', 'cremad', 'visual'), ('mgdfr', 'nyu', 'rgb')]


@pytest.mark.parametrize('method, dataset, student', RUNS,
                         ids=[config_name(*run) for run in RUNS])
def test_cell_trains_two_iterations(method, dataset, student, data_roots, tokenizer_dir,
                                    tmp_path):
    folder = method.split('-')[0]
    config = f'configs/{folder}/{config_name(method, dataset, student)}.py'
    overrides = None
    if method == 'mgdfr':  # stage 2's output, for the shrunk teacher
        salience = tmp_path / 'salience.pth'
        torch.save(torch.rand(TEACHER_FEAT[dataset]), salience)
        overrides = {'model.distill_losses.loss_mgdfr.salience_file': str(salience)}
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
