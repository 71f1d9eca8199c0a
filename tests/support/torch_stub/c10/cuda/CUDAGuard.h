/* c10/cuda/CUDAGuard.h -- test stub (tests/support/torch_stub/README.md): not torch. */
#pragma once
#include <torch/extension.h>
namespace c10
{
namespace cuda
{
struct CUDAGuard {
    explicit CUDAGuard(DeviceIndex) {}
};
} // namespace cuda
} // namespace c10
