"""Which tests would run on CUDA under ``device="auto"``? Ask without a GPU.

Put this folder first on ``PYTHONPATH`` and run the suite on a CPU-only machine:

    PYTHONPATH=$PWD/benchmarks/auto_device_audit python -m pytest -q -rf

Python imports ``sitecustomize`` at start-up (subprocesses inherit the
variable, so CLI tests are covered too; the path must be absolute, as they run
in other folders). Once torch is imported, this makes
``torch.cuda.is_available()`` answer ``True``: every path that picks CUDA for
``"auto"`` then fails with "Torch not compiled with CUDA enabled". The failed
tests are the ones that run on the GPU of a CUDA machine; those whose exact
expectations are CPU-specific get ``device="cpu"`` (issue 17). This file
imports nothing itself; it patches torch when something else imports it.
"""

import builtins
import sys

_real_import = builtins.__import__
_patched = False


def _import(name, *args, **kwargs):  # type: ignore[no-untyped-def]
    global _patched
    module = _real_import(name, *args, **kwargs)
    torch = sys.modules.get("torch")
    if not _patched and torch is not None and hasattr(torch, "cuda"):
        torch.cuda.is_available = lambda: True
        _patched = True
    return module


builtins.__import__ = _import
