/* export_binding.c -- the host binding of an exported Solution (see export.h), in one of the
 * two forms FlashInfer-Bench builds: TVM-FFI (binding.cc, its default builder) or torch
 * (binding.cpp, pybind11). Both are generated from the definition alone, mechanically: every
 * axis is read off the first required tensor that carries it (const axes are the definition's
 * values), every tensor is checked (device, dtype, rank, contiguity, each dim against its
 * axis), and the call goes to kernel.cu's evo_plan_launch on the caller's current stream. No
 * text in them comes from a model. The body is one generator; the forms differ only in the
 * spellings below (types, dtypes, stream, workspace allocation, errors, module). */
#include "export_binding.h"
#include "errbuf.h"
#include "export_text.h"

#include <stdlib.h>
#include <string.h>

static const char *torch_dtype(evo_dtype t)
{
    switch (t) {
    case DT_FLOAT32:
        return "torch::kFloat32";
    case DT_FLOAT16:
        return "torch::kFloat16";
    case DT_BFLOAT16:
        return "torch::kBFloat16";
    case DT_FLOAT8_E4M3:
        return "torch::kFloat8_e4m3fn";
    case DT_FLOAT8_E5M2:
        return "torch::kFloat8_e5m2";
    case DT_FLOAT64:
        return "torch::kFloat64";
    case DT_INT64:
        return "torch::kInt64";
    case DT_INT32:
        return "torch::kInt32";
    case DT_INT16:
        return "torch::kInt16";
    case DT_INT8:
        return "torch::kInt8";
    case DT_UINT8:
        return "torch::kUInt8";
    default:
        return "torch::kBool";
    }
}

/* DLPack's code and bits for a dtype, as torch's DLPack export writes them (float8 e4m3 is
 * torch's e4m3fn). */
static const char *dlpack_dtype(evo_dtype t)
{
    switch (t) {
    case DT_FLOAT32:
        return "DLDataType{kDLFloat, 32, 1}";
    case DT_FLOAT16:
        return "DLDataType{kDLFloat, 16, 1}";
    case DT_BFLOAT16:
        return "DLDataType{kDLBfloat, 16, 1}";
    case DT_FLOAT8_E4M3:
        return "DLDataType{kDLFloat8_e4m3fn, 8, 1}";
    case DT_FLOAT8_E5M2:
        return "DLDataType{kDLFloat8_e5m2, 8, 1}";
    case DT_FLOAT64:
        return "DLDataType{kDLFloat, 64, 1}";
    case DT_INT64:
        return "DLDataType{kDLInt, 64, 1}";
    case DT_INT32:
        return "DLDataType{kDLInt, 32, 1}";
    case DT_INT16:
        return "DLDataType{kDLInt, 16, 1}";
    case DT_INT8:
        return "DLDataType{kDLInt, 8, 1}";
    case DT_UINT8:
        return "DLDataType{kDLUInt, 8, 1}";
    default:
        return "DLDataType{kDLBool, 8, 1}";
    }
}

static const char *form_dtype(export_binding_kind kind, evo_dtype t)
{
    return kind == EXPORT_BINDING_TORCH ? torch_dtype(t) : dlpack_dtype(t);
}

const char *export_binding_file(export_binding_kind kind)
{
    return kind == EXPORT_BINDING_TORCH ? "binding.cpp" : "binding.cc";
}

const char *export_binding_name(export_binding_kind kind)
{
    return kind == EXPORT_BINDING_TORCH ? "torch" : "tvm-ffi";
}

/* The C++ expression for an axis: the const value, or the size of the first required
 * tensor (inputs, then outputs) that has it. */
static int axis_source(const evo_task *t, const task_axis *a, sbuf *b)
{
    if (!a->is_var) {
        sb_printf(b, "%lld", (long long)a->value);
        return 0;
    }
    const task_definition *d = &t->def;
    for (int i = 0; i < d->ninputs + d->noutputs; i++) {
        const task_tensor *x = export_tensor(t, i);
        if (x->optional) continue;
        for (int k = 0; k < x->ndim; k++)
            if (!strcmp(x->dims[k], a->name)) {
                sb_printf(b, "%s.size(%d)", x->name, k);
                return 0;
            }
    }
    return -1;
}

/* The checks of one tensor argument (device, dtype, rank, layout), then its dims against the
 * axes (pass 1: rank checks; pass 2: dims). */
