"""CrisisMMD: split TSV parsing, label maps, errors, tokenizer transform and packing."""
import os
import os.path as osp

import numpy as np
import pytest
import torch
from mmengine.dataset import pseudo_collate
from PIL import Image

from fdkd_mm.datasets.crisismmd import CrisisMMDDataset
from fdkd_mm.testing.synthetic_crisismmd import write_synthetic_crisismmd
from fdkd_mm.datasets.transforms.pack_text_image import PackTextImageInputs
from fdkd_mm.datasets.transforms.text import TokenizeText, load_local_tokenizer
from fdkd_mm.registry import MODELS
from fdkd_mm.registry import DATASETS, TRANSFORMS

HEADER = ('event_name\ttweet_id\timage_id\ttweet_text\timage\tlabel\tlabel_text\tlabel_image\t'
          'label_text_image')
# The test's own WordPiece vocabulary: ids are the line numbers.
VOCAB = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]', 'flood', 'rescue', 'the', 'storm',
         'today', 'near', 'city', 'via', 'news', 'informative', 'not', 'affected',
         'infrastructure', 'injured', 'missing', 'other', 'vehicle']
ID = {token: idx for idx, token in enumerate(VOCAB)}


def write_bert_tokenizer_files(directory) -> None:
    """The tokenizer files of a BERT checkpoint directory: ``vocab.txt`` + tokenizer config.

    Written by hand (not via a tokenizer constructor, whose arguments changed between
    transformers 4 and 5) so the test pins the on-disk format that real checkpoints use.
    """
    directory.mkdir(parents=True, exist_ok=True)
    (directory / 'vocab.txt').write_text('\n'.join(VOCAB) + '\n')
    (directory / 'tokenizer_config.json').write_text(
        '{"tokenizer_class": "BertTokenizer", "do_lower_case": true}')


@pytest.fixture(scope='module')
def tokenizer_dir(tmp_path_factory) -> str:
    """A BERT WordPiece tokenizer directory over the vocabulary above."""
    out = tmp_path_factory.mktemp('tokenizer') / 'bert'
    write_bert_tokenizer_files(out)
    return str(out)


def write_image(path: str, rgb=(200, 10, 10), size=(6, 8)) -> None:
    os.makedirs(osp.dirname(path), exist_ok=True)
    Image.fromarray(np.full((*size, 3), rgb, dtype=np.uint8)).save(path)


def write_split(root, rel_tsv: str, rows: list[str], header: str = HEADER,
                images: bool = True) -> None:
    """Write a TSV in the benchmark format (and the images its rows name)."""
    path = osp.join(root, rel_tsv)
    os.makedirs(osp.dirname(path), exist_ok=True)
    with open(path, 'w', encoding='utf-8') as f:
        f.write(header + '\n' + ''.join(row + '\n' for row in rows))
    if images:
        for row in rows:
            write_image(osp.join(root, row.split('\t')[4]))


def row(tweet_id: str, text: str, label: str, label_text: str = None,
        label_image: str = None, index: int = 0) -> str:
    label_text = label_text or label
    label_image = label_image or label
    agree = 'Positive' if label_text == label_image else 'Negative'
    image = f'data_image/hurricane_irma/10_9_2017/{tweet_id}_{index}.jpg'
    return '\t'.join(['hurricane_irma', tweet_id, f'{tweet_id}_{index}', text, image, label,
                      label_text, label_image, agree])


INFORMATIVE_TSV = 'crisismmd_datasplit_all/task_informative_text_img_train.tsv'


def test_loads_default_informative_split_with_documented_label_map(tmp_path):
    rows = [row('901', 'flood near city "quoted"', 'informative'),
            row('902', 'the news today', 'not_informative'),
            row('902', 'the news today', 'not_informative', index=1)]
    write_split(tmp_path, INFORMATIVE_TSV, rows)
    dataset = DATASETS.build(dict(type='fdkd_mm.CrisisMMDDataset', data_root=str(tmp_path)))

    assert dataset.metainfo['classes'] == ('informative', 'not_informative')
    assert len(dataset) == 3
    assert [info['gt_label'] for info in dataset] == [0, 1, 1]
    first = dataset.get_data_info(0)
    assert first['text'] == 'flood near city "quoted"'  # quotes are text, not CSV quoting
    assert first['img_path'] == osp.join(str(tmp_path),
                                         'data_image/hurricane_irma/10_9_2017/901_0.jpg')
    assert (first['tweet_id'], first['image_id'], first['event_name']) == (
        '901', '901_0', 'hurricane_irma')
    assert dataset.get_data_info(2)['image_id'] == '902_1'


