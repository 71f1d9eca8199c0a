// binding_tvm_decode.cc -- hand-written TVM-FFI binding for the exported GDN decode Solution, for
// bench/fib/binding_floor.py only: it measures whether FlashInfer-Bench's TVM-FFI path (its
// default builder) costs less host time per call than the torch/pybind11 one before `evo export`
// is taught to write it. Same checks as the generated binding.cpp, same evo_plan_launch.
#include <tvm/ffi/container/tensor.h>
#include <tvm/ffi/error.h>
#include <tvm/ffi/extra/c_env_api.h>
#include <tvm/ffi/function.h>
#include <tvm/ffi/optional.h>

using tvm::ffi::Optional;
using tvm::ffi::TensorView;

// TVM-FFI compiles .cc files without the CUDA include path: the few runtime calls this needs are
// declared here (C linkage, as cuda_runtime_api.h declares them; enums passed as int).
extern "C" int evo_plan_launch(int dev, const long long *axes, void *const *tensors,
                               const double *scalars, void *const *workspaces, void *stream,
                               int *failed);
extern "C" int cudaGetDevice(int *device);
extern "C" int cudaSetDevice(int device);
extern "C" const char *cudaGetErrorString(int error);

static inline void evo_check(const TensorView &x, const char *name, uint8_t code, uint8_t bits,
                             int ndim, int dev)
{
    const DLDevice d = x.device();
    if (d.device_type != kDLCUDA || d.device_id != dev)
        TVM_FFI_THROW(ValueError) << "run: " << name << " must be a CUDA tensor on the device of q";
    const DLDataType t = x.dtype();
    if (t.code != code || t.bits != bits || t.lanes != 1)
        TVM_FFI_THROW(TypeError) << "run: " << name << " has the wrong dtype";
    if (x.ndim() != ndim)
        TVM_FFI_THROW(ValueError) << "run: " << name << " must have " << ndim << " dimensions";
    if (!x.IsContiguous()) TVM_FFI_THROW(ValueError) << "run: " << name << " must be contiguous";
}

static inline void evo_dim(const TensorView &x, const char *name, int k, long long want,
                           const char *axis)
{
    if (x.size(k) != want)
        TVM_FFI_THROW(ValueError) << "run: " << name << ".shape[" << k << "] is " << x.size(k)
                                  << ", but " << axis << " is " << want;
}

static void run(TensorView q, TensorView k, TensorView v, Optional<TensorView> state,
                TensorView A_log, TensorView a, TensorView dt_bias, TensorView b, double scale,
                TensorView output, TensorView new_state)
{
    const int dev = q.device().device_type == kDLCUDA ? q.device().device_id : -1;
    evo_check(q, "q", kDLBfloat, 16, 4, dev);
    evo_check(k, "k", kDLBfloat, 16, 4, dev);
    evo_check(v, "v", kDLBfloat, 16, 4, dev);
    if (state.has_value()) evo_check(*state, "state", kDLFloat, 32, 4, dev);
    evo_check(A_log, "A_log", kDLFloat, 32, 1, dev);
    evo_check(a, "a", kDLBfloat, 16, 3, dev);
    evo_check(dt_bias, "dt_bias", kDLFloat, 32, 1, dev);
    evo_check(b, "b", kDLBfloat, 16, 3, dev);
    evo_check(output, "output", kDLBfloat, 16, 4, dev);
    evo_check(new_state, "new_state", kDLFloat, 32, 4, dev);
    const long long axes[6] = {q.size(0), 1, 4, 4, 8, 128};
    evo_dim(q, "q", 1, axes[1], "seq_len");
    evo_dim(q, "q", 2, axes[2], "num_q_heads");
    evo_dim(q, "q", 3, axes[5], "head_size");
    evo_dim(k, "k", 0, axes[0], "batch_size");
    evo_dim(k, "k", 1, axes[1], "seq_len");
    evo_dim(k, "k", 2, axes[3], "num_k_heads");
    evo_dim(k, "k", 3, axes[5], "head_size");
    evo_dim(v, "v", 0, axes[0], "batch_size");
    evo_dim(v, "v", 1, axes[1], "seq_len");
    evo_dim(v, "v", 2, axes[4], "num_v_heads");
    evo_dim(v, "v", 3, axes[5], "head_size");
    if (state.has_value()) {
        evo_dim(*state, "state", 0, axes[0], "batch_size");
        evo_dim(*state, "state", 1, axes[4], "num_v_heads");
        evo_dim(*state, "state", 2, axes[5], "head_size");
        evo_dim(*state, "state", 3, axes[5], "head_size");
    }
    evo_dim(A_log, "A_log", 0, axes[4], "num_v_heads");
    evo_dim(a, "a", 0, axes[0], "batch_size");
    evo_dim(a, "a", 1, axes[1], "seq_len");
    evo_dim(a, "a", 2, axes[4], "num_v_heads");
    evo_dim(dt_bias, "dt_bias", 0, axes[4], "num_v_heads");
    evo_dim(b, "b", 0, axes[0], "batch_size");
    evo_dim(b, "b", 1, axes[1], "seq_len");
    evo_dim(b, "b", 2, axes[4], "num_v_heads");
    evo_dim(output, "output", 0, axes[0], "batch_size");
    evo_dim(output, "output", 1, axes[1], "seq_len");
    evo_dim(output, "output", 2, axes[4], "num_v_heads");
    evo_dim(output, "output", 3, axes[5], "head_size");
    evo_dim(new_state, "new_state", 0, axes[0], "batch_size");
    evo_dim(new_state, "new_state", 1, axes[4], "num_v_heads");
    evo_dim(new_state, "new_state", 2, axes[5], "head_size");
    evo_dim(new_state, "new_state", 3, axes[5], "head_size");
    void *const tensors[11] = {q.data_ptr(), k.data_ptr(), v.data_ptr(),
                               state.has_value() ? (*state).data_ptr() : nullptr,
                               A_log.data_ptr(), a.data_ptr(), dt_bias.data_ptr(), b.data_ptr(),
                               nullptr, output.data_ptr(), new_state.data_ptr()};
    const double scalars[11] = {0, 0, 0, 0, 0, 0, 0, 0, scale, 0, 0};
    int cur = -1;
    if (cudaGetDevice(&cur) != 0) cur = -1;
    if (cur != dev) cudaSetDevice(dev);
    void *const stream = TVMFFIEnvGetStream(kDLCUDA, dev);
    int failed = 0;
    const int e = evo_plan_launch(dev, axes, tensors, scalars, nullptr, stream, &failed);
    if (cur != dev && cur >= 0) cudaSetDevice(cur);
    if (e != 0)
        TVM_FFI_THROW(RuntimeError) << "run: kernel gdn_decode_tuned: "
                                    << cudaGetErrorString(e);
}

#ifdef EVO_NOOP
static void run_noop(TensorView, TensorView, TensorView, Optional<TensorView>, TensorView,
                     TensorView, TensorView, TensorView, double, TensorView, TensorView)
{
}
TVM_FFI_DLL_EXPORT_TYPED_FUNC(run, run_noop);
#else
TVM_FFI_DLL_EXPORT_TYPED_FUNC(run, run);
#endif
