"""Audio transforms: STFT against scipy, sine peak bins, wav decoding, tiling, spectrogram files."""
import os.path as osp
import pickle

import numpy as np
import pytest
import torch
from scipy import signal
from scipy.io import wavfile

from fdkd_mm.datasets.transforms.audio import (LoadSpectrogram, LoadWaveform, LogSpectrogram,
                                               log_magnitude_stft, pcm_to_float)


def scipy_log_stft(wave: np.ndarray, n_fft: int, hop: int) -> np.ndarray:
    """Independent reference: scipy's STFT with even (= reflect) boundary extension.

    scipy scales the spectrum by 1 / sum(window); librosa and torch do not, so undo it.
    """
    window = signal.get_window('hann', n_fft)  # periodic, like librosa's and torch's default
    _, _, spec = signal.stft(wave, window=window, nperseg=n_fft, noverlap=n_fft - hop,
                             boundary='even', padded=False, detrend=False)
    return np.log(np.abs(spec) * window.sum() + 1e-7)


def sine(freq: float, rate: int, seconds: float) -> np.ndarray:
    return 0.5 * np.sin(2 * np.pi * freq * np.arange(int(rate * seconds)) / rate)


def test_log_magnitude_stft_matches_scipy_stft():
    wave = np.random.default_rng(0).uniform(-1, 1, 2000).astype(np.float32)
    ours = log_magnitude_stft(wave, n_fft=64, hop_length=20)
    reference = scipy_log_stft(wave.astype(np.float64), 64, 20)
    assert ours.shape == (33, 101)  # 64 // 2 + 1 bins, 1 + 2000 // 20 frames
    assert reference.shape == ours.shape
    np.testing.assert_allclose(ours.numpy(), reference, atol=2e-4)


