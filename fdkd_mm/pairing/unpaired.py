"""Configs of an *unpaired* modality pair from two manifests (``tools/new_pair.py
--student-manifest``): the teacher's samples and the student's are different ones, sharing only
the class names (docs/unpaired.md).

Written to ``out_dir`` (``<t>`` / ``<s>``: the modalities, ``<m>``: the name):

* ``unpaired_<t>_to_<s>_<m>.py``: the student's data (its manifest), both networks, the
  teacher bank built from the teacher's manifest by ``BuildTeacherBankHook``, schedule;
* ``uni_<t>_<m>.py``: the teacher alone on its manifest (train it first);
* ``ufd_<t>_to_<s>_<m>.py``: our unpaired FD loss on the pair.
"""
import os
import os.path as osp
from typing import Optional, Sequence

from mmengine.dataset import pseudo_collate

from fdkd_mm.errors import ConfigError, DataError
from .networks import check_hf_network, network_cfg, preprocessor_cfg
from .pipelines import build_pipeline
from .probe import probe_network
from .writer import (PairFiles, _literal, _relative_base, _slug, _splits, _stats)

#: Method -> (title, distill base, loss variable prefix, loss key).
UNPAIRED_METHODS = {
    'ufd': ('Unpaired FD (ours)', 'ufd.py', 'ufd', 'loss_ufd'),
    'ukd': ('Unpaired KD (class-mean label distributions)', 'ukd.py', 'ukd', 'loss_ukd'),
    'ucmkd-sumall': ('The published unpaired method, sumall (CE + FA + LA, gradient norm '
                     'clipped at 5)', 'ucmkd.py', 'ucmkd', 'loss_cmkd'),
}


def _side(manifest: str, modality: str, task: str, classes, label_column: str,
          data_root: Optional[str]) -> dict:
    from fdkd_mm.datasets.manifest import ManifestDataset
    root = data_root or osp.dirname(manifest) or '.'
    args = dict(ann_file=osp.relpath(osp.abspath(manifest), osp.abspath(root)),
                data_root=root, task=task, label_column=label_column, classes=classes)
    everything = ManifestDataset(modalities=[modality], **args)
    splits = _splits([everything.get_data_info(i)['split'] for i in range(len(everything))])
    return dict(args=args, kind=everything.get_data_info(0)['modality_kinds'][modality],
                classes=tuple(everything.metainfo['classes']), splits=splits)


