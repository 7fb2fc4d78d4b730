"""Tokenize a text field with a Hugging Face tokenizer read from a local directory."""
import functools
import os.path as osp

import numpy as np
from mmcv.transforms import BaseTransform

from fdkd_mm.registry import TRANSFORMS


@functools.lru_cache(maxsize=None)
def load_local_tokenizer(path: str):
    """Load (once per process and path) a tokenizer saved with ``save_pretrained``.

    Only a local directory is accepted: a name that is not a directory would otherwise be read
    as a hub repository id, and runs must never download.

    Args:
        path: Directory holding the tokenizer files.

    Returns:
        The ``transformers`` tokenizer.

    Raises:
        FileNotFoundError: ``path`` is not a directory.
    """
    from transformers import AutoTokenizer  # heavy; only pipelines with text pay for it

    if not osp.isdir(path):
        raise FileNotFoundError(f'tokenizer directory not found: {path} (a local directory '
                                'written by save_pretrained is required; hub names are not '
                                'downloaded)')
    return AutoTokenizer.from_pretrained(path, local_files_only=True)


@TRANSFORMS.register_module()
class TokenizeText(BaseTransform):
    """Turn ``results[text_key]`` into fixed-length token ids and attention mask.

    Every sample is padded / truncated to exactly ``max_length`` tokens (special tokens
    included), so batches stack without a collate function of their own.

    Required keys: ``text_key``. Added keys: ``input_ids``, ``attention_mask`` (int64 arrays of
    shape ``(max_length,)``).

    Args:
        tokenizer_path: Local directory of the tokenizer (e.g. a BERT-base checkpoint dir).
        max_length: Sequence length after padding / truncation.
        text_key: Key of the raw text in ``results``.
    """

    def __init__(self, tokenizer_path: str, max_length: int = 128,
                 text_key: str = 'text') -> None:
        if max_length < 2:
            raise ValueError(f'max_length must leave room for special tokens, got {max_length}')
        self.tokenizer_path = tokenizer_path
        self.max_length = max_length
        self.text_key = text_key

    def transform(self, results: dict) -> dict:
        """Tokenize one sample.

        Args:
            results: The sample dict.

        Returns:
            ``results`` with ``input_ids`` and ``attention_mask`` added.
        """
        tokenizer = load_local_tokenizer(self.tokenizer_path)
        encoded = tokenizer(
            results[self.text_key],
            max_length=self.max_length,
            padding='max_length',
            truncation=True,
            return_attention_mask=True)
        results['input_ids'] = np.asarray(encoded['input_ids'], dtype=np.int64)
        results['attention_mask'] = np.asarray(encoded['attention_mask'], dtype=np.int64)
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(tokenizer_path={self.tokenizer_path!r}, '
                f'max_length={self.max_length}, text_key={self.text_key!r})')
