"""Audio transforms: wav loading and the log-magnitude STFT spectrogram of the public AV code.

The public audio-visual learning code (OGM-GE, PMR, MMPareto, C2KD) feeds a ResNet-18 with
``log(|STFT| + 1e-7)`` of a fixed-length, tiled waveform (librosa's centred STFT with a periodic
Hann window and no normalisation). :func:`log_magnitude_stft` computes the same (with numpy's
FFT); :class:`LogSpectrogram` adds the tiling, cropping and clipping around it, and
:class:`LoadSpectrogram` reads precomputed spectrograms (AVE's ``.pkl`` files).
"""
import io
import math
import os.path as osp
from typing import Optional, Union

import numpy as np
import torch
from mmcv.transforms import BaseTransform
from mmengine import fileio
from scipy import signal
from scipy.io import wavfile

from fdkd_mm.checkpoint.array_pickle import load_array_pickle
from fdkd_mm.registry import TRANSFORMS


def log_magnitude_stft(waveform: Union[np.ndarray, torch.Tensor], n_fft: int, hop_length: int,
                       win_length: Optional[int] = None, eps: float = 1e-7) -> torch.Tensor:
    """``log(|STFT(waveform)| + eps)`` as librosa computes it in the public AV code.

    Centred frames (the signal is reflect-padded by ``n_fft // 2`` on both sides, librosa's
    default before 0.10 and torch's), periodic Hann window of ``win_length`` samples (centred
    in ``n_fft``), no normalisation, one-sided spectrum. Computed with numpy's FFT over a
    strided view of the frames: as fast as ``torch.stft`` on one thread, and free of the
    intra-op thread pool, whose start-up on these small tensors made the transform 70x slower
    when the pipeline runs in a process with several torch threads (``num_workers=0``; see
    ``tools/analysis/benchmark_data.py --threads``).

    Args:
        waveform: Mono signal, shape (L,), ``L > n_fft // 2``.
        n_fft: FFT size; gives ``n_fft // 2 + 1`` frequency bins (512 → 257).
        hop_length: Samples between frames; gives ``1 + L // hop_length`` frames.
        win_length: Window length (defaults to ``n_fft``).
        eps: Added to the magnitude before the log, so silence stays finite.

    Returns:
        float32 tensor of shape (n_fft // 2 + 1, 1 + L // hop_length).
    """
    return torch.from_numpy(_log_magnitude_stft(waveform, n_fft, hop_length, win_length, eps))


