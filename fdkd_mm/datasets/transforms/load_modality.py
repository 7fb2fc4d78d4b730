"""Load one modality of a manifest sample (``fdkd_mm.ManifestDataset``) by its kind."""
from typing import Optional

import cv2
import numpy as np
from mmcv.transforms import BaseTransform

from fdkd_mm.errors import DataError
from fdkd_mm.registry import TRANSFORMS
from ..manifest.decoders import decode_audio, decode_image, decode_npy, decode_video
from ..manifest.kinds import KINDS, PIXEL_KINDS


def where_in_manifest(results: dict, name: str) -> str:
    """``manifest m.csv row 3, column 'rgb'`` for the messages of a sample's modality."""
    column = (results.get('modality_columns') or {}).get(name, name)
    return (f'manifest {results.get("manifest", "?")} row {results.get("row", "?")}, '
            f'column {column!r}')


@TRANSFORMS.register_module()
class LoadModality(BaseTransform):
    """Decode ``results['<name>_path']`` (or tokenise ``results['<name>_text']``) into
    ``results[name]``.

    Outputs by kind: ``image`` (H, W, 3) uint8 BGR; ``grey`` (H, W) uint8; ``depth`` (H, W)
    float32 (raw / ``unit_scale``); ``npy`` float32 as stored; ``audio`` (1, F, T) float32 log
    spectrogram (:class:`~fdkd_mm.datasets.transforms.audio.LogSpectrogram` of the waveform
    PyAV decodes and resamples); ``video`` (T, H, W, 3) uint8 RGB; ``text`` (2, L) int64
    = [input ids; attention mask]. Pixel kinds set ``img_shape`` / ``ori_shape`` when no
    earlier modality did.

    Args:
        name: The modality (a key of the dataset's ``modalities``).
        kind: One of the kinds, or None to take the dataset's (``results['modality_kinds']``).
        unit_scale: ``depth``: raw units per output unit (1000: mm to m).
        max_value: ``depth``: clip above this many output units (None: no clip).
        sample_rate: ``audio``: resample to this rate (Hz).
        duration: ``audio``: seconds in the spectrogram (tiled when shorter).
        n_fft: ``audio``: FFT size (``n_fft // 2 + 1`` frequency bins).
        hop_length: ``audio``: samples between frames.
        crop: ``audio``: where the window starts (``'start'``, ``'center'``, ``'random'``).
        standardize: ``audio``: zero mean, unit std per clip.
        num_frames: ``video``: frames per clip (T).
        random_frames: ``video``: a random frame per segment (training) instead of the middle.
        tokenizer_path: ``text``: local tokenizer directory (``save_pretrained``).
        max_length: ``text``: tokens after padding / truncation.
    """

    def __init__(self, name: str, kind: Optional[str] = None, unit_scale: float = 1000.0,
                 max_value: Optional[float] = None, sample_rate: int = 16000,
                 duration: float = 3.0, n_fft: int = 512, hop_length: int = 256,
                 crop: str = 'start', standardize: bool = False, num_frames: int = 3,
                 random_frames: bool = False, tokenizer_path: Optional[str] = None,
                 max_length: int = 64) -> None:
        if kind is not None and kind not in KINDS:
            raise DataError(f'LoadModality({name!r}): kind {kind!r} is not one of {KINDS}')
        if unit_scale <= 0:
            raise DataError(f'LoadModality({name!r}): unit_scale must be positive')
        self.name = name
        self.kind = kind
        self.unit_scale = unit_scale
        self.max_value = max_value
        self.sample_rate = sample_rate
        self.num_frames = num_frames
        self.random_frames = random_frames
        self.tokenizer_path = tokenizer_path
        self.max_length = max_length
        from .audio import LogSpectrogram
        self.spectrogram = LogSpectrogram(duration=duration, n_fft=n_fft,
                                          hop_length=hop_length, crop=crop,
                                          standardize=standardize, out_key=name)

    def _kind(self, results: dict) -> str:
        kind = self.kind or (results.get('modality_kinds') or {}).get(self.name)
        if kind is None:
            raise DataError(f'LoadModality({self.name!r}): the sample names no kind for it '
                            f'(has {sorted(results.get("modality_kinds") or {})}); is it a '
                            'modality of the dataset?')
        return kind

    def transform(self, results: dict) -> dict:
        """Load the modality.

        Args:
            results: A data info of ``ManifestDataset``.

        Returns:
            ``results`` with ``results[name]``.

        Raises:
            DataError: The file is unreadable or of the wrong form; names manifest, row,
                column and file.
        """
        kind = self._kind(results)
        try:
            results[self.name] = self._load(kind, results)
        except DataError as error:
            raise DataError(f'{where_in_manifest(results, self.name)}: {error}') from error
        # Later steps (resize, flip, pack) read the kind; a sample from an inferencer has none.
        results['modality_kinds'] = dict(results.get('modality_kinds') or {}, **{self.name: kind})
        if kind in PIXEL_KINDS:
            shape = results[self.name].shape[:2]
            results.setdefault('img_shape', shape)
            results.setdefault('ori_shape', shape)
        return results

    def _load(self, kind: str, results: dict) -> np.ndarray:
        if kind == 'text':
            return self._tokenize(results.get(f'{self.name}_text', ''))
        path = results.get(f'{self.name}_path')
        if not path:
            raise DataError(f'no {self.name}_path in the sample')
        if kind in PIXEL_KINDS:
            return decode_image(path, kind, self.unit_scale, self.max_value)
        if kind == 'npy':
            return decode_npy(path)
        if kind == 'video':
            return decode_video(path, self.num_frames, self.random_frames)
        waveform = decode_audio(path, self.sample_rate)
        if waveform.size == 0:
            raise DataError(f'{path}: no audio sample')
        spec = self.spectrogram.transform(dict(waveform=waveform,
                                               sample_rate=self.sample_rate))
        return spec[self.name].numpy()

    def _tokenize(self, text: str) -> np.ndarray:
        from .text import load_local_tokenizer
        if not self.tokenizer_path:
            raise DataError(f'text modality {self.name!r} needs tokenizer_path (a local '
                            'tokenizer directory)')
        try:
            tokenizer = load_local_tokenizer(self.tokenizer_path)
        except FileNotFoundError as error:
            raise DataError(str(error)) from error
        encoded = tokenizer(text, max_length=self.max_length, padding='max_length',
                            truncation=True, return_attention_mask=True)
        return np.stack([np.asarray(encoded['input_ids'], dtype=np.int64),
                         np.asarray(encoded['attention_mask'], dtype=np.int64)])

    def __repr__(self) -> str:
        return f'{type(self).__name__}(name={self.name!r}, kind={self.kind!r})'


