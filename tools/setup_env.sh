#!/usr/bin/env bash
# Create (or refresh) the project's virtual environment with the verified OpenMMLab stack.
#
# Usage: bash tools/setup_env.sh          # idempotent: seconds when nothing changed
#
# Environment:
#   FDKD_VENV         where the venv lives (default: <repo>/.venv)
#   FDKD_WHEEL_CACHE  where the locally built mmcv wheel is kept between runs
#                     (default: ~/.cache/fdkd_mm/wheels); it lives outside the repo so a fresh
#                     clone reuses it, and the ~11 min source build happens once per machine.
#
# Why it looks the way it does (measured on these machines):
#   * pip's machine config prefers a local CPU-only torch wheel, but the registry has no CPU
#     torchvision; so torch/torchvision are installed with --isolated from the registry.
#   * mmseg 1.2.2 imports mmcv.ops, so full mmcv 2.1.0 (with ops) is needed; the registry only has
#     its sdist, which we build once into a wheel against the installed torch.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="${FDKD_VENV:-$repo/.venv}"
cache="${FDKD_WHEEL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/fdkd_mm/wheels}"
python="${PYTHON:-python3.11}"
pip_flags=(--isolated --disable-pip-version-check --no-input)

log() { printf '[setup_env] %s\n' "$*"; }

stamp_of_inputs() {
  cat "$repo"/requirements/*.txt "$repo/setup.py" "$repo/tools/setup_env.sh" | sha256sum | cut -d' ' -f1
}

stamp_file="$venv/.fdkd_stamp"
if [[ -f "$stamp_file" && "$(cat "$stamp_file")" == "$(stamp_of_inputs)" ]] &&
   "$venv/bin/python" -c 'import mmcv.ops, mmseg, mmpretrain, fdkd_mm' >/dev/null 2>&1; then
  log "environment at $venv is up to date"
  exit 0
fi

if [[ ! -x "$venv/bin/python" ]]; then
  log "creating virtual environment at $venv"
  "$python" -m venv "$venv"
fi
vpip() { "$venv/bin/python" -m pip "${pip_flags[@]}" "$@"; }

log "installing torch + torchvision (registry build) and build tools"
vpip install -q -r "$repo/requirements/torch.txt" -r "$repo/requirements/build.txt"

torch_version="$("$venv/bin/python" -c 'import torch; print(torch.__version__)')"
mmcv_dir="$cache/torch-$torch_version"
mmcv_wheel="$(ls "$mmcv_dir"/mmcv-2.1.0-*.whl 2>/dev/null | head -n1 || true)"
if [[ -z "$mmcv_wheel" ]]; then
  log "building mmcv 2.1.0 with ops against torch $torch_version (one time, ~11 min on 2 cores)"
  mkdir -p "$mmcv_dir"
  build_dir="$(mktemp -d "$mmcv_dir/.build.XXXXXX")"
  # FORCE_CUDA=0: CPU ops only; DeepLabV3+ and ResNet use no mmcv CUDA op.
  MMCV_WITH_OPS=1 FORCE_CUDA=0 MAX_JOBS="${MAX_JOBS:-$(nproc)}" \
    "$venv/bin/python" -m pip "${pip_flags[@]}" wheel -q --no-deps --no-build-isolation \
    -w "$build_dir" mmcv==2.1.0
  built="$(ls "$build_dir"/mmcv-2.1.0-*.whl)"
  # Rename into place only once the wheel is complete, so an interrupted build is never reused.
  mv "$built" "$mmcv_dir/"
  rm -rf "$build_dir"
  mmcv_wheel="$mmcv_dir/$(basename "$built")"
fi

log "installing runtime + test requirements (mmcv from $mmcv_wheel)"
vpip install -q "$mmcv_wheel" -r "$repo/requirements/runtime.txt" -r "$repo/requirements/tests.txt"
vpip install -q --no-deps --no-build-isolation -e "$repo"

"$venv/bin/python" -c 'import mmcv.ops, mmseg, mmpretrain, fdkd_mm; print("imports ok")'
stamp_of_inputs >"$stamp_file"
log "done: activate with 'source $venv/bin/activate'"
