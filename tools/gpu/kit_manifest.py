"""The GPU kit's manifest: what ``tools/gpu/prepare_wheels.sh`` downloaded, and checks of it.

The kit is a folder of wheels (CPython 3.12, manylinux x86-64 or pure Python) and source
distributions that ``tools/gpu/run_checks.sh`` installs with ``pip --no-index`` on a CUDA
machine without a package registry. ``MANIFEST.json`` in it records every file::

    {"format": 1, "created": "2026-12-07T02:41:00+00:00", "total_bytes": 10538462,
     "packages": [{"name": "mmengine", "version": "0.10.7", "kind": "wheel",
                   "file": "mmengine-0.10.7-py3-none-any.whl", "bytes": 452720,
                   "sha256": "..."}, ...]}

``name`` is normalised as PEP 503 does (lower case, runs of ``-_.`` as one ``-``), so the
manifest can be compared with the pinned lists (``kit_wheels.txt``, ``kit_sdists.txt``).
The folder ``built/`` of the kit (mmcv wheels built on a GPU machine) is not part of it.

Usage::

    python tools/gpu/kit_manifest.py write KIT --expect tools/gpu/kit_wheels.txt \\
        tools/gpu/kit_sdists.txt           # write MANIFEST.json; fail on a missing / extra pin
    python tools/gpu/kit_manifest.py check KIT        # every file present with its sha256
    python tools/gpu/kit_manifest.py pins KIT --kind wheel   # name==version, one a line

Only the standard library is used: this runs before anything is installed.
"""
import argparse
import datetime
import hashlib
import json
import os
import re
import sys
from typing import Optional

MANIFEST = 'MANIFEST.json'
FORMAT = 1
SDIST_SUFFIXES = ('.tar.gz', '.zip')


def normalize(name: str) -> str:
    """A distribution name as PEP 503 compares them.

    Args:
        name: A distribution name as written anywhere (``PyWavelets``, ``model_index``).

    Returns:
        Lower case with each run of ``-``, ``_`` and ``.`` as one ``-``.
    """
    return re.sub(r'[-_.]+', '-', name).lower()


def parse_filename(filename: str) -> Optional[tuple[str, str, str]]:
    """Name, version and kind of a wheel or source distribution file.

    Args:
        filename: A file name such as ``mmengine-0.10.7-py3-none-any.whl`` or
            ``mmcv-2.1.0.tar.gz``.

    Returns:
        ``(normalised name, version, 'wheel' | 'sdist')``, or None for any other file.
    """
    if filename.endswith('.whl'):
        parts = filename[:-len('.whl')].split('-')
        if len(parts) not in (5, 6):  # name-version[-build]-python-abi-platform
            return None
        return normalize(parts[0]), parts[1], 'wheel'
    for suffix in SDIST_SUFFIXES:
        if filename.endswith(suffix):
            stem = filename[:-len(suffix)]
            if '-' not in stem:
                return None
            name, version = stem.rsplit('-', 1)
            return normalize(name), version, 'sdist'
    return None


def read_pins(path: str) -> dict[str, str]:
    """``name==version`` lines of a pin file (comments and blank lines ignored).

    Args:
        path: A text file, one ``name==version`` a line; ``#`` starts a comment.

    Returns:
        Normalised name → version.

    Raises:
        ValueError: A line that is not an exact pin, or a name pinned twice.
    """
    pins = {}
    with open(path) as f:
        for number, line in enumerate(f, 1):
            text = line.split('#', 1)[0].strip()
            if not text:
                continue
            match = re.fullmatch(r'([A-Za-z0-9][A-Za-z0-9._-]*)==([A-Za-z0-9.+!-]+)', text)
            if match is None:
                raise ValueError(f'{path}:{number}: expected name==version, got {text!r}')
            name = normalize(match.group(1))
            if name in pins:
                raise ValueError(f'{path}:{number}: {name} is pinned twice')
            pins[name] = match.group(2)
    return pins


def sha256_of(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, 'rb') as f:
        for block in iter(lambda: f.read(1 << 20), b''):
            digest.update(block)
    return digest.hexdigest()


def scan(kit: str) -> list[dict]:
    """One manifest entry per wheel / source distribution at the top of ``kit``.

    Args:
        kit: The kit folder.

    Returns:
        Entries sorted by name (``name``, ``version``, ``kind``, ``file``, ``bytes``,
        ``sha256``).

    Raises:
        ValueError: Two files of the same distribution (pip would refuse the install).
    """
    entries = {}
    for filename in sorted(os.listdir(kit)):
        path = os.path.join(kit, filename)
        parsed = parse_filename(filename) if os.path.isfile(path) else None
        if parsed is None:
            continue
        name, version, kind = parsed
        if name in entries:
            raise ValueError(f'{kit} holds two files of {name}: {entries[name]["file"]} and '
                             f'{filename}; keep one')
        entries[name] = dict(name=name, version=version, kind=kind, file=filename,
                             bytes=os.path.getsize(path), sha256=sha256_of(path))
    return [entries[name] for name in sorted(entries)]


