"""Fixtures of the reliability tests."""
import sys
from pathlib import Path

import pytest

# The suite runs with --import-mode=importlib (no sys.path entry per test folder): make the
# shared helpers (reliability_utils) importable, as the subprocess-side hook module is.
sys.path.insert(0, str(Path(__file__).resolve().parent))


@pytest.fixture(scope='session')
def nyu_data(tmp_path_factory) -> Path:
    """Synthetic NYU-Depth V2 at 64x80: 8 training images (2 iterations of 4 per epoch)."""
    from fdkd_mm.testing import write_synthetic_nyu
    return write_synthetic_nyu(tmp_path_factory.mktemp('nyu') / 'nyu', num_train=8, num_test=2,
                               height=64, width=80, num_classes=6, seed=0)
