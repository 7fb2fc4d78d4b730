"""tools/dataset_converters/avmnist.py on tiny files in the real formats written by the test:
gzipped IDX files, 8 kHz FSDD wavs named <digit>_<speaker>_<index>.wav, ESC-50's meta csv and
44.1 kHz clips. Expected arrays are computed here from the generator's stated rules."""
import csv
import gzip
from pathlib import Path

import numpy as np
import pytest
from scipy import signal
from scipy.io import wavfile

from converter_checks import load_converter, snapshot
from fdkd_mm.datasets.conversion import avmnist as gen

avmnist = load_converter('avmnist')
SPEAKERS = ('jackson', 'nicolas', 'theo', 'yweweler')
TRAIN_LABELS = np.array([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1], np.uint8)
TEST_LABELS = np.array([3, 3, 0, 9], np.uint8)


def write_idx(path: Path, array: np.ndarray, magic: int) -> None:
    header = magic.to_bytes(4, 'big') + b''.join(d.to_bytes(4, 'big') for d in array.shape)
    with gzip.open(path, 'wb') as f:
        f.write(header + array.astype(np.uint8).tobytes())


def generator_layout(n: int) -> tuple:
    """The generator's search, as its loops state it."""
    for i in range(int(np.ceil(n / 112)) - 1, n):
        for j in range(i):
            if 113 * i - 112 * j > n >= 112 * i - 111 * j:
                return i, j


@pytest.fixture(scope='module')
def sources(tmp_path_factory):
    base = tmp_path_factory.mktemp('avmnist')
    rng = np.random.default_rng(0)
    mnist = base / 'mnist'
    mnist.mkdir()
    train_images = rng.integers(0, 256, (12, 28, 28))
    test_images = rng.integers(0, 256, (4, 28, 28))
    write_idx(mnist / 'train-images-idx3-ubyte.gz', train_images, gen.IMAGE_MAGIC)
    write_idx(mnist / 'train-labels-idx1-ubyte.gz', TRAIN_LABELS, gen.LABEL_MAGIC)
    write_idx(mnist / 't10k-images-idx3-ubyte.gz', test_images, gen.IMAGE_MAGIC)
    write_idx(mnist / 't10k-labels-idx1-ubyte.gz', TEST_LABELS, gen.LABEL_MAGIC)
    recordings = base / 'fsdd' / 'recordings'
    recordings.mkdir(parents=True)
    for digit in range(10):
        for speaker in SPEAKERS:
            for index in range(2):
                samples = rng.integers(-3000, 3000, int(rng.integers(1500, 4000)))
                wavfile.write(recordings / f'{digit}_{speaker}_{index}.wav', 8000,
                              samples.astype(np.int16))
    (recordings / 'README_jackson.wav').write_bytes(b'')  # not a recording name
    esc = base / 'esc50'
    (esc / 'audio').mkdir(parents=True)
    (esc / 'meta').mkdir()
    with open(esc / 'meta' / 'esc50.csv', 'w', newline='') as f:
        writer = csv.writer(f)
        writer.writerow(['filename', 'fold', 'target', 'category', 'esc10', 'src_file', 'take'])
        for target in range(50):
            name = f'1-{target}-A-{target}.wav'
            writer.writerow([name, 1, target, f'cat{target}', False, target, 'A'])
            wavfile.write(esc / 'audio' / name, 44100,
                          rng.integers(-9000, 9000, 44100).astype(np.int16))
    return dict(base=base, mnist=mnist, fsdd=base / 'fsdd', esc50=esc,
                images=dict(train=train_images, test=test_images))


def run(sources, out: Path, *extra: str) -> int:
    return avmnist.main([str(out), '--mnist', str(sources['mnist']), '--fsdd',
                         str(sources['fsdd']), '--esc50', str(sources['esc50']), '--block', '5',
                         '--no-progress', *extra])


@pytest.fixture(scope='module')
def generated(sources):
    out = sources['base'] / 'out'
    return dict(out=out, code=run(sources, out))


def expected_spectrogram(sources, recording: str, category: int) -> np.ndarray:
    rate, speech = wavfile.read(sources['fsdd'] / 'recordings' / recording)
    noise_rate, noise = wavfile.read(sources['esc50'] / 'audio' / f'1-{category}-A-{category}.wav')
    noise = signal.resample(noise.astype(float), int(np.ceil(len(noise) / noise_rate * rate)))
    size, overlap = generator_layout(len(speech))
    _, _, power = signal.spectrogram(speech + 0.009 * noise[:len(speech)], fs=rate,
                                     window='boxcar', nperseg=size, noverlap=overlap, nfft=223)
    return power


