"""The stand-in CuPy's accelerator switches: recorded, nothing else."""

accelerators = {"routine": [], "reduction": []}


def set_routine_accelerators(names):
    accelerators["routine"] = list(names)


def set_reduction_accelerators(names):
    accelerators["reduction"] = list(names)