def test_cremad_spectrogram_of_a_sine_wav_peaks_at_its_bin(tmp_path):
    rate, freq = 22050, 1000.0
    path = str(tmp_path / 'tone.wav')
    wavfile.write(path, rate, np.round(sine(freq, rate, 1.2) * 32767).astype(np.int16))
    results = LoadWaveform(sample_rate=22050)(dict(audio_path=path))
    results = LogSpectrogram(duration=3.0, n_fft=512, hop_length=353)(results)
    spec = results['audio']
    # CREMA-D setting of the public code: 3 s at 22,050 Hz, n_fft 512, hop 353.
    assert spec.dtype == torch.float32 and spec.shape == (1, 257, 1 + 66150 // 353)
    assert 'waveform' not in results
    assert int(spec[0].mean(1).argmax()) == round(freq * 512 / rate) == 23
    # The whole map equals scipy's STFT of the same tiled, clipped signal.
    samples = wavfile.read(path)[1].astype(np.float64) / 32768
    tiled = np.tile(samples, 3)[:66150]
    reference = scipy_log_stft(tiled, 512, 353)
    # float32 vs float64: compare magnitudes, and logs where the magnitude is not ~0.
    np.testing.assert_allclose(np.exp(spec[0].numpy()), np.exp(reference), atol=1e-3)
    loud = np.exp(reference) > 0.1
    np.testing.assert_allclose(spec[0].numpy()[loud], reference[loud], atol=1e-3)


def test_resampled_wav_keeps_its_tone_frequency(tmp_path):
    path = str(tmp_path / 'tone16k.wav')
    wavfile.write(path, 16000, np.round(sine(1500.0, 16000, 0.5) * 32767).astype(np.int16))
    results = LoadWaveform(sample_rate=22050)(dict(audio_path=path))
    assert results['sample_rate'] == 22050
    assert len(results['waveform']) == 11025  # 8000 samples * 22050 / 16000
    spec = LogSpectrogram(duration=0.5, n_fft=512, hop_length=353)(results)['audio']
    assert int(spec[0].mean(1).argmax()) == round(1500 * 512 / 22050)  # bin 35


def test_pcm_to_float_scales_and_mixes_channels():
    np.testing.assert_allclose(pcm_to_float(np.array([-32768, 0, 16384], np.int16)),
                               [-1.0, 0.0, 0.5])
    np.testing.assert_allclose(pcm_to_float(np.array([0, 128, 192], np.uint8)), [-1, 0, 0.5])
    stereo = np.array([[32767, -32767], [16384, 0]], np.int16)
    np.testing.assert_allclose(pcm_to_float(stereo), [0.0, 0.25], atol=1e-4)


def test_fit_waveform_tiles_crops_and_clips():
    wave = np.array([0, .1, .2, .3, .4, .5, .6, .7, .8, 3.0], np.float32)  # 1 s at 10 Hz
    start = LogSpectrogram(duration=2.5, crop='start').fit_waveform(wave, 10)
    expected = np.tile(np.minimum(wave, 1.0), 3)[:25]
    np.testing.assert_allclose(start, expected)
    centre = LogSpectrogram(duration=2.0, tile_to=3.0, crop='center').fit_waveform(wave, 10)
    np.testing.assert_allclose(centre, np.tile(np.minimum(wave, 1.0), 3)[5:25])
    np.random.seed(0)
    starts = set()
    for _ in range(200):
        out = LogSpectrogram(duration=0.5, tile_to=1.0, crop='random').fit_waveform(wave, 10)
        starts.add(int(round(out[0] * 10)))
        assert len(out) == 5
    assert starts == {0, 1, 2, 3, 4, 5}  # every start in [0, 10 - 5] occurs
    with pytest.raises(ValueError, match='crop'):
        LogSpectrogram(duration=1.0, crop='middle')


def test_standardized_spectrogram_has_zero_mean_unit_std():
    results = dict(waveform=sine(700, 8000, 1.0).astype(np.float32), sample_rate=8000)
    spec = LogSpectrogram(duration=1.0, n_fft=128, hop_length=64, standardize=True)(results)
    assert abs(float(spec['audio'].mean())) < 1e-5
    assert abs(float(spec['audio'].std(unbiased=False)) - 1) < 1e-4


@pytest.mark.parametrize('suffix', ['.pkl', '.npy'])
def test_load_spectrogram_files_and_fit_time_axis(tmp_path, suffix):
    spec = np.arange(35, dtype=np.float32).reshape(5, 7)
    path = str(tmp_path / f'vid{suffix}')
    if suffix == '.npy':
        np.save(path, spec)
    else:
        with open(path, 'wb') as f:
            pickle.dump(spec, f)
    loaded = LoadSpectrogram()(dict(audio_path=path))['audio']
    assert loaded.shape == (1, 5, 7) and loaded.dtype == torch.float32
    np.testing.assert_array_equal(loaded[0].numpy(), spec)
    longer = LoadSpectrogram(num_frames=10)(dict(audio_path=path))['audio'][0].numpy()
    np.testing.assert_array_equal(longer[:, :7], spec)
    np.testing.assert_array_equal(longer[:, 7:], spec[:, :3])  # repeats along time, per row
    shorter = LoadSpectrogram(num_frames=4)(dict(audio_path=path))['audio'][0].numpy()
    np.testing.assert_array_equal(shorter, spec[:, :4])


def test_bad_audio_files_name_the_file(tmp_path):
    not_wav = tmp_path / 'broken.wav'
    not_wav.write_text('not a wav')
    with pytest.raises(ValueError, match=str(not_wav)):
        LoadWaveform()(dict(audio_path=str(not_wav)))
    flat = str(tmp_path / 'flat.npy')
    np.save(flat, np.zeros(12, np.float32))
    with pytest.raises(ValueError, match=osp.basename(flat)):
        LoadSpectrogram()(dict(audio_path=flat))
    with pytest.raises(FileNotFoundError):
        LoadWaveform()(dict(audio_path=str(tmp_path / 'missing.wav')))
