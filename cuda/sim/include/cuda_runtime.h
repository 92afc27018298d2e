/* cuda/sim/include/cuda_runtime.h: the simulation's cuda_runtime.h. The real one adds C++
 * templates and launch syntax for nvcc; host C needs only the runtime API.
 * Thread-safety: see cuda_runtime_api.h. */
#pragma once
#include <cuda_runtime_api.h>
