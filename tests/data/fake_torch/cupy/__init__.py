"""A stand-in for CuPy with the API scripts/gpu_validate.py uses (CUB's sum), beside the stand-in
PyTorch (tests/gpu_validate_test.sh). Nothing is computed.

FAKE_CUPY=missing makes the import fail, as on a machine without CuPy; FAKE_CUPY=broken makes
asarray raise, as a CuPy that does not match the driver would.
"""

import os

if os.environ.get("FAKE_CUPY") == "missing":
    raise ImportError("No module named 'cupy' (fake)")

__version__ = "14.2.0+fake"


class _Array:
    def sum(self):
        return self


def asarray(x):
    if os.environ.get("FAKE_CUPY") == "broken":
        raise RuntimeError("fake cupy: CUDA driver version is insufficient")
    return _Array()