@pytest.mark.parametrize('split_set, rel_tsv, expected', [
    ('all', 'crisismmd_datasplit_all/task_humanitarian_text_img_dev.tsv',
     {'affected_individuals': 0, 'infrastructure_and_utility_damage': 1,
      'injured_or_dead_people': 2, 'missing_or_found_people': 3, 'not_humanitarian': 4,
      'other_relevant_information': 5, 'rescue_volunteering_or_donation_effort': 6,
      'vehicle_damage': 7}),
    ('agreed', 'crisismmd_datasplit_agreed_label/task_humanitarian_text_img_agreed_lab_dev.tsv',
     {'affected_individuals': 0, 'infrastructure_and_utility_damage': 1, 'not_humanitarian': 2,
      'other_relevant_information': 3, 'rescue_volunteering_or_donation_effort': 4}),
])
def test_humanitarian_label_maps(tmp_path, split_set, rel_tsv, expected):
    names = list(expected)
    write_split(tmp_path, rel_tsv, [row(str(100 + i), 'the storm', name)
                                    for i, name in enumerate(names)])
    dataset = CrisisMMDDataset(str(tmp_path), split='dev', task='humanitarian',
                               split_set=split_set)
    assert len(dataset.metainfo['classes']) == len(expected)
    assert [info['gt_label'] for info in dataset] == [expected[name] for name in names]


def test_label_column_and_consistent_only(tmp_path):
    rows = [row('1', 'the storm', 'informative', 'informative', 'not_informative'),
            row('2', 'the storm', 'not_informative'),
            row('3', 'flood', 'informative')]
    write_split(tmp_path, INFORMATIVE_TSV, rows)
    by_image = CrisisMMDDataset(str(tmp_path), label_column='label_image')
    assert [info['gt_label'] for info in by_image] == [1, 1, 0]
    agreeing = CrisisMMDDataset(str(tmp_path), consistent_only=True)
    assert [info['tweet_id'] for info in agreeing] == ['2', '3']


def test_malformed_row_names_file_and_line(tmp_path):
    good = row('1', 'flood', 'informative')
    short = '\t'.join(row('2', 'flood', 'informative').split('\t')[:8])
    write_split(tmp_path, INFORMATIVE_TSV, [good, short], images=False)
    write_image(osp.join(tmp_path, good.split('\t')[4]))
    with pytest.raises(ValueError, match=r'task_informative_text_img_train\.tsv:3: malformed'):
        CrisisMMDDataset(str(tmp_path))


def test_missing_image_names_file(tmp_path):
    write_split(tmp_path, INFORMATIVE_TSV, [row('77', 'flood', 'informative')], images=False)
    with pytest.raises(FileNotFoundError, match=r'\.tsv:2: image not found: .*77_0\.jpg'):
        CrisisMMDDataset(str(tmp_path))
    # Without the load-time check the same row loads; the image loader would fail later.
    assert len(CrisisMMDDataset(str(tmp_path), check_files=False)) == 1


def test_unknown_label_missing_column_and_missing_split(tmp_path):
    write_split(tmp_path, INFORMATIVE_TSV, [row('1', 'flood', 'dont_know_or_cant_judge')])
    with pytest.raises(ValueError, match="dont_know_or_cant_judge"):
        CrisisMMDDataset(str(tmp_path))
    header_without_image = HEADER.replace('\timage\t', '\timg\t')
    write_split(tmp_path, INFORMATIVE_TSV, [row('1', 'flood', 'informative')],
                header=header_without_image)
    with pytest.raises(ValueError, match=r"missing columns \['image'\]"):
        CrisisMMDDataset(str(tmp_path))
    with pytest.raises(FileNotFoundError, match='task_informative_text_img_test.tsv'):
        CrisisMMDDataset(str(tmp_path), split='test')


