#!/usr/bin/env bash
# Install from the GPU kit (no registry) and measure the distiller: one report in $OUT.
#
# Usage, on the GPU machine from the repository root, the kit carried:
#   bash tools/gpu/run_checks.sh                       # the full checks, report in $OUT
#   bash tools/gpu/run_checks.sh --cpu --quick --python .venv/bin/python --out /tmp/r
#                                                      # the same code path on a CPU (CI)
# Options:
#   --kit DIR       the kit from tools/gpu/prepare_wheels.sh (default .gpu_kit)
#   --out DIR       report.json, report.md, run_checks.log (default $OUT, else
#                   work_dirs/gpu_checks)
#   --budget S      seconds for everything, install included (default 480)
#   --python PY     the interpreter that has torch (default python3)
#   --venv DIR      the venv made on top of it (default .gpu_venv)
#   --cpu           run on the CPU (CUDA hidden); --quick: tiny sizes, few rounds
#   --sections ...  only these sections of tools/gpu/checks.py (default all)
#
# Install: a venv with --system-site-packages that also sees PY's own site-packages (PY may
# itself be a venv, whose packages --system-site-packages alone would not show), then
# `pip install --no-index --no-deps` of the kit's pins (already-satisfied pins install
# nothing), then mmcv 2.1.0 with its CPU ops: nothing when `import mmcv.ops` works, else the
# wheel cached in KIT/built/ for this torch, else built from the kit's sdist with every core
# (GPU hidden: CUDA ops are not needed by our networks and take far longer to build) and
# cached there; on a GPU run a copy goes to OUT so the next session can carry it back.
set -uo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$repo"
kit=.gpu_kit
out="${OUT:-work_dirs/gpu_checks}"
budget=480
python=python3
venv=.gpu_venv
cpu=0
quick=0
sections=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --kit) kit="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    --budget) budget="$2"; shift 2 ;;
    --python) python="$2"; shift 2 ;;
    --venv) venv="$2"; shift 2 ;;
    --cpu) cpu=1; shift ;;
    --quick) quick=1; shift ;;
    --sections) shift; while [[ $# -gt 0 && "$1" != --* ]]; do sections+=("$1"); shift; done ;;
    -h|--help) sed -n '2,25p' "${BASH_SOURCE[0]}"; exit 0 ;;
    *) echo "run_checks.sh: unknown option $1" >&2; exit 2 ;;
  esac
done

start=$SECONDS
mkdir -p "$out"
exec > >(tee -a "$out/run_checks.log") 2>&1
work="$(mktemp -d "${TMPDIR:-/tmp}/fdkd_gpu_checks.XXXXXX")"
trap 'rm -rf "$work"' EXIT  # synthetic data and work dirs; the report is in $out
info="$work/install.txt"
note() { printf '%s=%s\n' "$1" "$2" >>"$info"; echo "[run_checks] $1: $2"; }
vpy="$venv/bin/python"
[[ $cpu == 1 ]] && export CUDA_VISIBLE_DEVICES=