def write_unpaired(teacher_manifest: str, student_manifest: str, teacher_modality: str,
                   student_modality: str, task: str, teacher_model: Optional[str] = None,
                   student_model: Optional[str] = None, out_dir: Optional[str] = None,
                   size: Optional[Sequence[int]] = None, epochs: int = 30,
                   batch_size: int = 16, label_column: str = 'label',
                   classes: Optional[str] = None, options: Optional[dict] = None,
                   name: Optional[str] = None) -> PairFiles:
    """Probe both sides and write the unpaired configs.

    Args:
        teacher_manifest: The teacher's samples (its modality's column, labels, splits).
        student_manifest: The student's samples.
        teacher_modality: The teacher's column.
        student_modality: The student's column.
        task: ``'cls'`` (segmentation without pairs is left to the NYU configs).
        teacher_model: See :func:`fdkd_mm.pairing.write_pair`.
        student_model: See :func:`fdkd_mm.pairing.write_pair`.
        out_dir: Where to write (default ``configs/own/<name>``).
        size: (h, w) of pixel modalities (default 224 x 224).
        epochs: Training epochs.
        batch_size: Training batch size.
        label_column: The label column of both manifests.
        classes: A class file (relative to each data root), else the union of the labels
            found in both manifests.
        options: Per-modality loader options.
        name: Name in the file names (default: the student manifest's).

    Returns:
        The files written and the commands to run.

    Raises:
        DataError: A manifest is bad, or the two share no class.
        ConfigError: A network does not fit.
    """
    if task != 'cls':
        raise ConfigError('unpaired configs from manifests serve classification; for '
                          'segmentation see the NYU unpaired configs (docs/unpaired.md)')
    options = {key: dict(value) for key, value in (options or {}).items()}
    sides = dict(teacher=_side(teacher_manifest, teacher_modality, task, classes,
                               label_column, None),
                 student=_side(student_manifest, student_modality, task, classes,
                               label_column, None))
    if classes is None:  # one class list for both: the union, naturally sorted
        from fdkd_mm.datasets.manifest.dataset import _natural_key
        shared = set(sides['teacher']['classes']) & set(sides['student']['classes'])
        if not shared:
            raise DataError(f'the manifests share no class: {sides["teacher"]["classes"]} '
                            f'vs {sides["student"]["classes"]}')
        union = tuple(sorted(set(sides['teacher']['classes'])
                             | set(sides['student']['classes']), key=_natural_key))
        for side in sides.values():
            side['args']['classes'] = union
    class_names = sides['student']['args']['classes'] or sides['student']['classes']
    name = _slug(name or osp.splitext(osp.basename(student_manifest))[0])
    out_dir = out_dir or osp.join('configs', 'own', name)
    modalities = dict(teacher=teacher_modality, student=student_modality)
    models = dict(teacher=teacher_model, student=student_model)
    kinds = {modalities[role]: sides[role]['kind'] for role in sides}
    for role, modality in modalities.items():
        check_hf_network(models[role], task, kinds[modality], f'--{role}-model')
        if kinds[modality] == 'text':
            spec = models[role] or ''
            if not spec.startswith('hf:'):
                raise ConfigError(f'the {role} reads text: give --{role}-model "hf:<dir>"')
            options.setdefault(modality, {})['tokenizer_path'] = spec[3:]
    if size is None:
        size = (224, 224)
    from fdkd_mm.datasets.manifest import ManifestDataset
    found, networks, pipelines = {}, {}, {}
    for role, modality in modalities.items():
        side = sides[role]
        train_split = side['splits'][0]
        train_set = ManifestDataset(modalities=[modality], split=train_split, **side['args'])
        stats = _stats(train_set, modality, kinds[modality], options.get(modality, {}))
        pipelines[role] = {phase: build_pipeline(kinds, task, options, size, phase == 'train',
                                                 (modality, ), plain)
                           for phase, plain in (('train', False), ('test', False))}
        pipelines[role]['plain_train'] = build_pipeline(kinds, task, options, size, True,
                                                        (modality, ), True)
        pipelines[role]['plain_test'] = build_pipeline(kinds, task, options, size, False,
                                                       (modality, ), True)
        probe_set = ManifestDataset(modalities=[modality], split=train_split,
                                    pipeline=pipelines[role]['test'], **side['args'])
        batch = pseudo_collate([probe_set[i] for i in range(min(2, len(probe_set)))])
        inputs = batch['inputs'][modality]
        preprocessor = preprocessor_cfg(task, kinds[modality], int(inputs[0].shape[0]),
                                        stats, size)
        cfg = network_cfg(models[role], task, kinds[modality], len(class_names),
                          int(inputs[0].shape[0]), preprocessor, flag=f'--{role}-model')
        found[role] = probe_network(cfg, task, inputs, batch['data_samples'], role)
        networks[role] = found[role].model
    os.makedirs(out_dir, exist_ok=True)
    t, s = _slug(teacher_modality), _slug(student_modality)
    files = PairFiles(pair=osp.join(out_dir, f'unpaired_{t}_to_{s}_{name}.py'),
                      uni={teacher_modality: osp.join(out_dir, f'uni_{t}_{name}.py')},
                      methods={method: osp.join(out_dir, f'{method}_{t}_to_{s}_{name}.py')
                               for method in UNPAIRED_METHODS},
                      widths={role: found[role].feat_width for role in found},
                      recorders={role: found[role].recorders for role in found})
    uni_stem = osp.splitext(osp.basename(files.uni[teacher_modality]))[0]
    with open(files.pair, 'w') as handle:
        handle.write(_setting_text(out_dir, sides, modalities, kinds, class_names, pipelines,
                                   networks, found, epochs, batch_size,
                                   f'work_dirs/{uni_stem}/epoch_{epochs}.pth'))
    setting = osp.basename(files.pair)
    with open(files.uni[teacher_modality], 'w') as handle:
        handle.write(
            f'# The teacher alone on its own manifest ({teacher_manifest}): train it first.\n'
            f"_base_ = ['./{setting}']\n"
            'model = dict(_base_.teacher_network, _delete_=True)\n'
            'custom_hooks = _base_.custom_hooks[:-1]  # no teacher bank to build\n'
            'train_dataloader = dict(dataset=dict(_base_.teacher_dataset, _delete_=True,\n'
            '                                     pipeline=_base_.teacher_plain_train_pipeline))\n'
            'val_dataloader = dict(dataset=dict(_base_.teacher_dataset, _delete_=True,\n'
            '                                   split=_base_.teacher_val_split, test_mode=True,\n'
            '                                   pipeline=_base_.teacher_plain_test_pipeline))\n'
            'test_dataloader = val_dataloader\n'
            'teacher_bank = None\nteacher_dataloader = None\n')
    for method, (title, distill, loss, key) in UNPAIRED_METHODS.items():
        base = _relative_base(out_dir, 'distill', distill)
        with open(files.methods[method], 'w') as handle:
            handle.write(f'# {title} on the two manifests.\n'
                         f"_base_ = ['./{setting}', {base!r}]\n"
                         'model = dict(\n'
                         f'    distill_losses=dict({key}=dict(_base_.{loss}_loss, '
                         'num_classes=_base_.num_classes,\n'
                         '        in_channels=_base_.feature_channels)),\n'
                         f'    loss_forward_mappings=_base_.{loss}_mappings)\n'
                         + ('optim_wrapper = _base_.sumall_optim_wrapper\n'
                            if method == 'ucmkd-sumall' else ''))
    files.commands = [f'python tools/train.py {files.uni[teacher_modality]}',
                      f'python tools/train.py {files.methods["ufd"]}']
    return files


