"""HFTextEncoder + TextDataPreprocessor: a tiny local BERT as an mmpretrain backbone."""
import pytest
import torch
from mmengine.dataset import pseudo_collate
from mmpretrain.structures import DataSample

from fdkd_mm.datasets.crisismmd import CrisisMMDDataset
from fdkd_mm.testing.synthetic_crisismmd import write_synthetic_crisismmd
from fdkd_mm.models.backbones.text_encoder import HFTextEncoder
from fdkd_mm.models.data_preprocessors.text import TextDataPreprocessor
from fdkd_mm.registry import MODELS

VOCAB = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]', 'informative', 'not', 'the', 'storm',
         'today', 'near', 'city', 'via', 'news']
HIDDEN = 16
TINY_BERT = dict(model_type='bert', vocab_size=len(VOCAB), hidden_size=HIDDEN,
                 num_hidden_layers=1, num_attention_heads=2, intermediate_size=32,
                 max_position_embeddings=16)


@pytest.fixture(scope='module')
def bert_dir(tmp_path_factory) -> str:
    """A randomly initialised tiny BERT saved like a downloaded checkpoint directory.

    ``save_pretrained`` writes config + weights; ``vocab.txt`` and ``tokenizer_config.json``
    are the tokenizer files such a directory ships with.
    """
    from transformers import BertConfig, BertModel
    out = tmp_path_factory.mktemp('bert') / 'tiny-bert'
    torch.manual_seed(0)
    config = {k: v for k, v in TINY_BERT.items() if k != 'model_type'}
    BertModel(BertConfig(**config)).save_pretrained(str(out))
    (out / 'vocab.txt').write_text('\n'.join(VOCAB) + '\n')
    (out / 'tokenizer_config.json').write_text(
        '{"tokenizer_class": "BertTokenizer", "do_lower_case": true}')
    return str(out)


def tokens(ids: list[list[int]], lengths: list[int]) -> torch.Tensor:
    """Pack ids into (N, 2, L) with a mask of ``lengths`` leading ones."""
    input_ids = torch.tensor(ids)
    mask = (torch.arange(input_ids.size(1))[None] < torch.tensor(lengths)[:, None]).long()
    return torch.stack([input_ids, mask], dim=1)


def test_pretrained_dir_gives_cls_feature_of_the_saved_model(bert_dir):
    from transformers import BertModel
    encoder = MODELS.build(dict(type='fdkd_mm.HFTextEncoder', pretrained=bert_dir)).eval()
    reference = BertModel.from_pretrained(bert_dir, local_files_only=True).eval()
    batch = tokens([[2, 5, 7, 3, 0, 0], [2, 8, 9, 10, 11, 3]], lengths=[4, 6])
    with torch.no_grad():
        (features, ) = encoder(batch)
        expected = reference(input_ids=batch[:, 0],
                             attention_mask=batch[:, 1]).last_hidden_state[:, 0]
    assert encoder.out_channels == HIDDEN
    assert features.shape == (2, HIDDEN)
    torch.testing.assert_close(features, expected)


def test_attention_mask_row_is_used(bert_dir):
    encoder = HFTextEncoder(pretrained=bert_dir).eval()
    batch = tokens([[2, 5, 7, 3, 0, 0]], lengths=[4])
    changed_padding = batch.clone()
    changed_padding[0, 0, 4:] = torch.tensor([8, 9])  # masked out: must not matter
    unmasked = changed_padding.clone()
    unmasked[0, 1] = 1  # same ids, now attended: must matter
    with torch.no_grad():
        base, padded, attended = (encoder(x)[0] for x in (batch, changed_padding, unmasked))
    torch.testing.assert_close(base, padded)
    assert not torch.allclose(base, attended)


def test_init_weights_never_redraws_loaded_weights(bert_dir, monkeypatch):
    """MMEngine's recursive init must not reach the Hugging Face model's own init_weights.

    transformers 5 skips modules it loaded, but other versions re-draw weights there; the
    stand-in below re-draws unconditionally, so the test fails if that call is ever made.
    """
    model = MODELS.build(text_classifier(bert_dir))
    encoder = model.backbone.encoder
    monkeypatch.setattr(encoder, 'init_weights',
                        lambda: [p.data.zero_() for p in encoder.parameters()])
    before = {k: v.clone() for k, v in encoder.state_dict().items()}
    model.init_weights()  # what the Runner does before training
    for key, value in encoder.state_dict().items():
        assert torch.equal(value, before[key]), key
    assert model.head.fc.weight.abs().sum() > 0  # the head was still initialised