@TRANSFORMS.register_module()
class LoadLabelMap(BaseTransform):
    """Read ``results['seg_map_path']`` (one-channel 8/16-bit PNG of class indices) into
    ``gt_seg_map`` (H, W) int64, listed in ``seg_fields``.

    Args:
        check_classes: Refuse maps holding values that are neither a class index nor
            ``ignore_index`` (names the file and the values).
        ignore_index: The label of pixels left out of the loss and metric.
    """

    def __init__(self, check_classes: bool = True, ignore_index: int = 255) -> None:
        self.check_classes = check_classes
        self.ignore_index = ignore_index

    def transform(self, results: dict) -> dict:
        """Load the label map.

        Args:
            results: A data info with ``seg_map_path``.

        Returns:
            ``results`` with ``gt_seg_map``.

        Raises:
            DataError: Unreadable, multi-channel, or values outside the classes.
        """
        path = results.get('seg_map_path', '')
        where = where_in_manifest(results, 'label')
        label = cv2.imread(path, cv2.IMREAD_UNCHANGED) if path else None
        if label is None:
            raise DataError(f'{where}: label map {path!r} cannot be read')
        if label.ndim != 2:
            raise DataError(f'{where}: label map {path} must have one channel, got shape '
                            f'{label.shape}')
        label = label.astype(np.int64)
        num_classes = results.get('num_classes')
        if self.check_classes and num_classes:
            bad = np.setdiff1d(np.unique(label), [*range(num_classes), self.ignore_index])
            if bad.size:
                raise DataError(f'{where}: label map {path} holds values {bad[:10].tolist()} '
                                f'outside the {num_classes} classes (and ignore_index '
                                f'{self.ignore_index})')
        results['gt_seg_map'] = label
        fields = results.setdefault('seg_fields', [])
        if 'gt_seg_map' not in fields:
            fields.append('gt_seg_map')
        return results