def test_labels_and_pca_images(generated, sources):
    out = generated['out']
    assert generated['code'] == 0
    for split, labels in (('train', TRAIN_LABELS), ('test', TEST_LABELS)):
        assert np.array_equal(np.load(out / f'{split}_labels.npy'), labels)
        images = np.load(out / 'image' / f'{split}_data.npy')
        flat = sources['images'][split].reshape(len(labels), 784).astype(float)
        # Fewer images than the 196 kept components: PCA keeps them whole, minus the mean.
        assert images.shape == (len(labels), 784) and images.dtype == np.float32
        assert np.allclose(images, flat - flat.mean(0), atol=1e-2)


def test_audio_pairs_by_label_with_cycling_recordings_and_noises(generated, sources):
    out = generated['out']
    train = np.load(out / 'audio' / 'train_data.npy')
    test = np.load(out / 'audio' / 'test_data.npy')
    assert train.shape == (12, 112, 112) and test.shape == (4, 112, 112)
    # Pair 0: first training recording of digit 0 (jackson's, index 0) + category 0's clip;
    # pair 10: digit 0 again -> its second recording; noise 10 of the 40 training ones.
    cases = [(train[0], '0_jackson_0.wav', 0), (train[10], '0_jackson_1.wav', 10),
             (train[11], '1_jackson_1.wav', 11),
             # Test: the test speaker only, noises from category 40 on; digit 3 twice.
             (test[0], '3_yweweler_0.wav', 40), (test[1], '3_yweweler_1.wav', 41),
             (test[3], '9_yweweler_0.wav', 43)]
    for array, recording, category in cases:
        expected = expected_spectrogram(sources, recording, category)
        assert np.allclose(array, expected, rtol=1e-4, atol=1e-6 * expected.max()), recording


def test_rerun_keeps_outputs_and_regenerates_a_deleted_split(generated, sources, capsys):
    out = generated['out']
    before = snapshot(out)
    assert run(sources, out) == 0
    assert snapshot(out) == before
    test_file = out / 'audio' / 'test_data.npy'
    kept = np.load(test_file)
    test_file.unlink()
    assert run(sources, out) == 0
    assert np.array_equal(np.load(test_file), kept)
    assert snapshot(out / 'image') == {k.removeprefix('image/'): v for k, v in before.items()
                                       if k.startswith('image/')}
    assert not list(out.rglob('.parts-*')) and not list(out.rglob('*.tmp-*'))
    assert 'README_jackson.wav' in capsys.readouterr().out  # the skipped name, listed


def test_verify(generated, capsys):
    out = generated['out']
    assert avmnist.main([str(out), '--verify', '--val-size', '2']) == 0
    text = capsys.readouterr().out
    assert 'train: 10 pairs' in text and 'val: 2 pairs' in text and 'AV-MNIST: layout OK' in text


def test_truncated_idx_is_named_and_nothing_is_written(sources, tmp_path, capsys):
    bad = tmp_path / 'mnist'
    bad.mkdir()
    for path in sources['mnist'].iterdir():
        (bad / path.name).write_bytes(path.read_bytes())
    data = gzip.decompress((bad / 't10k-images-idx3-ubyte.gz').read_bytes())
    (bad / 't10k-images-idx3-ubyte.gz').write_bytes(gzip.compress(data[:-100]))
    out = tmp_path / 'out'
    code = avmnist.main([str(out), '--mnist', str(bad), '--fsdd', str(sources['fsdd']),
                         '--esc50', str(sources['esc50']), '--no-progress'])
    assert code == 1
    assert 't10k-images-idx3-ubyte.gz: truncated' in capsys.readouterr().err
    assert not (out / 'image' / 'test_data.npy').exists()


def test_pca_keeps_the_dominant_direction():
    # Centred data along (1, 1, 0, 0) / sqrt2 with spread 3 and (0, 0, 1, -1) / sqrt2 with 1:
    # keeping a quarter of 4 components keeps the first direction only.
    u = np.array([1, 1, 0, 0]) / np.sqrt(2)
    v = np.array([0, 0, 1, -1]) / np.sqrt(2)
    a, b = np.array([3., -3., 3., -3.]), np.array([1., 1., -1., -1.])
    data = a[:, None] * u + b[:, None] * v + 10.0  # a constant offset: the mean, removed
    assert np.allclose(gen.pca_reconstruct(data), a[:, None] * u, atol=1e-5)


@pytest.mark.parametrize('n', [113, 500, 1999, 2222, 4000, 7919])
def test_segment_layout_is_the_generators(n):
    assert gen.segment_layout(n) == generator_layout(n)
    size, overlap = gen.segment_layout(n)
    assert (n - size) // (size - overlap) + 1 == 112
