"""Write the configs of a new modality pair from a manifest (``tools/new_pair.py``).

Files written to ``out_dir`` (``<t>``/``<s>``: teacher/student modality, ``<m>``: manifest
name):

* ``pair_<t>_to_<s>_<m>.py``: data (``fdkd_mm.ManifestDataset``), both networks with their
  recorders and widths, schedule, and the ``CrossModalDistiller`` without a method;
* ``uni_<t>_<m>.py`` / ``uni_<s>_<m>.py``: each network alone on its modality (the teacher to
  train first, the student's baseline);
* ``fdkd_`` / ``kd_`` / ``feat_<t>_to_<s>_<m>.py``: FD-CMKD, KD and Feat on the pair.
"""
import os
import os.path as osp
import pprint
import re
from dataclasses import dataclass, field
from typing import Optional, Sequence

import numpy as np

from fdkd_mm.errors import ConfigError, DataError
from .networks import check_hf_network, network_cfg, preprocessor_cfg
from .pipelines import build_pipeline
from .probe import probe_network

CONFIGS_DIR = osp.join(osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))),
                       'configs')
METHODS = ('fdkd', 'kd', 'feat')
STAT_SAMPLES = 64


@dataclass
class PairFiles:
    """What :func:`write_pair` wrote.

    Attributes:
        pair: The pair config.
        uni: Modality -> its Uni config.
        methods: Method -> its experiment config.
        commands: The commands to run, in order.
        widths: Network -> feature width found by the dry forward pass.
        recorders: Network -> recorder configs found.
    """
    pair: str
    uni: dict
    methods: dict
    commands: list = field(default_factory=list)
    widths: dict = field(default_factory=dict)
    recorders: dict = field(default_factory=dict)


def _slug(text: str) -> str:
    return re.sub(r'[^A-Za-z0-9]+', '-', text).strip('-').lower() or 'data'


def _literal(value) -> str:
    return pprint.pformat(value, width=92, sort_dicts=False)


def _splits(rows_splits: Sequence[str]) -> tuple[Optional[str], Optional[str], Optional[str]]:
    """(train, val, test) split names found in the manifest (None: all rows)."""
    found = set(rows_splits) - {''}
    if not found:
        return None, None, None
    train = next((s for s in ('train', 'training') if s in found), None)
    if train is None:
        raise DataError(f'the split column names {sorted(found)} but no "train" split')
    val = next((s for s in ('val', 'valid', 'validation', 'dev', 'test') if s in found), train)
    test = 'test' if 'test' in found else val
    return train, val, test


def _stats(dataset, name: str, kind: str, options: dict) -> Optional[tuple]:
    """(mean, std) of a one-channel modality's values over the first training samples."""
    if kind in ('image', 'text', 'video'):
        return None
    from fdkd_mm.datasets.transforms.load_modality import LoadModality
    from .pipelines import loader_cfg
    step = loader_cfg(name, kind, options, train=False)
    step.pop('type')
    loader = LoadModality(**step)
    values = []
    for index in range(min(len(dataset), STAT_SAMPLES)):
        values.append(np.asarray(loader(dict(dataset.get_data_info(index)))[name],
                                 np.float64).ravel())
    values = np.concatenate(values)
    return round(float(values.mean()), 4), round(max(float(values.std()), 1e-6), 4)


def _relative_base(out_dir: str, *parts: str) -> str:
    return osp.relpath(osp.join(CONFIGS_DIR, '_base_', *parts), osp.abspath(out_dir))


