#!/usr/bin/env bash
# Download the GPU kit: the wheels a bare CUDA machine (system Python 3.12 with PyTorch, no
# package registry) lacks to run tools/gpu/run_checks.sh, plus mmcv 2.1.0's source.
#
# Usage (on a machine that reaches the package registry, from the repository root):
#   bash tools/gpu/prepare_wheels.sh [--dest DIR] [--python PY] [--max-mib N]
#   bash tools/gpu/prepare_wheels.sh --list      # print the pinned set; downloads nothing
#
#   --dest DIR    the kit folder (default .gpu_kit, ignored by git); its built/ (mmcv wheels
#                 built on a GPU machine) is kept, every other wheel / sdist is replaced
#   --python PY   the interpreter whose pip downloads (default python3)
#   --max-mib N   fail when the kit is larger (default 48: the device call carries 64 MiB)
#
# The pins are tools/gpu/kit_wheels.txt (CPython 3.12 manylinux x86-64 or pure-Python wheels)
# and tools/gpu/kit_sdists.txt; every package is downloaded with --no-deps, so the lists name
# each one an import needs. The kit's MANIFEST.json records name, version, file, size, sha256.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
dest=.gpu_kit
python=python3
max_mib=48
list_only=0
while [[ $# -gt 0 ]]; do
  case "$1" in
    --dest) dest="$2"; shift 2 ;;
    --python) python="$2"; shift 2 ;;
    --max-mib) max_mib="$2"; shift 2 ;;
    --list|--dry-run) list_only=1; shift ;;
    -h|--help) sed -n '2,17p' "${BASH_SOURCE[0]}"; exit 0 ;;
    *) echo "prepare_wheels.sh: unknown option $1" >&2; exit 2 ;;
  esac
done

# The pins without comments or blank lines.
pins() { sed -e 's/#.*//' -e 's/[[:space:]]//g' -e '/^$/d' "$1"; }
wheel_pins=($(pins "$here/kit_wheels.txt"))
sdist_pins=($(pins "$here/kit_sdists.txt"))

if [[ $list_only == 1 ]]; then
  printf 'wheel %s\n' "${wheel_pins[@]}"
  printf 'sdist %s\n' "${sdist_pins[@]}"
  exit 0
fi

mkdir -p "$dest"
incoming="$(mktemp -d "$dest/.incoming.XXXXXX")"
trap 'rm -rf "$incoming"' EXIT
pip_download=("$python" -m pip download --disable-pip-version-check --no-input --no-deps
              -d "$incoming")

# Wheels for the GPU machine's interpreter, whatever this machine runs. pip matches each
# manylinux tag exactly, so every tag a needed wheel may carry is listed.
"${pip_download[@]}" --only-binary=:all: --python-version 3.12 --implementation cp \
  --platform manylinux_2_28_x86_64 --platform manylinux_2_27_x86_64 \
  --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 \
  --platform manylinux1_x86_64 "${wheel_pins[@]}"

# pip prepares a source distribution's metadata even to download it, in an isolated build
# environment with the newest setuptools; mmcv's setup.py imports pkg_resources, gone from
# setuptools 81, so that environment is pinned below 81 (PIP_CONSTRAINT reaches it).
constraint="$incoming/build-constraints.txt"
echo 'setuptools<81' >"$constraint"
PIP_CONSTRAINT="$constraint" "${pip_download[@]}" --no-binary=:all: "${sdist_pins[@]}"
rm -f "$constraint"

# Replace the previous downloads only now that every one succeeded.
find "$dest" -maxdepth 1 -type f \( -name '*.whl' -o -name '*.tar.gz' -o -name '*.zip' \) \
  -delete
mv "$incoming"/* "$dest"/
"$python" "$here/kit_manifest.py" write "$dest" --max-mib "$max_mib" \
  --expect "$here/kit_wheels.txt" "$here/kit_sdists.txt"
echo "kit ready in $dest: carry it to the GPU machine and run tools/gpu/run_checks.sh there"
