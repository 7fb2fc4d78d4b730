"""Fixtures of the security tests: the payload helpers are importable as ``payloads``."""
import sys
from pathlib import Path

# --import-mode=importlib gives test folders no sys.path entry: make the helpers importable.
sys.path.insert(0, str(Path(__file__).resolve().parent))
