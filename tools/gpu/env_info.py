"""Section ``env``: the machine, the accelerator and the versions the other numbers ran on."""
import importlib
import os
import subprocess
import time

from common import Context, error_text

PACKAGES = ('torch', 'torchvision', 'numpy', 'mmengine', 'mmcv', 'mmseg', 'mmpretrain',
            'transformers', 'pywt', 'cv2')


def _version(module: str) -> str:
    try:
        return getattr(importlib.import_module(module), '__version__', '?')
    except Exception as error:  # noqa: BLE001 (a broken package is a finding, not a crash)
        return f'import failed: {error_text(error)}'


def _nvidia_smi() -> str:
    try:
        out = subprocess.run(['nvidia-smi', '--query-gpu=name,memory.total,driver_version,'
                              'clocks.max.sm', '--format=csv,noheader'], capture_output=True,
                             text=True, timeout=20)
        return out.stdout.strip() or out.stderr.strip()
    except (OSError, subprocess.TimeoutExpired) as error:
        return f'not available: {error_text(error)}'


def _nccl_version() -> str:
    version = torch_nccl_version()
    return '.'.join(map(str, version)) if isinstance(version, tuple) else str(version)


def torch_nccl_version():
    """NCCL's version as torch reports it (a tuple in recent releases, an int before)."""
    import torch
    try:
        return torch.cuda.nccl.version()
    except Exception as error:  # noqa: BLE001 (a torch built without NCCL)
        return f'unknown: {error_text(error)}'


def run(ctx: Context) -> None:
    """Record versions, the device and whether the project imports (``mmcv.ops`` included).

    Args:
        ctx: The section's context; fills ``ctx.result``.
    """
    import torch
    result = ctx.result
    result['cpu_count'] = os.cpu_count()
    result['affinity_cpus'] = len(os.sched_getaffinity(0))
    result['versions'] = {name: _version(name) for name in PACKAGES}
    result['torch_cuda'] = torch.version.cuda
    result['cuda_available'] = torch.cuda.is_available()
    if ctx.device == 'cuda':
        if not torch.cuda.is_available():
            raise RuntimeError('CUDA is not available to torch (run with --cpu on a CPU)')
        props = torch.cuda.get_device_properties(0)
        result['gpu'] = dict(name=props.name, memory_gib=round(props.total_memory / 2 ** 30, 1),
                             capability=f'{props.major}.{props.minor}',
                             multiprocessors=props.multi_processor_count,
                             bf16=torch.cuda.is_bf16_supported(),
                             cudnn=torch.backends.cudnn.version(),
                             nccl=_nccl_version(),
                             tf32_matmul=torch.backends.cuda.matmul.allow_tf32,
                             tf32_cudnn=torch.backends.cudnn.allow_tf32)
        result['nvidia_smi'] = _nvidia_smi()
    result.save()
    start = time.perf_counter()
    import mmcv.ops  # noqa: F401  (mmseg imports it; a build without ops fails here)

    import fdkd_mm  # noqa: F401
    result['import_fdkd_mm_s'] = round(time.perf_counter() - start, 2)
    result['mmcv_ops'] = True
