"""A stand-in for PyTorch with the API scripts/gpu_validate.py uses, for machines without a GPU
(tests/gpu_validate_test.sh). Nothing is computed or allocated; every timed run takes 1 ms.

FAKE_TORCH_RAISE=NAME makes the function NAME raise, as a PyTorch without it would.
FAKE_TORCH_VERSION sets torch.__version__ (2.11.0+fake unless given).
FAKE_TORCH_LOG=FILE receives, at exit, how many holds (cuda._sleep) and event records there were.
"""

import atexit
import os
import types

__version__ = os.environ.get("FAKE_TORCH_VERSION", "2.11.0+fake")
version = types.SimpleNamespace(cuda="13.0")
float32, float64, bfloat16, float8_e4m3fn, int32 = (
    "float32", "float64", "bfloat16", "float8_e4m3fn", "int32")
_counts = {"holds": 0, "records": 0}


def _maybe_raise(name):
    if os.environ.get("FAKE_TORCH_RAISE") == name:
        raise RuntimeError("fake torch: {} failed".format(name))


@atexit.register
def _write_log():
    if os.environ.get("FAKE_TORCH_LOG"):
        with open(os.environ["FAKE_TORCH_LOG"], "w") as f:
            f.write("holds {holds} records {records}\n".format(**_counts))


class Tensor:
    def __init__(self, dtype=float32):
        self.dtype = dtype

    def sum(self):
        return Tensor(self.dtype)

    def addmm_(self, a, b, beta=1.0, alpha=1.0):
        return self

    def to(self, dtype):
        return Tensor(dtype)

    def t(self):
        return self

    def copy_(self, src, non_blocking=False):
        return self


def device(kind, index=0):
    return (kind, index)


def _tensor(*size, dtype=float32, device=None, pin_memory=False):
    return Tensor(dtype)


zeros = rand = randn = ones = _tensor


def empty_like(x):
    return Tensor(x.dtype)


def matmul(a, b):
    _maybe_raise("matmul")
    return Tensor(a.dtype)


def addmm(c, a, b, out_dtype=None, *, beta=1, alpha=1, out=None):
    _maybe_raise("addmm")
    return out or Tensor(out_dtype or c.dtype)


def _scaled_mm(a, b, scale_a, scale_b, out_dtype=None):
    _maybe_raise("_scaled_mm")
    return Tensor(out_dtype)


def sum(x):  # noqa: A001 - PyTorch's name
    return Tensor(x.dtype)


def dot(x, y):
    return Tensor(x.dtype)


def add(x, y, alpha=1, out=None):
    return out


_matmul_precision = ["highest"]


def set_float32_matmul_precision(p):
    _matmul_precision[0] = p


def get_float32_matmul_precision():
    return _matmul_precision[0]


backends = types.SimpleNamespace(cuda=types.SimpleNamespace(matmul=types.SimpleNamespace(
    allow_tf32=True, allow_bf16_reduced_precision_reduction=True)))


class _Event:
    def __init__(self, enable_timing=False):
        pass

    def record(self):
        _counts["records"] += 1

    def synchronize(self):
        pass

    def elapsed_time(self, end):
        return 1.0


def _sleep(cycles):
    _counts["holds"] += 1


cuda = types.SimpleNamespace(
    is_available=lambda: True, set_device=lambda d: None, empty_cache=lambda: None,
    Event=_Event, _sleep=_sleep,
    get_device_properties=lambda d: types.SimpleNamespace(
        name="Fake H200", major=9, minor=0, L2_cache_size=60 << 20))