static void binding_checks(sbuf *b, const evo_task *t, export_binding_kind kind, int pass)
{
    const task_definition *d = &t->def;
    for (int i = 0; i < d->ninputs + d->noutputs; i++) {
        const task_tensor *x = export_tensor(t, i);
        if (x->is_scalar) continue;
        const char *ind = x->optional ? "        " : "    ";
        if (x->optional) sb_printf(b, "    if (%s.has_value()) {\n", x->name);
        const char *ref = x->optional ? "*" : "";
        if (pass == 1) {
            sb_printf(b, "%sevo_check(%s%s, \"%s\", %s, %d, dev);\n", ind, ref, x->name, x->name,
                      form_dtype(kind, x->dtype), x->ndim);
        } else {
            for (int k = 0; k < x->ndim; k++) {
                int ax = 0;
                while (ax < d->naxes && strcmp(d->axes[ax].name, x->dims[k]))
                    ax++;
                if (ax == d->naxes) continue; /* the loader refuses such a definition */
                sb_printf(b, "%sevo_dim(%s%s, \"%s\", %d, axes[%d], \"%s\");\n", ind, ref, x->name,
                          x->name, k, ax, x->dims[k]);
            }
        }
        if (x->optional) sb_printf(b, "    }\n");
    }
}

static const char LAUNCH_DECLS[] =
    "extern \"C\" int evo_plan_workspaces(int dev, const long long *axes, long long *counts);\n"
    "extern \"C\" int evo_plan_launch(int dev, const long long *axes, void *const *tensors,\n"
    "                                 const double *scalars, void *const *workspaces, void "
    "*stream,\n"
    "                                 int *failed);\n"
    "extern \"C\" const char *evo_error_string(int e);\n\n";

/* The includes, kernel.cu's entry points and the check helpers of each form. */
static void binding_preamble(sbuf *b, const evo_task *t, export_binding_kind kind,
                             const char *first)
{
    const char *file = export_binding_file(kind);
    sb_printf(b,
              "// %s -- host binding for FlashInfer-Bench (%s), generated by `evo export` "
              "(definition\n"
              "// %s). Destination-passing style: run(inputs..., outputs...) in the "
              "definition's\n"
              "// order. Per call it checks every tensor (device, dtype, rank, contiguity, each "
              "dim against\n"
              "// its axis), derives the axes, takes the current stream and calls "
              "evo_plan_launch\n"
              "// (kernel.cu), which launches the plan's kernels on it; device facts and "
              "shared-memory\n"
              "// opt-ins are asked once, not per call. Generated code: edit the plan, not this "
              "file.\n",
              file, export_binding_name(kind), t->def.name);
    if (kind == EXPORT_BINDING_TORCH) {
        sb_printf(
            b,
            "//\n"
            "// torch's extension build compiles host code without optimisation; the per-call "
            "path\n"
            "// (pybind11's argument casts included) is cheaper optimised.\n"
            "#if defined(__GNUC__) && !defined(__clang__) && !defined(__OPTIMIZE__)\n"
            "#pragma GCC optimize(\"O2\")\n#endif\n"
            "#include <torch/extension.h>\n#include <c10/cuda/CUDAStream.h>\n\n%s"
            "static inline void evo_check(const torch::Tensor &x, const char *name, "
            "torch::ScalarType dtype,\n"
            "                             int64_t ndim, int dev)\n{\n"
            "    TORCH_CHECK(x.is_cuda() && x.get_device() == dev, \"run: \", name,\n"
            "                \" must be a CUDA tensor on the device of %s (cuda:\", dev, \")\");\n"
            "    TORCH_CHECK(x.scalar_type() == dtype, \"run: \", name, \" must be \", dtype, "
            "\", not \",\n"
            "                x.scalar_type());\n"
            "    TORCH_CHECK(x.dim() == ndim, \"run: \", name, \" must have \", ndim, \" "
            "dimensions, not \",\n"
            "                x.dim());\n"
            "    TORCH_CHECK(x.is_contiguous(), \"run: \", name, \" must be contiguous\");\n}\n\n"
            "static inline void evo_dim(const torch::Tensor &x, const char *name, int k, long "
            "long want,\n"
            "                           const char *axis)\n{\n"
            "    TORCH_CHECK(x.size(k) == want, \"run: \", name, \".shape[\", k, \"] is \", "
            "x.size(k), \", but \",\n"
            "                axis, \" is \", want);\n}\n\n"
            "static inline void *evo_data(const torch::Tensor &x) { return x.data_ptr(); }\n\n",
            LAUNCH_DECLS, first);
        return;
    }
    sb_printf(
        b,
        "//\n"
        "// TVM-FFI compiles .cc sources without CUDA's include path: kernel.cu, the one CUDA\n"
        "// translation unit, gives the error text and takes the stream as void *.\n"
        "#include <tvm/ffi/container/tensor.h>\n#include <tvm/ffi/dtype.h>\n"
        "#include <tvm/ffi/error.h>\n#include <tvm/ffi/extra/c_env_api.h>\n"
        "#include <tvm/ffi/function.h>\n#include <tvm/ffi/optional.h>\n\n"
        "using tvm::ffi::Optional;\nusing tvm::ffi::TensorView;\n\n%s"
        "static inline void evo_check(const TensorView &x, const char *name, DLDataType dtype, "
        "int ndim,\n"
        "                             int dev)\n{\n"
        "    const DLDevice d = x.device();\n"
        "    if (d.device_type != kDLCUDA || d.device_id != dev)\n"
        "        TVM_FFI_THROW(ValueError) << \"run: \" << name\n"
        "                                  << \" must be a CUDA tensor on the device of %s "
        "(cuda:\" << dev << \")\";\n"
        "    const DLDataType t = x.dtype();\n"
        "    if (t.code != dtype.code || t.bits != dtype.bits || t.lanes != dtype.lanes)\n"
        "        TVM_FFI_THROW(TypeError) << \"run: \" << name << \" must be \" << dtype << \", "
        "not \" << t;\n"
        "    if (x.ndim() != ndim)\n"
        "        TVM_FFI_THROW(ValueError) << \"run: \" << name << \" must have \" << ndim\n"
        "                                  << \" dimensions, not \" << x.ndim();\n"
        "    if (!x.IsContiguous())\n"
        "        TVM_FFI_THROW(ValueError) << \"run: \" << name << \" must be contiguous\";\n}\n\n"
        "static inline void evo_dim(const TensorView &x, const char *name, int k, long long "
        "want,\n"
        "                           const char *axis)\n{\n"
        "    if (x.size(k) != want)\n"
        "        TVM_FFI_THROW(ValueError) << \"run: \" << name << \".shape[\" << k << \"] is \" "
        "<< x.size(k)\n"
        "                                  << \", but \" << axis << \" is \" << want;\n}\n\n"
        "static inline void *evo_data(const TensorView &x)\n{\n"
        "    return static_cast<char *>(x.data_ptr()) + x.byte_offset();\n}\n\n",
        LAUNCH_DECLS, first);
}