def test_tokenize_text_uses_local_vocab_and_fixed_length(tokenizer_dir):
    tokenize = TRANSFORMS.build(dict(type='fdkd_mm.TokenizeText', tokenizer_path=tokenizer_dir,
                                     max_length=6))
    out = tokenize(dict(text='Flood RESCUE'))
    assert out['input_ids'].dtype == np.int64
    assert out['input_ids'].tolist() == [ID['[CLS]'], ID['flood'], ID['rescue'], ID['[SEP]'],
                                         ID['[PAD]'], ID['[PAD]']]
    assert out['attention_mask'].tolist() == [1, 1, 1, 1, 0, 0]
    long = tokenize(dict(text='the storm near the city via news today'))
    assert long['input_ids'].tolist() == [ID['[CLS]'], ID['the'], ID['storm'], ID['near'],
                                          ID['the'], ID['[SEP]']]
    assert long['attention_mask'].tolist() == [1] * 6
    # One tokenizer per path and process, however many transforms use it.
    assert load_local_tokenizer(tokenizer_dir) is load_local_tokenizer(tokenizer_dir)


def test_tokenizer_path_must_be_a_local_directory(tmp_path):
    with pytest.raises(FileNotFoundError, match='bert-base-uncased'):
        TokenizeText(tokenizer_path='bert-base-uncased')(dict(text='flood'))


def multimodal_pipeline(tokenizer_dir: str, modalities=('text', 'image'),
                        plain_inputs: bool = False) -> list:
    return [
        dict(type='LoadImageFromFile'),
        dict(type='mmpretrain.RandomResizedCrop', scale=16),
        dict(type='mmpretrain.RandomFlip', prob=0.5, direction='horizontal'),
        dict(type='fdkd_mm.TokenizeText', tokenizer_path=tokenizer_dir, max_length=10),
        dict(type='fdkd_mm.PackTextImageInputs', modalities=modalities,
             plain_inputs=plain_inputs),
    ]


def test_pipeline_yields_both_modalities_with_documented_shapes(tmp_path, tokenizer_dir):
    write_synthetic_crisismmd(str(tmp_path), samples_per_split=dict(train=6, dev=0, test=0))
    dataset = CrisisMMDDataset(str(tmp_path), pipeline=multimodal_pipeline(tokenizer_dir))
    keyword_ids = {0: ID['informative'], 1: ID['not']}
    # Synthetic class colours (RGB): informative red, not_informative green.
    colour_channel_bgr = {0: 2, 1: 1}
    for idx in range(len(dataset)):
        sample = dataset[idx]
        text, image = sample['inputs']['text'], sample['inputs']['image']
        label = int(sample['data_samples'].gt_label)
        assert text.dtype == torch.int64 and text.shape == (2, 10)
        assert text[0, 0] == ID['[CLS]'] and keyword_ids[label] in text[0].tolist()
        assert set(text[1].tolist()) <= {0, 1}
        assert image.dtype == torch.uint8 and image.shape == (3, 16, 16)
        channel_means = image.float().mean(dim=(1, 2))
        assert int(channel_means.argmax()) == colour_channel_bgr[label]  # BGR as loaded
        assert sample['data_samples'].image_id == dataset.get_data_info(idx)['image_id']


@pytest.mark.parametrize('modality, shape, dtype', [
    ('text', (2, 10), torch.int64), ('image', (3, 16, 16), torch.uint8)])
def test_unimodal_packing_gives_plain_inputs(tmp_path, tokenizer_dir, modality, shape, dtype):
    write_synthetic_crisismmd(str(tmp_path), samples_per_split=dict(train=2, dev=0, test=0))
    dataset = CrisisMMDDataset(str(tmp_path),
                               pipeline=multimodal_pipeline(tokenizer_dir, (modality, ), True))
    inputs = dataset[0]['inputs']
    assert isinstance(inputs, torch.Tensor)
    assert inputs.shape == shape and inputs.dtype == dtype


def test_pack_refuses_unknown_modality_and_missing_tokens():
    with pytest.raises(ValueError, match='audio'):
        PackTextImageInputs(modalities=('text', 'audio'))
    with pytest.raises(KeyError, match='TokenizeText'):
        PackTextImageInputs(modalities=('text', ), plain_inputs=True)(dict(gt_label=0))
    # One convention with the other packing transforms: plain inputs by plain_inputs=True.
    with pytest.raises(TypeError, match=r"write modalities=\('text',\), plain_inputs=True"):
        PackTextImageInputs(modalities='text')
    with pytest.raises(ValueError, match='plain_inputs=True packs a single modality'):
        PackTextImageInputs(plain_inputs=True)