build_mmcv() {
  # Prints the path of an mmcv wheel for this torch: cached in the kit, else built now.
  local torch_version cache wheel build_dir
  torch_version="$("$vpy" -c 'import torch; print(torch.__version__)')" || return 1
  cache="$kit/built/torch-$torch_version"
  wheel="$(ls "$cache"/mmcv-2.1.0-*.whl 2>/dev/null | head -n1)"
  if [[ -n "$wheel" ]]; then
    note mmcv "cached wheel $(basename "$wheel")" >&2
    echo "$wheel"
    return 0
  fi
  mkdir -p "$cache" || return 1
  build_dir="$(mktemp -d "$work/mmcv.XXXXXX")"
  local t0=$SECONDS
  echo "[run_checks] building mmcv 2.1.0 (CPU ops) against torch $torch_version" >&2
  # No debug information (-g0) and a stripped library (-s): 1.5 MB instead of 32 (measured
  # on the CPU build), so it can come back from a device run and travel in the kit.
  CUDA_VISIBLE_DEVICES= MMCV_WITH_OPS=1 FORCE_CUDA=0 MAX_JOBS="$(nproc)" \
    CFLAGS="${CFLAGS:+$CFLAGS }-g0" LDFLAGS="${LDFLAGS:+$LDFLAGS }-s" \
    "$vpy" -m pip --isolated --disable-pip-version-check wheel -q --no-deps \
    --no-build-isolation --no-index -w "$build_dir" "$kit"/mmcv-2.1.0.tar.gz >&2 || return 1
  wheel="$(ls "$build_dir"/mmcv-2.1.0-*.whl)" || return 1
  mv "$wheel" "$cache/" || return 1
  wheel="$cache/$(basename "$wheel")"
  note mmcv "built $(basename "$wheel") in $((SECONDS - t0)) s" >&2
  # Files back from a device run are at most 16 MiB each.
  if [[ $cpu == 0 && $(stat -c %s "$wheel") -lt 16000000 ]]; then
    cp "$wheel" "$out/" && note mmcv_copy "$out/$(basename "$wheel") (put it in $cache)" >&2
  fi
  echo "$wheel"
}

install() {
  "$python" tools/gpu/kit_manifest.py check "$kit" || { note failed "kit check"; return 1; }
  note kit "$kit, $(du -sh --exclude=built "$kit" | cut -f1)"
  if [[ ! -x "$vpy" ]]; then
    "$python" -m venv --without-pip --system-site-packages "$venv" ||
      { note failed "venv"; return 1; }
  fi
  # PY's own site-packages (torch and pip among them), after the venv's: addsitedir also
  # runs the .pth files there.
  local site
  site="$("$vpy" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')" || return 1
  "$python" -c 'import site; print("\n".join(
      f"import site; site.addsitedir({p!r})" for p in site.getsitepackages()))' \
    >"$site/_fdkd_base_site.pth" || { note failed "base site-packages"; return 1; }
  local t0=$SECONDS pins
  pins=($("$python" tools/gpu/kit_manifest.py pins "$kit" --kind wheel)) || return 1
  "$vpy" -m pip --isolated --disable-pip-version-check install --no-index --no-deps \
    --find-links "$kit" "${pins[@]}" | tee "$work/pip.log" || { note failed "pip"; return 1; }
  local installed
  installed="$(sed -n 's/^Successfully installed //p' "$work/pip.log")"
  note pip "${#pins[@]} pins, $(grep -c '^Requirement already satisfied' "$work/pip.log") \
already satisfied, installed: ${installed:-none}, $((SECONDS - t0)) s"
  if "$vpy" -c 'import mmcv.ops' 2>/dev/null; then
    note mmcv "already importable with ops"
  else
    local wheel
    wheel="$(build_mmcv)" || { note failed "mmcv build"; return 1; }
    "$vpy" -m pip --isolated --disable-pip-version-check install -q --no-index --no-deps \
      "$wheel" || { note failed "mmcv install"; return 1; }
    "$vpy" -c 'import mmcv.ops' || { note failed "import mmcv.ops"; return 1; }
  fi
}

if install; then
  note status ok
else
  note status failed
  # The checks still run (each section records its own failure) and write the report.
  [[ -x "$vpy" ]] || vpy="$python"
fi
note install_s $((SECONDS - start))
left=$((budget - (SECONDS - start) - 5))
flags=()
[[ $cpu == 1 ]] && flags+=(--cpu)
[[ $quick == 1 ]] && flags+=(--quick)
[[ ${#sections[@]} -gt 0 ]] && flags+=(--sections "${sections[@]}")
PYTHONPATH="$repo${PYTHONPATH:+:$PYTHONPATH}" "$vpy" tools/gpu/checks.py --out "$out" \
  --budget "$left" --install "$info" --workdir "$work/checks" "${flags[@]}"
status=$?
echo "[run_checks] done in $((SECONDS - start)) s (exit $status); report in $out"
exit $status
