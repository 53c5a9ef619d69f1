"""The stand-in CuPy's accelerator switches. The cross-check must ask for CUB's and nothing
else: any other choice raises, which the test sees as a CUB figure missing."""


def _only_cub(names):
    if list(names) != ["cub"]:
        raise ValueError("fake cupy: accelerators {} where the cross-check needs ['cub']".format(
            list(names)))


def set_routine_accelerators(names):
    _only_cub(names)


def set_reduction_accelerators(names):
    _only_cub(names)