def test_synthetic_writer_real_layout_and_learnable_labels(tmp_path):
    paths = write_synthetic_crisismmd(str(tmp_path), task='humanitarian', split_set='agreed',
                                      samples_per_split=dict(train=9, dev=3, test=3))
    assert paths['train'] == osp.join(
        str(tmp_path),
        'crisismmd_datasplit_agreed_label/task_humanitarian_text_img_agreed_lab_train.tsv')
    with open(paths['train']) as f:
        assert f.readline().rstrip('\n') == HEADER
    dataset = CrisisMMDDataset(str(tmp_path), task='humanitarian', split_set='agreed')
    assert len(dataset) == 9
    classes = dataset.metainfo['classes']
    for info in dataset:
        assert classes[info['gt_label']].split('_')[0] in info['text'].split()
    # Every third row is a second image of the previous tweet: same tweet, text and label.
    second, first = dataset.get_data_info(2), dataset.get_data_info(1)
    assert second['image_id'] == first['tweet_id'] + '_1'
    assert (second['text'], second['gt_label']) == (first['text'], first['gt_label'])


def test_image_unimodal_trains_plain_mmpretrain_mobilenet_v2(tmp_path):
    """The uni-modal image samples feed an unmodified mmpretrain MobileNetV2 classifier."""
    write_synthetic_crisismmd(str(tmp_path), samples_per_split=dict(train=4, dev=0, test=0))
    pipeline = [dict(type='LoadImageFromFile'),
                dict(type='mmpretrain.ResizeEdge', scale=32, edge='short'),
                dict(type='mmpretrain.CenterCrop', crop_size=32),
                dict(type='fdkd_mm.PackTextImageInputs', modalities=('image', ),
                     plain_inputs=True)]
    dataset = CrisisMMDDataset(str(tmp_path), pipeline=pipeline)
    model = MODELS.build(dict(
        type='mmpretrain.ImageClassifier',
        backbone=dict(type='MobileNetV2', widen_factor=0.25),
        neck=dict(type='GlobalAveragePooling'),
        head=dict(type='LinearClsHead', num_classes=2, in_channels=1280),
        data_preprocessor=dict(type='ClsDataPreprocessor', mean=[123.675, 116.28, 103.53],
                               std=[58.395, 57.12, 57.375], to_rgb=True)))
    batch = model.data_preprocessor(pseudo_collate([dataset[i] for i in range(4)]), True)
    losses = model(**batch, mode='loss')
    assert torch.isfinite(losses['loss'])
    losses['loss'].backward()
    assert model.head.fc.weight.grad.abs().sum() > 0


def test_multimodal_batch_through_per_modality_preprocessors(tmp_path, tokenizer_dir):
    """Text keeps int64 token ids while the image is normalised to float, in one batch."""
    import fdkd_mm.models.data_preprocessors.text  # noqa: F401  (registers the preprocessor)
    write_synthetic_crisismmd(str(tmp_path), samples_per_split=dict(train=4, dev=0, test=0))
    dataset = CrisisMMDDataset(str(tmp_path), pipeline=multimodal_pipeline(tokenizer_dir))
    preprocessor = MODELS.build(dict(
        type='fdkd_mm.MultiModalDataPreprocessor',
        preprocessors=dict(
            text=dict(type='fdkd_mm.TextDataPreprocessor'),
            image=dict(type='mmpretrain.ClsDataPreprocessor', mean=[127.5] * 3,
                       std=[127.5] * 3, to_rgb=True)),
        label_modality='image'))
    samples = [dataset[i] for i in range(4)]
    out = preprocessor(pseudo_collate(samples), True)
    assert out['inputs']['text'].dtype == torch.int64
    assert torch.equal(out['inputs']['text'],
                       torch.stack([s['inputs']['text'] for s in samples]))
    image = out['inputs']['image']
    assert image.dtype == torch.float32 and image.shape == (4, 3, 16, 16)
    # to_rgb: BGR uint8 channel 2 becomes RGB channel 0, scaled by (x - 127.5) / 127.5.
    expected_red = (samples[0]['inputs']['image'][2].float() - 127.5) / 127.5
    torch.testing.assert_close(image[0, 0], expected_red)
    assert [int(s.gt_label) for s in out['data_samples']] == [0, 1, 1, 0]