/* The workspaces, allocated per call from the framework's stream-ordered allocator. */
static void binding_workspaces(sbuf *b, const evo_plan *p, export_binding_kind kind,
                               const char *first)
{
    if (!p->nworkspaces) {
        sb_printf(b, "    void *const *workspaces = nullptr;\n");
        return;
    }
    sb_printf(b, "    long long counts[%d];\n    evo_plan_workspaces(dev, axes, counts);\n",
              p->nworkspaces);
    for (int w = 0; w < p->nworkspaces; w++) {
        const char *name = p->workspaces[w].name, *dt = form_dtype(kind, p->workspaces[w].dtype);
        if (kind == EXPORT_BINDING_TORCH)
            sb_printf(b,
                      "    const torch::Tensor ws_%s = torch::empty({(int64_t)counts[%d]}, "
                      "%s.options().dtype(%s));\n",
                      name, w, first, dt);
        else
            sb_printf(b,
                      "    const int64_t shape_%s[1] = {(int64_t)counts[%d]};\n"
                      "    const tvm::ffi::Tensor ws_%s = tvm::ffi::Tensor::FromEnvAlloc(\n"
                      "        TVMFFIEnvTensorAlloc, tvm::ffi::ShapeView(shape_%s, 1), %s, "
                      "%s.device());\n",
                      name, w, name, name, dt, first);
    }
    sb_printf(b, "    void *const workspaces[%d] = {", p->nworkspaces);
    for (int w = 0; w < p->nworkspaces; w++)
        sb_printf(b, "%sws_%s.data_ptr()", w ? ", " : "", p->workspaces[w].name);
    sb_printf(b, "};\n");
}