def _log_magnitude_stft(waveform: Union[np.ndarray, torch.Tensor], n_fft: int, hop_length: int,
                        win_length: Optional[int], eps: float) -> np.ndarray:
    """:func:`log_magnitude_stft` as a contiguous float32 array."""
    signal_ = np.asarray(waveform, dtype=np.float32)
    if signal_.ndim != 1:
        raise ValueError(f'expected a mono waveform of shape (L,), got {signal_.shape}')
    win_length = win_length or n_fft
    window = np.zeros(n_fft, dtype=np.float32)
    left = (n_fft - win_length) // 2
    window[left:left + win_length] = 0.5 - 0.5 * np.cos(
        2 * np.pi * np.arange(win_length) / win_length)
    padded = np.pad(signal_, n_fft // 2, mode='reflect')
    frames = np.lib.stride_tricks.sliding_window_view(padded, n_fft)[::hop_length]
    spectrum = np.fft.rfft(frames * window, axis=-1)
    log_magnitude = np.log(np.abs(spectrum) + np.float32(eps)).astype(np.float32)
    return np.ascontiguousarray(log_magnitude.T)


def pcm_to_float(samples: np.ndarray) -> np.ndarray:
    """Integer PCM (or float) wav samples → float32 in [-1, 1], channels averaged.

    Args:
        samples: ``scipy.io.wavfile.read`` output, shape (L,) or (L, channels).

    Returns:
        float32 array of shape (L,).
    """
    if samples.dtype == np.uint8:  # 8-bit wavs are unsigned with 128 as zero
        audio = (samples.astype(np.float32) - 128.0) / 128.0
    elif np.issubdtype(samples.dtype, np.integer):
        audio = samples.astype(np.float32) / float(2 ** (8 * samples.dtype.itemsize - 1))
    else:
        audio = samples.astype(np.float32)
    return audio.mean(axis=1) if audio.ndim == 2 else audio


def resample(waveform: np.ndarray, rate: int, target_rate: int) -> np.ndarray:
    """Resample a float waveform with a polyphase filter (``scipy.signal.resample_poly``).

    Args:
        waveform: float32 samples, shape (L,).
        rate: Their sample rate.
        target_rate: The rate wanted.

    Returns:
        float32 samples at ``target_rate``; ``waveform`` itself when the rates are equal.
    """
    if rate == target_rate:
        return waveform
    common = math.gcd(rate, target_rate)
    return signal.resample_poly(waveform, target_rate // common,
                                rate // common).astype(np.float32)


@TRANSFORMS.register_module()
class LoadWaveform(BaseTransform):
    """Read ``results['audio_path']`` (a wav) into a mono float32 waveform.

    Adds ``waveform`` (float32, (L,), values in [-1, 1]) and ``sample_rate``.

    Args:
        sample_rate: Resample to this rate (polyphase filter, ``scipy.signal.resample_poly``)
            when the file differs; ``None`` keeps the file's rate. The public CREMA-D code loads
            at 22,050 Hz, VGGSound and AVE wavs at 16,000 Hz.
        backend_args: MMEngine file backend arguments (e.g. for remote storage).
    """

    def __init__(self, sample_rate: Optional[int] = None,
                 backend_args: Optional[dict] = None) -> None:
        self.sample_rate = sample_rate
        self.backend_args = backend_args

    def transform(self, results: dict) -> dict:
        """Load the wav named by ``results['audio_path']``.

        Args:
            results: Data info with ``audio_path``.

        Returns:
            ``results`` with ``waveform`` and ``sample_rate``.
        """
        path = results['audio_path']
        try:
            rate, samples = wavfile.read(io.BytesIO(fileio.get(path, self.backend_args)))
        except (ValueError, EOFError) as error:  # scipy's errors do not name the file
            raise ValueError(f'cannot read wav {path}: {error}') from error
        waveform = pcm_to_float(samples)
        if waveform.size == 0:
            raise ValueError(f'wav {path} has no samples')
        if self.sample_rate is not None:
            waveform = resample(waveform, rate, self.sample_rate)
            rate = self.sample_rate
        results['waveform'] = waveform
        results['sample_rate'] = rate
        return results

    def __repr__(self) -> str:
        return f'{type(self).__name__}(sample_rate={self.sample_rate})'


@TRANSFORMS.register_module()
class LogSpectrogram(BaseTransform):
    """Fixed-length waveform → ``log(|STFT| + eps)`` of shape (1, n_fft // 2 + 1, frames).

    As in the public AV code: the waveform is repeated until it covers ``tile_to`` seconds, a
    window of ``duration`` seconds is cut (``crop``), values are clipped to [-1, 1] and the
    centred STFT's log-magnitude is taken. Public settings:

    - CREMA-D: 22,050 Hz, ``duration=3``, ``n_fft=512``, ``hop_length=353`` → (1, 257, 188).
    - VGGSound: 16 kHz, ``tile_to=10``, ``duration=5``, random start for training, their
      ``n_fft=256, hop_length=128`` (129 bins); ``n_fft=512`` gives the paper's 257 bins.
    - AVE wavs (for the precomputed ``.pkl`` see :class:`LoadSpectrogram`): 22,050 Hz,
      ``duration=160000/22050``, ``n_fft=512``, ``hop_length=159``, ``standardize=True`` gives
      (1, 257, 1007), close to the public (257, 1004) pickles, which used
      ``scipy.signal.spectrogram`` (uncentred Tukey(0.25)-window power density; its log is
      2·log|STFT| + const, which standardisation removes, so only the window shape differs).

    Consumes ``waveform`` and ``sample_rate``; writes ``out_key``.

    Args:
        duration: Seconds of audio in the spectrogram.
        n_fft: FFT size (257 bins for 512).
        hop_length: Samples between frames.
        win_length: Window length (defaults to ``n_fft``).
        tile_to: Seconds the waveform is repeated to cover before cropping (at least
            ``duration``, the default).
        crop: Where the ``duration`` window starts: ``'start'``, ``'center'`` or ``'random'``
            (uniform; use for training only).
        eps: Added to the magnitude before the log.
        standardize: Subtract the clip's mean and divide by its std (+1e-9), as OGM-GE's AVE
            preprocessing does.
        out_key: Result key of the spectrogram (the modality name in the packed inputs).
    """

    CROPS = ('start', 'center', 'random')

    def __init__(self, duration: float, n_fft: int = 512, hop_length: int = 353,
                 win_length: Optional[int] = None, tile_to: Optional[float] = None,
                 crop: str = 'start', eps: float = 1e-7, standardize: bool = False,
                 out_key: str = 'audio') -> None:
        if crop not in self.CROPS:
            raise ValueError(f'crop must be one of {self.CROPS}, got {crop!r}')
        if tile_to is not None and tile_to < duration:
            raise ValueError(f'tile_to ({tile_to}) must be at least duration ({duration})')
        self.duration = duration
        self.n_fft = n_fft
        self.hop_length = hop_length
        self.win_length = win_length
        self.tile_to = tile_to if tile_to is not None else duration
        self.crop = crop
        self.eps = eps
        self.standardize = standardize
        self.out_key = out_key

    def fit_waveform(self, waveform: np.ndarray, sample_rate: int) -> np.ndarray:
        """Tile to ``tile_to`` seconds, cut ``duration`` seconds, clip to [-1, 1].

        Args:
            waveform: Mono float waveform.
            sample_rate: Its rate in Hz.

        Returns:
            float32 array of ``round(duration * sample_rate)`` samples.
        """
        length = int(round(self.duration * sample_rate))
        cover = max(length, int(round(self.tile_to * sample_rate)))
        tiled = np.tile(waveform, math.ceil(cover / len(waveform)))
        slack = len(tiled) - length
        if self.crop == 'start':
            start = 0
        elif self.crop == 'center':
            start = slack // 2
        else:
            start = np.random.randint(0, slack + 1)
        return np.clip(tiled[start:start + length], -1.0, 1.0).astype(np.float32)

    def transform(self, results: dict) -> dict:
        """Replace ``waveform`` by the spectrogram in ``results[out_key]``.

        Args:
            results: With ``waveform`` and ``sample_rate`` (from :class:`LoadWaveform`).

        Returns:
            ``results`` with ``out_key`` as a float32 tensor (1, F, T); ``waveform`` removed.
        """
        waveform = self.fit_waveform(results.pop('waveform'), results['sample_rate'])
        # numpy throughout: see log_magnitude_stft on torch's thread pool and small tensors.
        spec = _log_magnitude_stft(waveform, self.n_fft, self.hop_length, self.win_length,
                                   self.eps)
        if self.standardize:
            spec = ((spec - spec.mean()) / (spec.std() + 1e-9)).astype(np.float32)
        results[self.out_key] = torch.from_numpy(spec[None])
        return results

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(duration={self.duration}, n_fft={self.n_fft}, '
                f'hop_length={self.hop_length}, tile_to={self.tile_to}, crop={self.crop!r})')


@TRANSFORMS.register_module()
class LoadSpectrogram(BaseTransform):
    """Read a precomputed (F, T) spectrogram (``.npy``, or ``.pkl`` as AVE's ``Audio-1004-SE``).

    ``.pkl`` files are read with a restricted unpickler that builds numpy arrays and plain data
    only (:func:`~fdkd_mm.checkpoint.array_pickle.load_array_pickle`): a pickle naming any
    other object is refused with an error naming the file, before anything of it runs.
    ``.npy`` files are read with ``allow_pickle=False``.

    Args:
        num_frames: Fit the time axis to this many frames by repeating (cyclically, within each
            frequency row) or cutting; ``None`` keeps it. C2KD uses 1024 for AVE.
        out_key: Result key of the spectrogram.
        backend_args: MMEngine file backend arguments.
    """

    def __init__(self, num_frames: Optional[int] = None, out_key: str = 'audio',
                 backend_args: Optional[dict] = None) -> None:
        self.num_frames = num_frames
        self.out_key = out_key
        self.backend_args = backend_args

    def transform(self, results: dict) -> dict:
        """Load ``results['audio_path']`` into ``results[out_key]``.

        Args:
            results: Data info with ``audio_path``.

        Returns:
            ``results`` with ``out_key`` as a float32 tensor (1, F, T).
        """
        path = results['audio_path']
        raw = io.BytesIO(fileio.get(path, self.backend_args))
        suffix = osp.splitext(path)[1].lower()
        if suffix == '.npy':
            spec = np.load(raw, allow_pickle=False)
        elif suffix == '.pkl':
            spec = load_array_pickle(raw, path)
        else:
            raise ValueError(f'{path}: expected a .npy or .pkl spectrogram')
        spec = np.asarray(spec, dtype=np.float32)
        if spec.ndim == 3 and spec.shape[0] == 1:
            spec = spec[0]
        if spec.ndim != 2:
            raise ValueError(f'{path}: expected a (freq, time) spectrogram, got shape '
                             f'{spec.shape}')
        if self.num_frames is not None:
            reps = math.ceil(self.num_frames / spec.shape[1])
            spec = np.tile(spec, (1, reps))[:, :self.num_frames]
        results[self.out_key] = torch.from_numpy(np.ascontiguousarray(spec)).unsqueeze(0)
        return results

    def __repr__(self) -> str:
        return f'{type(self).__name__}(num_frames={self.num_frames}, out_key={self.out_key!r})'