def write_pair(manifest: str, teacher_modality: str, student_modality: str, task: str,
               teacher_model: Optional[str] = None, student_model: Optional[str] = None,
               out_dir: Optional[str] = None, data_root: Optional[str] = None,
               size: Optional[Sequence[int]] = None, epochs: int = 30, batch_size: int = 16,
               label_column: str = 'label', classes: Optional[str] = None,
               options: Optional[dict] = None, name: Optional[str] = None) -> PairFiles:
    """Probe the data and both networks, then write the pair's configs.

    Args:
        manifest: The manifest (CSV / JSON lines).
        teacher_modality: The teacher's column.
        student_modality: The student's column.
        task: ``'cls'`` or ``'seg'``.
        teacher_model: The teacher network (:func:`fdkd_mm.pairing.networks.describe_choices`).
        student_model: The student network.
        out_dir: Where to write (default ``configs/own/<manifest name>``).
        data_root: The data root (default: the manifest's folder).
        size: (h, w) pixel modalities are resized to (default: 224 x 224 for classification,
            the first sample's size for segmentation).
        epochs: Training epochs.
        batch_size: Training batch size.
        label_column: The label's column.
        classes: A class file (relative to the data root) or None (the labels found).
        options: Per-modality loader options (``unit_scale``, ``sample_rate``, ``duration``,
            ``max_length``, ``num_frames``).
        name: Name of the pair in file names (default: the manifest's file name).

    Returns:
        The files written and the commands to run.

    Raises:
        DataError: The manifest or its files are bad (every problem listed).
        ConfigError: A network does not fit the task or its modality.
    """
    from mmengine.dataset import pseudo_collate

    from fdkd_mm.datasets.manifest import ManifestDataset
    if teacher_modality == student_modality:
        raise ConfigError('the teacher and the student read the same column '
                          f'{teacher_modality!r}: cross-modal distillation needs two')
    # As the user typed it: a relative root stays relative (configs move with the data).
    data_root = data_root or osp.dirname(manifest) or '.'
    ann_file = osp.relpath(osp.abspath(manifest), osp.abspath(data_root))
    name = _slug(name or osp.splitext(osp.basename(manifest))[0])
    out_dir = out_dir or osp.join('configs', 'own', name)
    options = {key: dict(value) for key, value in (options or {}).items()}
    modalities = (teacher_modality, student_modality)
    dataset_args = dict(ann_file=ann_file, data_root=data_root, task=task,
                        label_column=label_column, classes=classes)
    everything = ManifestDataset(modalities=list(modalities), lazy_init=False,
                                 **dataset_args)
    kinds = dict(everything.get_data_info(0)['modality_kinds'])
    class_names = tuple(everything.metainfo['classes'])
    train, val, test = _splits([everything.get_data_info(i)['split']
                                for i in range(len(everything))])
    models = dict(teacher=teacher_model, student=student_model)
    for role, modality in zip(('teacher', 'student'), modalities):
        check_hf_network(models[role], task, kinds[modality], f'--{role}-model')
        if kinds[modality] == 'text':
            spec = models[role] or ''
            if not spec.startswith('hf:'):
                raise ConfigError(f'the {role} reads text ({modality!r}): give --{role}-model '
                                  '"hf:<local directory>" (its tokenizer is read from there)')
            options.setdefault(modality, {})['tokenizer_path'] = spec[3:]
    if size is None and any(kind in ('image', 'grey', 'depth', 'video')
                            for kind in kinds.values()):
        if task == 'seg':
            from fdkd_mm.datasets.transforms.load_modality import LoadModality
            first = LoadModality(teacher_modality)(dict(everything.get_data_info(0)))
            size = tuple(int(v) for v in first[teacher_modality].shape[:2])
        else:
            size = (224, 224)
    train_set = ManifestDataset(modalities=list(modalities), split=train, **dataset_args)
    stats = {m: _stats(train_set, m, kinds[m], options.get(m, {})) for m in modalities}

    test_pipeline = build_pipeline(kinds, task, options, size, False, modalities)
    probe_set = ManifestDataset(modalities=list(modalities), split=train,
                                pipeline=test_pipeline, **dataset_args)
    batch = pseudo_collate([probe_set[i] for i in range(min(2, len(probe_set)))])
    networks, found = {}, {}
    for role, modality, spec in zip(('teacher', 'student'), modalities,
                                    (teacher_model, student_model)):
        inputs = batch['inputs'][modality]
        channels = int(inputs[0].shape[0])
        preprocessor = preprocessor_cfg(task, kinds[modality], channels, stats[modality],
                                        size)
        cfg = network_cfg(spec, task, kinds[modality], len(class_names), channels,
                          preprocessor, flag=f'--{role}-model')
        found[role] = probe_network(cfg, task, inputs, batch['data_samples'], role)
        networks[role] = found[role].model

    os.makedirs(out_dir, exist_ok=True)
    t, s = _slug(teacher_modality), _slug(student_modality)
    files = PairFiles(pair=osp.join(out_dir, f'pair_{t}_to_{s}_{name}.py'),
                      uni={m: osp.join(out_dir, f'uni_{_slug(m)}_{name}.py') for m in modalities},
                      methods={method: osp.join(out_dir, f'{method}_{t}_to_{s}_{name}.py')
                               for method in METHODS},
                      widths={role: found[role].feat_width for role in found},
                      recorders={role: found[role].recorders for role in found})
    teacher_stem = osp.splitext(osp.basename(files.uni[teacher_modality]))[0]
    text = _pair_text(
        manifest=manifest, out_dir=out_dir, data_root=data_root, ann_file=ann_file, task=task,
        kinds=kinds, classes=class_names, class_file=classes, label_column=label_column,
        modalities=modalities, options=options, size=size, splits=(train, val, test),
        networks=networks, found=found, epochs=epochs, batch_size=batch_size,
        teacher_ckpt=f'work_dirs/{teacher_stem}/epoch_{epochs}.pth')
    with open(files.pair, 'w') as handle:
        handle.write(text)
    pair_name = osp.basename(files.pair)
    for role, modality in zip(('teacher', 'student'), modalities):
        with open(files.uni[modality], 'w') as handle:
            handle.write(_uni_text(pair_name, role, modality))
    for method in METHODS:
        with open(files.methods[method], 'w') as handle:
            handle.write(_method_text(pair_name, method, out_dir))
    fdkd_stem = osp.splitext(osp.basename(files.methods['fdkd']))[0]
    files.commands = [
        f'python tools/train.py {files.uni[teacher_modality]}',
        f'python tools/train.py {files.methods["fdkd"]}',
        f'python tools/export_student.py work_dirs/{fdkd_stem}/epoch_{epochs}.pth '
        f'work_dirs/{fdkd_stem}/export/student.pth --config {files.methods["fdkd"]} --onnx',
    ]
    return files


