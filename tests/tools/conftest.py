"""Fixtures of the tool tests."""
import sys
from pathlib import Path

# The suite runs with --import-mode=importlib (no sys.path entry per test folder): make the
# converter tests' shared helpers (converter_checks) importable.
sys.path.insert(0, str(Path(__file__).resolve().parent))