char *export_binding(const evo_task *t, const evo_plan *p, export_binding_kind kind, char *err,
                     size_t errlen)
{
    const task_definition *d = &t->def;
    const int torch = kind == EXPORT_BINDING_TORCH;
    const char *first = NULL;
    for (int i = 0; i < d->ninputs + d->noutputs && !first; i++)
        if (!export_tensor(t, i)->is_scalar && !export_tensor(t, i)->optional)
            first = export_tensor(t, i)->name;
    if (!first) {
        errbuf_fail(err, errlen, "binding: the definition has no required tensor");
        return NULL;
    }
    sbuf b = {0};
    binding_preamble(&b, t, kind, first);
    sb_printf(&b, "static const char *const evo_kernel_names[] = {");
    for (int k = 0; k < p->nkernels; k++)
        sb_printf(&b, "%s\"%s\"", k ? ", " : "", p->kernels[k].name);
    sb_printf(&b, "};\n\n%s(", torch ? "void run" : "static void run_impl");
    for (int i = 0; i < d->ninputs + d->noutputs; i++) {
        const task_tensor *x = export_tensor(t, i);
        const char *sep = i ? ", " : "";
        if (x->is_scalar)
            sb_printf(&b, "%sdouble %s", sep, x->name);
        else if (x->optional)
            sb_printf(&b, "%s%s%s", sep,
                      torch ? "const c10::optional<torch::Tensor> &" : "Optional<TensorView> ",
                      x->name);
        else
            sb_printf(&b, "%s%s%s", sep, torch ? "const torch::Tensor &" : "TensorView ", x->name);
    }
    if (torch)
        sb_printf(&b, ")\n{\n    const int dev = %s.is_cuda() ? (int)%s.get_device() : -1;\n",
                  first, first);
    else
        sb_printf(&b,
                  ")\n{\n    const int dev = %s.device().device_type == kDLCUDA ? "
                  "(int)%s.device().device_id : -1;\n",
                  first, first);
    binding_checks(&b, t, kind, 1);
    sb_printf(&b, "    const long long axes[%d] = {", d->naxes > 0 ? d->naxes : 1);
    for (int i = 0; i < d->naxes; i++) {
        sb_printf(&b, "%s", i ? ", " : "");
        if (axis_source(t, &d->axes[i], &b)) {
            free(b.s);
            errbuf_fail(err, errlen, "binding: axis '%s' is on no required tensor",
                        d->axes[i].name);
            return NULL;
        }
    }
    sb_printf(&b, "%s};\n", d->naxes ? "" : "0");
    binding_checks(&b, t, kind, 2);
    int n = d->ninputs + d->noutputs;
    sb_printf(&b, "    void *const tensors[%d] = {", n);
    for (int i = 0; i < n; i++) {
        const task_tensor *x = export_tensor(t, i);
        sb_printf(&b, "%s", i ? ", " : "");
        if (x->is_scalar)
            sb_printf(&b, "nullptr");
        else if (x->optional)
            sb_printf(&b, "%s.has_value() ? evo_data(*%s) : nullptr", x->name, x->name);
        else
            sb_printf(&b, "evo_data(%s)", x->name);
    }
    sb_printf(&b, "};\n    const double scalars[%d] = {", n);
    for (int i = 0; i < n; i++)
        sb_printf(&b, "%s%s", i ? ", " : "",
                  export_tensor(t, i)->is_scalar ? export_tensor(t, i)->name : "0");
    sb_printf(&b, "};\n");
    if (torch)
        sb_printf(&b, "    void *const stream = c10::cuda::getCurrentCUDAStream(\n"
                      "        static_cast<c10::DeviceIndex>(dev)).stream();\n");
    else
        sb_printf(&b, "    void *const stream = TVMFFIEnvGetStream(kDLCUDA, dev);\n");
    binding_workspaces(&b, p, kind, first);
    sb_printf(&b, "    int failed = 0;\n"
                  "    const int e = evo_plan_launch(dev, axes, tensors, scalars, workspaces, "
                  "stream, &failed);\n"
                  "    const char *const what = failed >= 0 ? evo_kernel_names[failed] : "
                  "\"(making the device current)\";\n");
    if (torch)
        sb_printf(&b, "    TORCH_CHECK(e == 0, \"run: kernel \", what, \": \", "
                      "evo_error_string(e));\n}\n\n"
                      "PYBIND11_MODULE(TORCH_EXTENSION_NAME, m) { m.def(\"run\", &run); }\n");
    else
        sb_printf(&b, "    if (e != 0)\n"
                      "        TVM_FFI_THROW(RuntimeError) << \"run: kernel \" << what << \": \" "
                      "<< evo_error_string(e);\n}\n\n"
                      "TVM_FFI_DLL_EXPORT_TYPED_FUNC(run, run_impl);\n");
    if (b.oom) {
        free(b.s);
        errbuf_fail(err, errlen, "binding: out of memory");
        return NULL;
    }
    return b.s;
}