def compare_with_pins(entries: list[dict], wheel_pins: dict[str, str],
                      sdist_pins: dict[str, str]) -> list[str]:
    """Differences between the kit's files and the pinned lists, one sentence each.

    Args:
        entries: Manifest entries (see :func:`scan`).
        wheel_pins: Normalised name → version of the packages wanted as wheels.
        sdist_pins: The same for source distributions.

    Returns:
        Problems (empty when the kit holds exactly the pins).
    """
    wanted = {**{n: (v, 'wheel') for n, v in wheel_pins.items()},
              **{n: (v, 'sdist') for n, v in sdist_pins.items()}}
    found = {e['name']: (e['version'], e['kind']) for e in entries}
    problems = [f'missing: {name}=={version} ({kind})'
                for name, (version, kind) in sorted(wanted.items()) if name not in found]
    for name, (version, kind) in sorted(found.items()):
        if name not in wanted:
            problems.append(f'not pinned: {name}=={version} ({kind})')
        elif wanted[name] != (version, kind):
            problems.append(f'{name}: pinned {wanted[name][0]} ({wanted[name][1]}), '
                            f'found {version} ({kind})')
    return problems


def write_manifest(kit: str, created: Optional[str] = None) -> dict:
    """Scan ``kit`` and write its ``MANIFEST.json``.

    Args:
        kit: The kit folder.
        created: ISO timestamp to record (default: now, UTC).

    Returns:
        The manifest written.
    """
    entries = scan(kit)
    manifest = dict(format=FORMAT,
                    created=created or datetime.datetime.now(datetime.timezone.utc)
                    .isoformat(timespec='seconds'),
                    total_bytes=sum(e['bytes'] for e in entries), packages=entries)
    with open(os.path.join(kit, MANIFEST), 'w') as f:
        json.dump(manifest, f, indent=1)
        f.write('\n')
    return manifest


def read_manifest(kit: str) -> dict:
    with open(os.path.join(kit, MANIFEST)) as f:
        manifest = json.load(f)
    if manifest.get('format') != FORMAT:
        raise ValueError(f'{kit}/{MANIFEST}: format {manifest.get("format")}, expected {FORMAT}')
    return manifest


def check_files(kit: str, manifest: dict) -> list[str]:
    """Problems of the kit's files against its manifest (missing, wrong size or sha256)."""
    problems = []
    for entry in manifest['packages']:
        path = os.path.join(kit, entry['file'])
        if not os.path.isfile(path):
            problems.append(f'missing file {entry["file"]}')
        elif os.path.getsize(path) != entry['bytes'] or sha256_of(path) != entry['sha256']:
            problems.append(f'{entry["file"]} differs from the manifest (size or sha256)')
    return problems


def main(argv: Optional[list] = None) -> int:
    parser = argparse.ArgumentParser(description='Write or check the GPU kit manifest')
    commands = parser.add_subparsers(dest='command', required=True)
    write = commands.add_parser('write', help='write KIT/MANIFEST.json')
    write.add_argument('kit')
    write.add_argument('--expect', nargs=2, metavar=('WHEEL_PINS', 'SDIST_PINS'),
                       help='fail unless the kit holds exactly these pins')
    write.add_argument('--max-mib', type=float, default=None,
                       help='fail when the kit is larger than this')
    check = commands.add_parser('check', help='check the files against MANIFEST.json')
    check.add_argument('kit')
    pins = commands.add_parser('pins', help='print name==version of the manifest')
    pins.add_argument('kit')
    pins.add_argument('--kind', choices=('wheel', 'sdist'))
    args = parser.parse_args(argv)

    if args.command == 'write':
        manifest = write_manifest(args.kit)
        problems = []
        if args.expect:
            problems = compare_with_pins(manifest['packages'], read_pins(args.expect[0]),
                                         read_pins(args.expect[1]))
        size_mib = manifest['total_bytes'] / 2 ** 20
        if args.max_mib is not None and size_mib > args.max_mib:
            problems.append(f'the kit is {size_mib:.1f} MiB, more than {args.max_mib} MiB')
        for entry in manifest['packages']:
            print(f"{entry['name']}=={entry['version']}  {entry['kind']}  "
                  f"{entry['bytes'] / 2 ** 20:.2f} MiB  {entry['file']}")
        print(f"{len(manifest['packages'])} files, {size_mib:.1f} MiB")
    else:
        manifest = read_manifest(args.kit)
        if args.command == 'pins':
            for entry in manifest['packages']:
                if args.kind in (None, entry['kind']):
                    print(f"{entry['name']}=={entry['version']}")
            return 0
        problems = check_files(args.kit, manifest)
    for problem in problems:
        print(f'kit: {problem}', file=sys.stderr)
    return 1 if problems else 0


if __name__ == '__main__':
    sys.exit(main())
