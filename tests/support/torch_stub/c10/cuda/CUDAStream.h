/* c10/cuda/CUDAStream.h -- test stub (tests/support/torch_stub/README.md): not torch. */
#pragma once
#include <cuda_runtime_api.h>
#include <torch/extension.h>
namespace c10
{
namespace cuda
{
struct CUDAStream {
    cudaStream_t stream() const { return nullptr; }
    operator cudaStream_t() const { return nullptr; }
};
inline CUDAStream getCurrentCUDAStream(DeviceIndex = -1)
{
    return CUDAStream();
}
} // namespace cuda
} // namespace c10
