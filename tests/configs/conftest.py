"""Fixtures of the config tests: synthetic data of every dataset, a local tiny BERT."""
import sys
from pathlib import Path

import pytest

# The suite runs with --import-mode=importlib: make the shared run helpers importable.
sys.path.insert(0, str(Path(__file__).resolve().parent))

# The tiny BERT's WordPiece vocabulary: special tokens, the synthetic tweets' filler words and
# the class keywords of the informative task ('informative', 'not' for not_informative).
VOCAB = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]', 'informative', 'not', 'the', 'storm',
         'today', 'near', 'city', 'via', 'news']


@pytest.fixture(scope='session')
def data_roots(tmp_path_factory) -> dict[str, str]:
    """Synthetic data in the real layouts, written once: dataset type -> root."""
    from fdkd_mm.testing import (write_synthetic_ave, write_synthetic_cremad,
                                 write_synthetic_crisismmd, write_synthetic_nyu,
                                 write_synthetic_vggsound)
    root = tmp_path_factory.mktemp('data')
    write_synthetic_cremad(str(root / 'cremad'), clips_per_class=(1, 1))
    write_synthetic_ave(str(root / 'ave'))
    write_synthetic_vggsound(str(root / 'vggsound'))
    write_synthetic_crisismmd(str(root / 'crisismmd'))
    nyu = write_synthetic_nyu(root / 'nyu', num_train=4, num_test=1)
    from fdkd_mm.testing.synthetic_ravdess import write_synthetic_ravdess
    write_synthetic_ravdess(str(root / 'ravdess'))
    from fdkd_mm.testing.synthetic_avmnist import write_synthetic_avmnist
    write_synthetic_avmnist(str(root / 'avmnist'))
    return dict(CremaDDataset=str(root / 'cremad'), AVEDataset=str(root / 'ave'),
                VGGSoundDataset=str(root / 'vggsound'), CrisisMMDDataset=str(root / 'crisismmd'),
                NYUDepthV2Dataset=str(nyu), RAVDESSDataset=str(root / 'ravdess'),
                AVMNISTDataset=str(root / 'avmnist'))


@pytest.fixture(scope='session')
def tokenizer_dir(tmp_path_factory) -> str:
    """The tokenizer files of a local BERT directory (vocab.txt, tokenizer_config.json)."""
    out = tmp_path_factory.mktemp('bert') / 'tiny-bert-uncased'
    out.mkdir()
    (out / 'vocab.txt').write_text('\n'.join(VOCAB) + '\n')
    (out / 'tokenizer_config.json').write_text(
        '{"tokenizer_class": "BertTokenizer", "do_lower_case": true}')
    return str(out)
