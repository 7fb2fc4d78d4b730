"""The SHA-256 of a file: a teacher checkpoint's identity in banks and teacher caches."""
import hashlib


def file_sha256(path: str, chunk: int = 1 << 20) -> str:
    """The sha256 hex digest of a file's bytes, read in chunks.

    Args:
        path: The file.
        chunk: How many bytes to read at a time.

    Returns:
        The hex digest.
    """
    digest = hashlib.sha256()
    with open(path, 'rb') as f:
        for block in iter(lambda: f.read(chunk), b''):
            digest.update(block)
    return digest.hexdigest()