def _setting_text(out_dir, sides, modalities, kinds, classes, pipelines, networks, found,
                  epochs, batch_size, teacher_ckpt) -> str:
    widths = {role: found[role].feat_width for role in found}
    if widths['student'] != widths['teacher']:
        raise ConfigError(f'unpaired losses compare the student\'s feature with the teacher '
                          f"bank's: the widths differ ({widths['student']} vs "
                          f"{widths['teacher']}); choose networks of equal feature width")
    t, s = modalities['teacher'], modalities['student']
    ts, ss = sides['teacher'], sides['student']
    lines = [
        f'# Generated by tools/new_pair.py: unpaired {t} ({kinds[t]}) teacher -> {s} '
        f'({kinds[s]}) student, two manifests sharing the class names.',
        f"_base_ = [{_relative_base(out_dir, 'default_runtime.py')!r}]",
        f'classes = {tuple(classes)!r}',
        f'num_classes = {len(classes)}',
        f'teacher_val_split = {ts["splits"][1]!r}',
    ]
    for role, side in sides.items():
        modality = modalities[role]
        args = dict(side['args'], classes=tuple(classes))
        lines.append(f'{role}_dataset = {_literal(dict(type="fdkd_mm.ManifestDataset", modalities={modality: dict(column=modality, kind=kinds[modality])}, split=side["splits"][0], **args))}')  # noqa: E501
        for key, pipeline in pipelines[role].items():
            lines.append(f'{role}_{key}_pipeline = {_literal(pipeline)}')
    lines += [
        f'teacher_network = {_literal(networks["teacher"])}',
        f'student_network = {_literal(networks["student"])}',
        # The bank keeps the teacher's classifier too (the published method's LA reads it).
        f'teacher_recorders = {_literal(dict(found["teacher"].recorders, head_weight=dict(path="head.fc.weight", source="parameter"), head_bias=dict(path="head.fc.bias", source="parameter")))}',  # noqa: E501
        f'student_recorders = {_literal(found["student"].recorders)}',
        f'feature_channels = {widths["student"]}',
        f'train_dataloader = dict(batch_size={batch_size}, num_workers=2, '
        'persistent_workers=False, sampler=dict(type="DefaultSampler", shuffle=True), '
        'dataset=dict(student_dataset, pipeline=student_train_pipeline))',
        'val_dataloader = dict(batch_size=1, num_workers=2, persistent_workers=False, '
        'sampler=dict(type="DefaultSampler", shuffle=False), dataset=dict(student_dataset, '
        f'split={ss["splits"][1]!r}, test_mode=True, pipeline=student_test_pipeline))',
        'test_dataloader = val_dataloader',
        "val_evaluator = dict(type='mmpretrain.Accuracy', topk=(1, ))",
        'test_evaluator = val_evaluator',
        f'max_epochs = {epochs}',
        "optim_wrapper = dict(type='OptimWrapper', optimizer=dict(type='SGD', lr=0.01, "
        "momentum=0.9, weight_decay=1e-4), clip_grad=None)",
        "param_scheduler = [dict(type='PolyLR', eta_min=1e-4, power=0.9, begin=0, "
        "end=max_epochs, by_epoch=True)]",
        "train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=max_epochs, val_interval=1)",
        "val_cfg = dict(type='ValLoop')",
        "test_cfg = dict(type='TestLoop')",
        'default_hooks = dict(checkpoint=dict(interval=max_epochs))',
        'model = dict(',
        "    type='CrossModalDistiller',",
        '    student=student_network,',
        '    teacher=None,  # teacher-free: its knowledge is the loss\'s teacher bank',
        f'    student_input={s!r},',
        '    teacher_input=None,',
        '    teacher_recorders=None,',
        '    student_recorders=student_recorders,',
        "    connectors=dict(student_feat=dict(type='IdentityConnector')),",
        '    data_preprocessor=None)',
        '# The teacher bank: the teacher over its own manifest\'s training rows, built before '
        'training (BuildTeacherBankHook).',
        'teacher_bank = dict(',
        '    teacher=teacher_network,',
        f'    teacher_input={t!r},',
        f'    teacher_ckpt={teacher_ckpt!r},',
        '    recorders=teacher_recorders,',
        "    keep_samples='auto',",
        '    require_disjoint=True)',
        'teacher_dataloader = dict(batch_size=16, num_workers=2, persistent_workers=False, '
        'sampler=dict(type="DefaultSampler", shuffle=False), '
        'dataset=dict(teacher_dataset, pipeline=teacher_plain_test_pipeline))',
        "custom_hooks = _base_.custom_hooks + [dict(type='fdkd_mm.BuildTeacherBankHook')]",
        '',
    ]
    return '\n'.join(lines)