def _pair_text(*, manifest, out_dir, data_root, ann_file, task, kinds, classes, class_file,
               label_column, modalities, options, size, splits, networks, found, epochs,
               batch_size, teacher_ckpt) -> str:
    t, s = modalities
    train, val, test = splits
    widths = {role: found[role].feat_width for role in found}
    if widths['student'] == widths['teacher']:
        connector = dict(type='IdentityConnector')
    else:
        connector = dict(type='ProjectionConnector', in_channels=widths['student'],
                         out_channels=widths['teacher'])
    split_note = ('' if train else '# The manifest has no split column: every loader reads '
                  'all rows. Add a split column (train / val / test) for a real evaluation.\n')
    lines = [
        f'# Generated by tools/new_pair.py from {manifest}: {task} with a {t} ({kinds[t]}) '
        f'teacher and a {s} ({kinds[s]}) student.',
        '# Recorder paths and feature widths were found by a dry forward pass on the data; '
        'data statistics from its training rows.',
        f"_base_ = [{_relative_base(out_dir, 'default_runtime.py')!r}]",
        split_note,
        f'data_root = {data_root!r}',
        f'ann_file = {ann_file!r}',
        f'task = {task!r}',
        f'classes = {(class_file if class_file else tuple(classes))!r}',
        f'num_classes = {len(classes)}',
        f'modalities = {_literal({m: dict(column=m, kind=kinds[m]) for m in modalities})}',
        f'teacher_modality, student_modality = {t!r}, {s!r}',
        '',
        '# Pipelines: the pair (both modalities packed) and each modality alone (Uni).',
    ]
    for label, packed, plain in (('', modalities, False), ('teacher_', (t, ), True),
                                 ('student_', (s, ), True)):
        for phase, train_phase in (('train', True), ('test', False)):
            pipeline = build_pipeline(kinds, task, options, size, train_phase, packed, plain)
            lines.append(f'{label}{phase}_pipeline = {_literal(pipeline)}')
    evaluator = (dict(type='mmpretrain.Accuracy', topk=(1, )) if task == 'cls'
                 else dict(type='mmseg.IoUMetric', iou_metrics=['mIoU']))
    lines += [
        '',
        f'_dataset = dict(type="fdkd_mm.ManifestDataset", data_root=data_root, '
        f'ann_file=ann_file, modalities=modalities, task=task, classes=classes, '
        f'label_column={label_column!r})',
        f'train_dataloader = dict(batch_size={batch_size}, num_workers=2, '
        'persistent_workers=False, sampler=dict(type="DefaultSampler", shuffle=True), '
        f'dataset=dict(_dataset, split={train!r}, pipeline=train_pipeline))',
        f'val_dataloader = dict(batch_size=1, num_workers=2, persistent_workers=False, '
        f'sampler=dict(type="DefaultSampler", shuffle=False), dataset=dict(_dataset, '
        f'split={val!r}, test_mode=True, pipeline=test_pipeline))',
        f'test_dataloader = dict(batch_size=1, num_workers=2, persistent_workers=False, '
        f'sampler=dict(type="DefaultSampler", shuffle=False), dataset=dict(_dataset, '
        f'split={test!r}, test_mode=True, pipeline=test_pipeline))',
        f'val_evaluator = {evaluator!r}',
        'test_evaluator = val_evaluator',
        '',
        '# SGD with poly decay, per epoch; tune for your data.',
        f'max_epochs = {epochs}',
        "optim_wrapper = dict(type='OptimWrapper', optimizer=dict(type='SGD', lr=0.01, "
        "momentum=0.9, weight_decay=1e-4), clip_grad=None)",
        "param_scheduler = [dict(type='PolyLR', eta_min=1e-4, power=0.9, begin=0, "
        "end=max_epochs, by_epoch=True)]",
        "train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=max_epochs, val_interval=1)",
        "val_cfg = dict(type='ValLoop')",
        "test_cfg = dict(type='TestLoop')",
        "default_hooks = dict(checkpoint=dict(interval=max_epochs))",
        '',
        '# The networks (widths from the dry forward pass).',
        f'teacher_network = {_literal(networks["teacher"])}',
        f'student_network = {_literal(networks["student"])}',
        '# logits: the classifier; feat: '
        + ('the pooled last stage (the input of the head\'s classifier).' if task == 'cls'
           else 'the decode head\'s last feature (what its classifier reads).'),
        f'teacher_recorders = {_literal(found["teacher"].recorders)}',
        f'student_recorders = {_literal(found["student"].recorders)}',
        f'teacher_channels = {widths["teacher"]}',
        f'student_channels = {widths["student"]}',
        'feature_channels = teacher_channels  # the student\'s feature is projected to it '
        'where they differ',
        '',
        '# Train the teacher first (its Uni config); its last checkpoint is read here.',
        'model = dict(',
        "    type='CrossModalDistiller',",
        '    student=student_network,',
        '    teacher=teacher_network,',
        '    student_input=student_modality,',
        '    teacher_input=teacher_modality,',
        f'    teacher_ckpt={teacher_ckpt!r},',
        '    student_recorders=student_recorders,',
        '    teacher_recorders=teacher_recorders,',
        f'    connectors=dict(student_feat={connector!r}),',
        '    teacher_trainable=False,',
        '    data_preprocessor=None)',
        '',
    ]
    return '\n'.join(lines)


