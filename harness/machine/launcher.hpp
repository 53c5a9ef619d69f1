#pragma once

// Which cluster launcher started this process, read from the environment it sets for each task
// (docs/fleet.md): Slurm's srun, Open MPI's mpirun, a PMIx launcher, MPICH's Hydra. flopbench
// links no MPI library: the launcher starts it, and these variables say which task it is.

#include <functional>
#include <string>

#include "harness/core/results.hpp"

namespace flopbench {

// Looks up an environment variable: nullptr when it is unset.
using EnvLookup = std::function<const char*(const char* name)>;

// The launch of this process as `env` describes it; launcher "" when no launcher's variables are
// set. Open MPI's variables win over Slurm's (mpirun inside a Slurm allocation inherits the
// batch step's SLURM_PROCID), Slurm's over the generic PMIx and PMI ones (srun sets those too).
// Throws InputError naming the variable when one holds no valid number.
Launch detect_launch(const EnvLookup& env);
// This process's launch, from its environment.
Launch this_launch();

}  // namespace flopbench
