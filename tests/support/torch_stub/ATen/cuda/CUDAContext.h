/* ATen/cuda/CUDAContext.h -- test stub (tests/support/torch_stub/README.md): not torch. */
#pragma once
#include <c10/cuda/CUDAStream.h>
#include <cuda_runtime_api.h>
#include <stdexcept>
namespace at
{
namespace cuda
{
using c10::cuda::getCurrentCUDAStream;
}
} // namespace at
#define C10_CUDA_KERNEL_LAUNCH_CHECK()                                                             \
    do {                                                                                           \
        if (cudaGetLastError() != cudaSuccess) throw std::runtime_error("launch");                 \
    } while (0)