def _uni_text(pair_name: str, role: str, modality: str) -> str:
    what = 'the teacher: train it first' if role == 'teacher' else "the student's baseline"
    return (f'# The {role} network alone on {modality} ({what}).\n'
            f"_base_ = ['./{pair_name}']\n"
            f'model = dict(_base_.{role}_network, _delete_=True)\n'
            f'train_dataloader = dict(dataset=dict(pipeline=_base_.{role}_train_pipeline))\n'
            f'val_dataloader = dict(dataset=dict(pipeline=_base_.{role}_test_pipeline))\n'
            f'test_dataloader = dict(dataset=dict(pipeline=_base_.{role}_test_pipeline))\n')


def _method_text(pair_name: str, method: str, out_dir: str) -> str:
    base = _relative_base(out_dir, 'distill', f'{method}.py')
    head = f"_base_ = ['./{pair_name}', {base!r}]\n"
    if method == 'fdkd':
        return ('# FD-CMKD on the pair.\n' + head
                + 'model = dict(\n'
                '    distill_losses=dict(loss_fd=dict(_base_.fdkd_loss, '
                'num_classes=_base_.num_classes,\n'
                '                                     in_channels=_base_.feature_channels)),\n'
                '    loss_forward_mappings=_base_.fdkd_mappings)\n')
    title = dict(kd='KD ("Logit")', feat='Feat (feature MSE)')[method]
    return (f'# {title} on the pair.\n' + head
            + f'model = dict(distill_losses=_base_.{method}_losses,\n'
            f'             loss_forward_mappings=_base_.{method}_mappings)\n')