@pytest.mark.parametrize('pooling', ['pooler', 'mean'])
def test_config_build_and_other_poolings(pooling):
    torch.manual_seed(0)
    encoder = HFTextEncoder(config=TINY_BERT, pooling=pooling).eval()
    batch = tokens([[2, 5, 3, 0], [2, 6, 7, 3]], lengths=[3, 4])
    with torch.no_grad():
        (features, ) = encoder(batch)
        outputs = encoder.encoder(input_ids=batch[:, 0], attention_mask=batch[:, 1])
    if pooling == 'pooler':
        expected = outputs.pooler_output
    else:
        hidden = outputs.last_hidden_state
        expected = torch.stack([hidden[0, :3].mean(0), hidden[1].mean(0)])
    torch.testing.assert_close(features, expected)


def test_encoder_input_and_source_errors(tmp_path):
    encoder = HFTextEncoder(config=TINY_BERT)
    with pytest.raises(ValueError, match=r'\(N, 2, L\)'):
        encoder(torch.zeros(2, 6, dtype=torch.long))
    with pytest.raises(TypeError, match='TextDataPreprocessor'):
        encoder(torch.zeros(2, 2, 6))
    with pytest.raises(FileNotFoundError, match='no-such-bert'):
        HFTextEncoder(pretrained=str(tmp_path / 'no-such-bert'))
    with pytest.raises(ValueError, match='model_type'):
        HFTextEncoder(config=dict(hidden_size=8))


def test_text_preprocessor_stacks_without_float_cast():
    preprocessor = TextDataPreprocessor()
    samples = [DataSample().set_gt_label(1), DataSample().set_gt_label(0)]
    big_id = 2**40  # would lose precision as float32
    out = preprocessor(dict(inputs=[torch.tensor([[big_id, 5], [1, 1]]),
                                    torch.tensor([[2, 3], [1, 0]])],
                            data_samples=samples))
    assert out['inputs'].dtype == torch.int64 and out['inputs'].shape == (2, 2, 2)
    assert out['inputs'][0, 0, 0].item() == big_id
    assert out['data_samples'] is not None and len(out['data_samples']) == 2
    with pytest.raises(ValueError, match='max_length'):
        preprocessor(dict(inputs=[torch.zeros(2, 3, dtype=torch.long),
                                  torch.zeros(2, 4, dtype=torch.long)]))
    with pytest.raises(ValueError, match='batch augments'):
        TextDataPreprocessor(batch_augments=dict(augments=[]))


def text_classifier(bert_dir: str) -> dict:
    return dict(
        type='mmpretrain.ImageClassifier',
        backbone=dict(type='fdkd_mm.HFTextEncoder', pretrained=bert_dir),
        neck=None,
        head=dict(type='LinearClsHead', num_classes=2, in_channels=HIDDEN),
        data_preprocessor=dict(type='fdkd_mm.TextDataPreprocessor'))


def test_text_classifier_learns_synthetic_crisismmd(tmp_path, bert_dir):
    """Dataset -> tokenizer -> packer -> preprocessor -> mmpretrain ImageClassifier(BERT)."""
    write_synthetic_crisismmd(str(tmp_path), samples_per_split=dict(train=8, dev=0, test=0))
    pipeline = [dict(type='fdkd_mm.TokenizeText', tokenizer_path=bert_dir, max_length=8),
                dict(type='fdkd_mm.PackTextImageInputs', modalities=('text', ), plain_inputs=True)]
    dataset = CrisisMMDDataset(str(tmp_path), pipeline=pipeline, check_files=True)
    torch.manual_seed(0)
    model = MODELS.build(text_classifier(bert_dir))
    assert isinstance(model.backbone, HFTextEncoder)
    model.init_weights()
    batch = pseudo_collate([dataset[i] for i in range(len(dataset))])
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    losses = []
    for _ in range(15):
        data = model.data_preprocessor(batch, True)
        loss = model(**data, mode='loss')['loss']
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    assert losses[-1] < 0.5 * losses[0]
    model.eval()
    with torch.no_grad():
        predictions = model(**model.data_preprocessor(batch, False), mode='predict')
    labels = [int(sample.gt_label) for sample in batch['data_samples']]
    assert [int(sample.pred_label) for sample in predictions] == labels
