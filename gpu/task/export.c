/* export.c -- FlashInfer-Bench Solution and Trace export (see export.h for the formats).
 *
 * The launcher (kernel.cu) and the binding (binding.cpp) are generated here, mechanically,
 * from the parsed launch plan: every axis is read off the first tensor that carries it (const
 * axes are the definition's values) and every other dim is checked against it, the plan's
 * grid/block/smem/workspace expressions are emitted as C++ with the plan's functions renamed
 * into a small helper set, and each kernel is launched with its arguments cast to the pointer
 * types the definition's dtypes give. No text in them comes from a model. */
#include "export.h"
#include "errbuf.h"
#include "safe_path.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "evo_status.h"
#include "expr.h"

/* ---- a growing string ---- */

typedef struct sbuf {
    char *s;
    size_t n, cap;
    int oom;
} sbuf;

static void sb_printf(sbuf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int m = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (m < 0 || b->oom) return;
    if (b->n + (size_t)m + 1 > b->cap) {
        size_t cap = (b->cap + (size_t)m + 1) * 2;
        char *s = realloc(b->s, cap);
        if (!s) {
            b->oom = 1;
            return;
        }
        b->s = s;
        b->cap = cap;
    }
    va_start(ap, fmt);
    vsnprintf(b->s + b->n, b->cap - b->n, fmt, ap);
    va_end(ap);
    b->n += (size_t)m;
}

/* ---- binding ---- */

static const char *const PLAN_FUNCS[] = {"min",  "max",  "ceil_div", "align_up",
                                         "log2", "pow2", "abs",      NULL};

/* An expression's text with the plan's functions renamed to the binding's evo_* helpers
 * (so min/log2/abs never resolve to the C++ library's overloads). */
static void sb_expr(sbuf *b, const struct evo_expr *e)
{
    const char *s = expr_text(e);
    sb_printf(b, "(");
    while (*s) {
        if (isalpha((unsigned char)*s) || *s == '_') {
            const char *p = s;
            while (isalnum((unsigned char)*p) || *p == '_')
                p++;
            const char *q = p;
            while (*q == ' ')
                q++;
            int fn = 0;
            for (int i = 0; *q == '(' && PLAN_FUNCS[i]; i++)
                fn |= strlen(PLAN_FUNCS[i]) == (size_t)(p - s) &&
                      !strncmp(PLAN_FUNCS[i], s, (size_t)(p - s));
            sb_printf(b, "%s%.*s", fn ? "evo_" : "", (int)(p - s), s);
            s = p;
        } else {
            sb_printf(b, "%c", *s++);
        }
    }
    sb_printf(b, ")");
}

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

static const task_tensor *tensor_at(const evo_task *t, int index)
{
    const task_definition *d = &t->def;
    return index < d->ninputs ? &d->inputs[index] : &d->outputs[index - d->ninputs];
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
        const task_tensor *x = tensor_at(t, i);
        if (x->optional) continue;
        for (int k = 0; k < x->ndim; k++)
            if (!strcmp(x->dims[k], a->name)) {
                sb_printf(b, "%s.size(%d)", x->name, k);
                return 0;
            }
    }
    return -1;
}

/* The evo_* helpers that plan expressions call (min/log2/abs renamed, see sb_expr). */
static void emit_helpers(sbuf *b)
{
    sb_printf(b, "[[maybe_unused]] static inline long long evo_min(long long a, long long b) { "
                 "return a < b ? a : b; }\n"
                 "[[maybe_unused]] static inline long long evo_max(long long a, long long b) { "
                 "return a > b ? a : b; }\n"
                 "[[maybe_unused]] static inline long long evo_ceil_div(long long a, long long b) "
                 "{ return (a + b - 1) / b; "
                 "}\n"
                 "[[maybe_unused]] static inline long long evo_align_up(long long a, long long b) "
                 "{ return evo_ceil_div(a, "
                 "b) * b; }\n"
                 "[[maybe_unused]] static inline long long evo_log2(long long a) { long long r = "
                 "-1; while (a > 0) { a >>= "
                 "1; r++; } return r; }\n"
                 "[[maybe_unused]] static inline long long evo_pow2(long long a) { return (long "
                 "long)1 << a; }\n"
                 "[[maybe_unused]] static inline long long evo_abs(long long a) { return a < 0 ? "
                 "-a : a; }\n\n");
}

/* Whether any expression of the plan names one of the device facts (then the launcher asks the
 * device once and keeps the answer). */
static int expr_names_fact(const struct evo_expr *e)
{
    static const char *const facts[] = {"SM_COUNT", "SMEM_OPTIN", "SMEM_LIMIT", "L2_BYTES", NULL};
    if (!e) return 0;
    for (int i = 0; facts[i]; i++)
        if (strstr(expr_text(e), facts[i])) return 1;
    return 0;
}

static int plan_uses_facts(const evo_plan *p)
{
    int any = 0;
    for (int w = 0; w < p->nworkspaces; w++)
        any |= expr_names_fact(p->workspaces[w].count);
    for (int k = 0; k < p->nkernels; k++) {
        const plan_kernel *pk = &p->kernels[k];
        any |= expr_names_fact(pk->smem) | expr_names_fact(pk->when);
        for (int i = 0; i < pk->ngrid; i++)
            any |= expr_names_fact(pk->grid[i]);
        for (int i = 0; i < pk->nblock; i++)
            any |= expr_names_fact(pk->block[i]);
    }
    return any;
}

/* The names a plan expression may use, as locals of a launcher function: every axis (from
 * the axes array, in the definition's order) and the device facts. */
static int emit_names(sbuf *b, const evo_task *t, int facts)
{
    for (int i = 0; i < t->def.naxes; i++)
        sb_printf(b, "    const long long %s = axes[%d];\n    (void)%s;\n", t->def.axes[i].name, i,
                  t->def.axes[i].name);
    if (facts) {
        sb_printf(b, "    const evo_facts *f = evo_device_facts(dev);\n"
                     "    if (!f) return (int)cudaErrorInvalidDevice;\n"
                     "    const long long SM_COUNT = f->sm_count, SMEM_OPTIN = f->smem_optin,\n"
                     "                    SMEM_LIMIT = f->smem_optin, L2_BYTES = f->l2_bytes;\n"
                     "    (void)SM_COUNT; (void)SMEM_OPTIN; (void)SMEM_LIMIT; (void)L2_BYTES;\n");
    }
    sb_printf(b, "    const long long WARP_SIZE = 32;\n    (void)WARP_SIZE;\n");
    return 0;
}

static void launcher_arg(sbuf *b, const evo_task *t, const evo_plan *p, const plan_arg *a)
{
    const task_tensor *x;
    switch (a->kind) {
    case ARG_TENSOR:
    case ARG_SCALAR:
        x = tensor_at(t, a->index);
        if (x->is_scalar || a->kind == ARG_SCALAR)
            sb_printf(b, "(%s)scalars[%d]", dtype_ctype(x->dtype), a->index);
        else
            sb_printf(b, "reinterpret_cast<%s *>(tensors[%d])", dtype_ctype(x->dtype), a->index);
        break;
    case ARG_WORKSPACE:
        sb_printf(b, "reinterpret_cast<%s *>(workspaces[%d])",
                  dtype_ctype(p->workspaces[a->index].dtype), a->index);
        break;
    case ARG_AXIS_I32:
        sb_printf(b, "(int)%s", a->name);
        break;
    case ARG_AXIS_I64:
        sb_printf(b, "(long long)%s", a->name);
        break;
    case ARG_LITERAL:
        sb_printf(b, "(int)%lld", (long long)a->literal);
        break;
    }
}

static void launcher_kernel(sbuf *b, const evo_task *t, const evo_plan *p, int k)
{
    const plan_kernel *pk = &p->kernels[k];
    if (pk->when) { /* shape dispatch, the same condition the evaluator applied */
        sb_printf(b, "    if (");
        sb_expr(b, pk->when);
        sb_printf(b, ")\n");
    }
    sb_printf(b, "    {\n        const dim3 grid(");
    for (int i = 0; i < pk->ngrid; i++) {
        sb_printf(b, "%s(unsigned)", i ? ", " : "");
        sb_expr(b, pk->grid[i]);
    }
    sb_printf(b, "), block(");
    for (int i = 0; i < pk->nblock; i++) {
        sb_printf(b, "%s(unsigned)", i ? ", " : "");
        sb_expr(b, pk->block[i]);
    }
    sb_printf(b, ");\n        const size_t smem = ");
    if (pk->smem)
        sb_expr(b, pk->smem);
    else
        sb_printf(b, "0");
    sb_printf(b,
              ";\n        if (grid.x && grid.y && grid.z) { /* no work: no launch */\n"
              "            cudaError_t e = smem > 48 * 1024\n"
              "                                ? evo_smem_optin(dev, %d, (const void *)%s, smem)\n"
              "                                : cudaSuccess;\n"
              "            if (e == cudaSuccess) {\n"
              "                %s<<<grid, block, smem, stream>>>(",
              k, pk->name, pk->name);
    for (int i = 0; i < pk->nargs; i++) {
        sb_printf(b, "%s", i ? ",\n                    " : "\n                    ");
        launcher_arg(b, t, p, &pk->args[i]);
    }
    sb_printf(b,
              ");\n                e = cudaGetLastError();\n            }\n"
              "            if (e != cudaSuccess) {\n                *failed = %d;\n"
              "                return (int)e;\n            }\n        }\n    }\n",
              k);
}

/* Whether the candidate needs the sm_90a feature set (wgmma, setmaxnreg): evo compiles for
 * sm_90a on Hopper, torch's extension build for sm_90 unless TORCH_CUDA_ARCH_LIST says 9.0a. */
static int needs_sm90a(const char *src)
{
    return strstr(src, "wgmma") || strstr(src, "setmaxnreg");
}

char *export_launcher(const evo_task *t, const evo_plan *p, const char *rendered, char *err,
                      size_t errlen)
{
    sbuf b = {0};
    int facts = plan_uses_facts(p), fp8 = 0;
    for (int i = 0; i < t->def.ninputs + t->def.noutputs; i++)
        fp8 |= tensor_at(t, i)->dtype == DT_FLOAT8_E4M3 || tensor_at(t, i)->dtype == DT_FLOAT8_E5M2;
    for (int w = 0; w < p->nworkspaces; w++)
        fp8 |= p->workspaces[w].dtype == DT_FLOAT8_E4M3 || p->workspaces[w].dtype == DT_FLOAT8_E5M2;
    sb_printf(&b,
              "// kernel.cu -- the candidate's kernels (kernel.cuh) and their launches, generated "
              "by `evo export`\n"
              "// from its evo:launch plan (definition %s). The only CUDA translation unit of the\n"
              "// Solution, with no torch header in it: binding.cpp checks the tensors and calls\n"
              "// evo_plan_launch. Generated code: edit the plan, not this file.\n"
              "//\n"
              "// torch's extension build passes these to nvcc; evo compiled the candidate with "
              "NVRTC,\n"
              "// which defines none of them, so they are taken back before any CUDA header.\n"
              "#undef __CUDA_NO_HALF_OPERATORS__\n#undef __CUDA_NO_HALF_CONVERSIONS__\n"
              "#undef __CUDA_NO_HALF2_OPERATORS__\n#undef __CUDA_NO_BFLOAT16_CONVERSIONS__\n"
              "#undef __CUDA_NO_BFLOAT16_OPERATORS__\n",
              t->def.name);
    for (int i = 0; i < t->ndefines; i++) {
        if (i == 0) sb_printf(&b, "// the task's defines, as evo's compiler had them\n");
        sb_printf(&b, "#define %s %s\n", t->define_names[i], t->define_values[i]);
    }
    if (needs_sm90a(rendered))
        sb_printf(&b, "#if defined(__CUDA_ARCH__) && !defined(__CUDA_ARCH_FEAT_SM90_ALL)\n"
                      "#error \"this candidate uses sm_90a instructions (wgmma/setmaxnreg): build "
                      "with TORCH_CUDA_ARCH_LIST=9.0a (torch's extension build targets sm_90 "
                      "otherwise)\"\n#endif\n");
    sb_printf(&b,
              "#include <cuda_runtime.h>\n#include <cuda_fp16.h>\n#include <cuda_bf16.h>\n%s"
              "#include <atomic>\n#include <cstddef>\n\n#include \"kernel.cuh\"\n\n",
              fp8 ? "#include <cuda_fp8.h>\n" : "");
    emit_helpers(&b);
    sb_printf(&b,
              "#define EVO_MAX_DEVICES 64\n\n"
              "// The dynamic shared memory each kernel was allowed so far, per device: "
              "cudaFuncSetAttribute\n"
              "// runs when a launch needs more than ever before, not on every call.\n"
              "static std::atomic<int> evo_smem_allowed[EVO_MAX_DEVICES][%d];\n\n"
              "static cudaError_t evo_smem_optin(int dev, int k, const void *fn, size_t smem)\n{\n"
              "    const int known = dev >= 0 && dev < EVO_MAX_DEVICES;\n"
              "    if (known && (size_t)evo_smem_allowed[dev][k].load(std::memory_order_relaxed) "
              ">= smem)\n"
              "        return cudaSuccess;\n"
              "    const cudaError_t e =\n"
              "        cudaFuncSetAttribute(fn, cudaFuncAttributeMaxDynamicSharedMemorySize, "
              "(int)smem);\n"
              "    if (e == cudaSuccess && known) evo_smem_allowed[dev][k].store((int)smem, "
              "std::memory_order_relaxed);\n"
              "    return e;\n}\n\n",
              p->nkernels);
    if (facts)
        sb_printf(
            &b, "// The device facts the plan names, asked once per device.\n"
                "typedef struct evo_facts {\n    std::atomic<int> ready;\n"
                "    int sm_count, smem_optin, l2_bytes;\n} evo_facts;\n"
                "static evo_facts evo_facts_of[EVO_MAX_DEVICES];\n\n"
                "static const evo_facts *evo_device_facts(int dev)\n{\n"
                "    if (dev < 0 || dev >= EVO_MAX_DEVICES) return nullptr;\n"
                "    evo_facts *f = &evo_facts_of[dev];\n"
                "    if (f->ready.load(std::memory_order_acquire)) return f;\n"
                "    if (cudaDeviceGetAttribute(&f->sm_count, cudaDevAttrMultiProcessorCount, dev) "
                "||\n"
                "        cudaDeviceGetAttribute(&f->smem_optin, "
                "cudaDevAttrMaxSharedMemoryPerBlockOptin, dev) ||\n"
                "        cudaDeviceGetAttribute(&f->l2_bytes, cudaDevAttrL2CacheSize, dev))\n"
                "        return nullptr;\n"
                "    f->ready.store(1, std::memory_order_release);\n    return f;\n}\n\n");
    sb_printf(&b, "// Element counts of the plan's workspaces, in plan order.\n"
                  "extern \"C\" int evo_plan_workspaces(int dev, const long long *axes, long "
                  "long *counts)\n{\n    (void)dev;\n    (void)counts;\n");
    emit_names(&b, t, facts);
    for (int w = 0; w < p->nworkspaces; w++) {
        sb_printf(&b, "    counts[%d] = (long long)", w);
        sb_expr(&b, p->workspaces[w].count);
        sb_printf(&b, ";\n");
    }
    sb_printf(&b, "    return 0;\n}\n\n");
    sb_printf(&b, "// The plan's kernels, in order, on stream. tensors[i] and scalars[i] are the "
                  "definition's\n"
                  "// inputs then outputs (nullptr for an absent optional input); 0 or the CUDA "
                  "error, with\n"
                  "// *failed the plan index of the kernel that failed.\n"
                  "extern \"C\" int evo_plan_launch(int dev, const long long *axes, void *const "
                  "*tensors,\n"
                  "                                 const double *scalars, void *const "
                  "*workspaces,\n"
                  "                                 cudaStream_t stream, int *failed)\n{\n"
                  "    (void)tensors;\n    (void)scalars;\n    (void)workspaces;\n");
    emit_names(&b, t, facts);
    for (int k = 0; k < p->nkernels; k++)
        launcher_kernel(&b, t, p, k);
    sb_printf(&b, "    return 0;\n}\n");
    if (b.oom) {
        free(b.s);
        errbuf_fail(err, errlen, "launcher: out of memory");
        return NULL;
    }
    return b.s;
}

/* The checks of one tensor argument (device, dtype, rank, layout), then its dims against the
 * axes (pass 1: rank checks; pass 2: dims). */
static void binding_checks(sbuf *b, const evo_task *t, int pass)
{
    const task_definition *d = &t->def;
    for (int i = 0; i < d->ninputs + d->noutputs; i++) {
        const task_tensor *x = tensor_at(t, i);
        if (x->is_scalar) continue;
        const char *ind = x->optional ? "        " : "    ";
        if (x->optional) sb_printf(b, "    if (%s.has_value()) {\n", x->name);
        const char *ref = x->optional ? "*" : "";
        if (pass == 1) {
            sb_printf(b, "%sevo_check(%s%s, \"%s\", %s, %d, dev);\n", ind, ref, x->name, x->name,
                      torch_dtype(x->dtype), x->ndim);
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

char *export_binding(const evo_task *t, const evo_plan *p, char *err, size_t errlen)
{
    const task_definition *d = &t->def;
    const char *first = NULL;
    for (int i = 0; i < d->ninputs + d->noutputs && !first; i++)
        if (!tensor_at(t, i)->is_scalar && !tensor_at(t, i)->optional)
            first = tensor_at(t, i)->name;
    if (!first) {
        errbuf_fail(err, errlen, "binding: the definition has no required tensor");
        return NULL;
    }
    sbuf b = {0};
    sb_printf(
        &b,
        "// binding.cpp -- host binding for FlashInfer-Bench, generated by `evo export` "
        "(definition\n"
        "// %s). Destination-passing style: run(inputs..., outputs...) in the definition's\n"
        "// order. Per call it checks every tensor (device, dtype, rank, contiguity, each dim "
        "against\n"
        "// its axis), derives the axes, takes the current stream and calls evo_plan_launch\n"
        "// (kernel.cu), which launches the plan's kernels on it; device facts and shared-memory\n"
        "// opt-ins are asked once, not per call. Generated code: edit the plan, not this file.\n"
        "//\n"
        "// torch's extension build compiles host code without optimisation; the per-call path\n"
        "// (pybind11's argument casts included) is cheaper optimised.\n"
        "#if defined(__GNUC__) && !defined(__clang__) && !defined(__OPTIMIZE__)\n"
        "#pragma GCC optimize(\"O2\")\n#endif\n"
        "#include <torch/extension.h>\n#include <c10/cuda/CUDAGuard.h>\n"
        "#include <c10/cuda/CUDAStream.h>\n#include <cuda_runtime_api.h>\n\n"
        "extern \"C\" int evo_plan_workspaces(int dev, const long long *axes, long long "
        "*counts);\n"
        "extern \"C\" int evo_plan_launch(int dev, const long long *axes, void *const "
        "*tensors,\n"
        "                                 const double *scalars, void *const *workspaces,\n"
        "                                 cudaStream_t stream, int *failed);\n\n",
        d->name);
    sb_printf(&b, "static const char *const evo_kernel_names[] = {");
    for (int k = 0; k < p->nkernels; k++)
        sb_printf(&b, "%s\"%s\"", k ? ", " : "", p->kernels[k].name);
    sb_printf(
        &b,
        "};\n\n"
        "static inline void evo_check(const torch::Tensor &x, const char *name, torch::ScalarType "
        "dtype,\n"
        "                             int64_t ndim, int dev)\n{\n"
        "    TORCH_CHECK(x.is_cuda() && x.get_device() == dev, \"run: \", name,\n"
        "                \" must be a CUDA tensor on the device of %s (cuda:\", dev, \")\");\n"
        "    TORCH_CHECK(x.scalar_type() == dtype, \"run: \", name, \" must be \", dtype, \", "
        "not \",\n"
        "                x.scalar_type());\n"
        "    TORCH_CHECK(x.dim() == ndim, \"run: \", name, \" must have \", ndim, \" dimensions, "
        "not \",\n"
        "                x.dim());\n"
        "    TORCH_CHECK(x.is_contiguous(), \"run: \", name, \" must be contiguous\");\n}\n\n"
        "static inline void evo_dim(const torch::Tensor &x, const char *name, int k, long long "
        "want,\n"
        "                           const char *axis)\n{\n"
        "    TORCH_CHECK(x.size(k) == want, \"run: \", name, \".shape[\", k, \"] is \", "
        "x.size(k), \", but \",\n"
        "                axis, \" is \", want);\n}\n\n",
        first);
    sb_printf(&b, "void run(");
    for (int i = 0; i < d->ninputs + d->noutputs; i++) {
        const task_tensor *x = tensor_at(t, i);
        const char *sep = i ? ", " : "";
        if (x->is_scalar)
            sb_printf(&b, "%sdouble %s", sep, x->name);
        else if (x->optional)
            sb_printf(&b, "%sconst c10::optional<torch::Tensor> &%s", sep, x->name);
        else
            sb_printf(&b, "%sconst torch::Tensor &%s", sep, x->name);
    }
    sb_printf(&b, ")\n{\n    const int dev = %s.is_cuda() ? (int)%s.get_device() : -1;\n", first,
              first);
    binding_checks(&b, t, 1);
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
    binding_checks(&b, t, 2);
    int n = d->ninputs + d->noutputs;
    sb_printf(&b, "    void *const tensors[%d] = {", n);
    for (int i = 0; i < n; i++) {
        const task_tensor *x = tensor_at(t, i);
        sb_printf(&b, "%s", i ? ", " : "");
        if (x->is_scalar)
            sb_printf(&b, "nullptr");
        else if (x->optional)
            sb_printf(&b, "%s.has_value() ? %s->data_ptr() : nullptr", x->name, x->name);
        else
            sb_printf(&b, "%s.data_ptr()", x->name);
    }
    sb_printf(&b, "};\n    const double scalars[%d] = {", n);
    for (int i = 0; i < n; i++)
        sb_printf(&b, "%s%s", i ? ", " : "",
                  tensor_at(t, i)->is_scalar ? tensor_at(t, i)->name : "0");
    sb_printf(
        &b,
        "};\n"
        "    const c10::cuda::CUDAGuard guard(static_cast<c10::DeviceIndex>(dev));\n"
        "    const cudaStream_t stream =\n"
        "        c10::cuda::getCurrentCUDAStream(static_cast<c10::DeviceIndex>(dev)).stream();\n");
    if (p->nworkspaces) {
        sb_printf(&b, "    long long counts[%d];\n    evo_plan_workspaces(dev, axes, counts);\n",
                  p->nworkspaces);
        for (int w = 0; w < p->nworkspaces; w++)
            sb_printf(&b,
                      "    const torch::Tensor ws_%s = torch::empty({(int64_t)counts[%d]}, "
                      "%s.options().dtype(%s));\n",
                      p->workspaces[w].name, w, first, torch_dtype(p->workspaces[w].dtype));
        sb_printf(&b, "    void *const workspaces[%d] = {", p->nworkspaces);
        for (int w = 0; w < p->nworkspaces; w++)
            sb_printf(&b, "%sws_%s.data_ptr()", w ? ", " : "", p->workspaces[w].name);
        sb_printf(&b, "};\n");
    } else {
        sb_printf(&b, "    void *const *workspaces = nullptr;\n");
    }
    sb_printf(&b, "    int failed = 0;\n"
                  "    const int e = evo_plan_launch(dev, axes, tensors, scalars, workspaces, "
                  "stream, &failed);\n"
                  "    TORCH_CHECK(e == 0, \"run: kernel \", evo_kernel_names[failed], \": \",\n"
                  "                cudaGetErrorString(static_cast<cudaError_t>(e)));\n}\n\n"
                  "PYBIND11_MODULE(TORCH_EXTENSION_NAME, m) { m.def(\"run\", &run); }\n");
    if (b.oom) {
        free(b.s);
        errbuf_fail(err, errlen, "binding: out of memory");
        return NULL;
    }
    return b.s;
}

/* ---- solution ---- */

json_t *export_solution(const evo_task *t, const evo_plan *p, const char *rendered,
                        const export_info *info, char *err, size_t errlen)
{
    char *launcher = export_launcher(t, p, rendered, err, errlen);
    char *binding = launcher ? export_binding(t, p, err, errlen) : NULL;
    if (!binding) {
        free(launcher);
        return NULL;
    }
    char desc[700];
    snprintf(desc, sizeof desc,
             "Found by evo's evolutionary search. kernel.cuh is the candidate with its parameters "
             "applied as #defines; kernel.cu (its one CUDA translation unit: the launches of its "
             "plan, %d kernel%s) and binding.cpp (torch: tensor checks, then the call) were "
             "generated from its launch plan.%s",
             p->nkernels, p->nkernels == 1 ? "" : "s",
             needs_sm90a(rendered) ? " Needs sm_90a: build with TORCH_CUDA_ARCH_LIST=9.0a." : "");
    json_t *s = json_pack(
        "{s:s,s:s,s:s,s:s,s:{s:s,s:[s],s:s,s:[],s:s,s:b},s:[{s:s,s:s},{s:s,s:s},{s:s,s:s}]}",
        "name", info->name, "definition", t->def.name, "author", info->author, "description", desc,
        "spec", "language", "cuda", "target_hardware", info->hardware, "entry_point",
        "binding.cpp::run", "dependencies", "binding", "torch", "destination_passing_style", 1,
        "sources", "path", "kernel.cuh", "content", rendered, "path", "kernel.cu", "content",
        launcher, "path", "binding.cpp", "content", binding);
    free(launcher);
    free(binding);
    if (!s) errbuf_fail(err, errlen, "solution: cannot build the JSON (a string is not UTF-8?)");
    return s;
}

/* ---- traces ---- */

static json_t *workload_json(const evo_task *t, const task_workload *w)
{
    json_t *axes = json_object(), *inputs = json_object();
    for (int i = 0; i < w->naxes; i++)
        json_object_set_new(axes, w->axis_names[i], json_integer(w->axis_values[i]));
    for (int i = 0; i < w->ninputs && i < t->def.ninputs; i++) {
        const task_input_gen *g = &w->inputs[i];
        const char *name = t->def.inputs[i].name;
        switch (g->kind) {
        case GEN_RANDOM:
            json_object_set_new(inputs, name, json_pack("{s:s}", "type", "random"));
            break;
        case GEN_SCALAR:
            json_object_set_new(inputs, name,
                                json_pack("{s:s,s:f}", "type", "scalar", "value", g->scalar));
            break;
        case GEN_SAFETENSORS:
            json_object_set_new(inputs, name,
                                json_pack("{s:s,s:s,s:s}", "type", "safetensors", "path", g->path,
                                          "tensor_key", g->tensor_key));
            break;
        case GEN_ABSENT:
            break;
        }
    }
    return json_pack("{s:s,s:o,s:o}", "uuid", w->uuid, "axes", axes, "inputs", inputs);
}

/* Our statuses as FlashInfer-Bench's: a guard violation or a write over the harness is a
 * runtime failure of the solution, a time beyond the physical floor a wrong result (it did
 * not do the work), an invalid parameter point one that does not build. */
static const char *fib_status(const char *ours)
{
    if (!ours) return "RUNTIME_ERROR";
    if (!strcmp(ours, "GUARD_VIOLATION") || !strcmp(ours, "HARNESS_TAMPERED"))
        return "RUNTIME_ERROR";
    if (!strcmp(ours, "BEYOND_FLOOR")) return "INCORRECT_NUMERICAL";
    if (!strcmp(ours, "INVALID")) return "COMPILE_ERROR";
    return ours;
}

static double num(const json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    return json_is_number(v) ? json_number_value(v) : 0.0;
}

json_t *export_trace(const evo_task *t, const task_workload *w, const json_t *record,
                     const export_info *info)
{
    json_t *fig = json_object_get(json_object_get(record, "workloads"), w->label);
    if (!json_is_object(fig)) return NULL;
    const char *cand = json_string_value(json_object_get(record, "status"));
    json_t *st = json_object_get(fig, "status");
    const char *status;
    if (json_is_string(st))
        status = json_string_value(st);
    else if (json_is_integer(st))
        status = evo_status_name((evo_status)json_integer_value(st));
    else
        status = json_object_get(fig, "latency_us") ? "PASSED" : cand;
    status = fib_status(status);
    const char *error = json_string_value(json_object_get(record, "error"));
    char log[1024];
    snprintf(log, sizeof log,
             "evo candidate %lld (%s)%s%s; reference latency = the task "
             "baseline kernel, timed by the same harness",
             (long long)json_integer_value(json_object_get(record, "id")),
             json_string_value(json_object_get(record, "template"))
                 ? json_string_value(json_object_get(record, "template"))
                 : "?",
             strcmp(status, "PASSED") && error ? ": " : "",
             strcmp(status, "PASSED") && error ? error : "");
    json_t *libs = json_object();
    if (info->libs) {
        char buf[256];
        snprintf(buf, sizeof buf, "%s", info->libs);
        for (char *save = NULL, *kv = strtok_r(buf, ",", &save); kv;
             kv = strtok_r(NULL, ",", &save)) {
            char *eq = strchr(kv, '=');
            if (eq) {
                *eq = 0;
                json_object_set_new(libs, kv, json_string(eq + 1));
            }
        }
    }
    json_t *ev = json_pack("{s:s,s:{s:s,s:o},s:s,s:s}", "status", status, "environment", "hardware",
                           info->hardware, "libs", libs, "timestamp", info->timestamp, "log", log);
    if (!strcmp(status, "PASSED") || !strcmp(status, "INCORRECT_NUMERICAL"))
        json_object_set_new(ev, "correctness",
                            json_pack("{s:f,s:f}", "max_relative_error", num(fig, "max_rel_err"),
                                      "max_absolute_error", num(fig, "max_abs_err")));
    if (!strcmp(status, "PASSED")) {
        double us = num(fig, "latency_us"), base = num(fig, "baseline_us");
        double sp = num(fig, "speedup");
        if (sp <= 0 && us > 0) sp = base / us;
        json_object_set_new(ev, "performance",
                            json_pack("{s:f,s:f,s:f}", "latency_ms", us / 1000.0,
                                      "reference_latency_ms", base / 1000.0, "speedup_factor", sp));
    }
    return json_pack("{s:s,s:o,s:s,s:o}", "definition", t->def.name, "workload",
                     workload_json(t, w), "solution", info->name, "evaluation", ev);
}

/* ---- validation ---- */

static int need_string(const json_t *o, const char *where, const char *key, char *err,
                       size_t errlen)
{
    json_t *v = json_object_get(o, key);
    if (!json_is_string(v))
        return errbuf_fail(err, errlen, "%s: key '%s': expected a string", where, key);
    if (!json_string_value(v)[0])
        return errbuf_fail(err, errlen, "%s: key '%s': must not be empty", where, key);
    return 0;
}

static int need_figures(const json_t *o, const char *where, const char *const *keys, char *err,
                        size_t errlen)
{
    if (!json_is_object(o)) return errbuf_fail(err, errlen, "%s: expected an object", where);
    for (int i = 0; keys[i]; i++) {
        json_t *v = json_object_get(o, keys[i]);
        if (!json_is_number(v))
            return errbuf_fail(err, errlen, "%s: key '%s': expected a number", where, keys[i]);
        if (json_number_value(v) < 0)
            return errbuf_fail(err, errlen, "%s: key '%s': must be non-negative, found %g", where,
                               keys[i], json_number_value(v));
    }
    return 0;
}

int export_check_solution(const json_t *s, char *err, size_t errlen)
{
    if (!json_is_object(s)) return errbuf_fail(err, errlen, "solution: expected an object");
    static const char *const req[] = {"name", "definition", "author", NULL};
    for (int i = 0; req[i]; i++)
        if (need_string(s, "solution", req[i], err, errlen)) return -1;
    json_t *spec = json_object_get(s, "spec");
    if (!json_is_object(spec))
        return errbuf_fail(err, errlen, "solution: key 'spec': expected an object");
    if (need_string(spec, "solution.spec", "language", err, errlen) ||
        need_string(spec, "solution.spec", "entry_point", err, errlen))
        return -1;
    const char *lang = json_string_value(json_object_get(spec, "language"));
    if (strcmp(lang, "cuda") && strcmp(lang, "triton") && strcmp(lang, "python"))
        return errbuf_fail(err, errlen, "solution.spec: key 'language': unknown language '%s'",
                           lang);
    const char *entry = json_string_value(json_object_get(spec, "entry_point"));
    const char *sep = strstr(entry, "::");
    if (!sep || sep == entry || !sep[2])
        return errbuf_fail(err, errlen,
                           "solution.spec: key 'entry_point': '%s' is not FILE::FUNCTION", entry);
    json_t *hw = json_object_get(spec, "target_hardware");
    if (!json_is_array(hw) || !json_array_size(hw))
        return errbuf_fail(err, errlen,
                           "solution.spec: key 'target_hardware': expected a non-empty "
                           "array of strings");
    json_t *dps = json_object_get(spec, "destination_passing_style");
    if (dps && !json_is_boolean(dps))
        return errbuf_fail(err, errlen,
                           "solution.spec: key 'destination_passing_style': expected a "
                           "boolean");
    json_t *src = json_object_get(s, "sources");
    if (!json_is_array(src) || !json_array_size(src))
        return errbuf_fail(err, errlen, "solution: key 'sources': expected a non-empty array");
    int entry_found = 0;
    size_t i;
    json_t *f;
    json_array_foreach(src, i, f)
    {
        char where[64];
        snprintf(where, sizeof where, "solution.sources[%zu]", i);
        if (need_string(f, where, "path", err, errlen)) return -1;
        if (!json_is_string(json_object_get(f, "content")))
            return errbuf_fail(err, errlen, "%s: key 'content': expected a string", where);
        const char *path = json_string_value(json_object_get(f, "path"));
        if (path[0] == '/' || strstr(path, ".."))
            return errbuf_fail(err, errlen, "%s: key 'path': '%s' must be relative, without '..'",
                               where, path);
        entry_found |=
            strlen(path) == (size_t)(sep - entry) && !strncmp(path, entry, (size_t)(sep - entry));
    }
    if (!entry_found)
        return errbuf_fail(err, errlen, "solution.spec: key 'entry_point': no source '%.*s'",
                           (int)(sep - entry), entry);
    return 0;
}

static const char *const STATUSES[] = {"PASSED",
                                       "INCORRECT_SHAPE",
                                       "INCORRECT_NUMERICAL",
                                       "INCORRECT_DTYPE",
                                       "RUNTIME_ERROR",
                                       "COMPILE_ERROR",
                                       "TIMEOUT",
                                       NULL};

int export_check_trace(const json_t *tr, char *err, size_t errlen)
{
    if (!json_is_object(tr)) return errbuf_fail(err, errlen, "trace: expected an object");
    if (need_string(tr, "trace", "definition", err, errlen)) return -1;
    json_t *w = json_object_get(tr, "workload");
    if (!json_is_object(w))
        return errbuf_fail(err, errlen, "trace: key 'workload': expected an object");
    if (need_string(w, "trace.workload", "uuid", err, errlen)) return -1;
    if (!json_is_object(json_object_get(w, "axes")) ||
        !json_is_object(json_object_get(w, "inputs")))
        return errbuf_fail(err, errlen,
                           "trace.workload: keys 'axes' and 'inputs': expected objects");
    json_t *ev = json_object_get(tr, "evaluation");
    json_t *sol = json_object_get(tr, "solution");
    if (json_is_null(ev) && json_is_null(sol)) return 0; /* a workload-only line */
    if (!json_is_string(sol) || !json_string_value(sol)[0])
        return errbuf_fail(err, errlen, "trace: key 'solution': expected a solution name");
    if (!json_is_object(ev))
        return errbuf_fail(err, errlen, "trace: key 'evaluation': expected an object");
    if (need_string(ev, "trace.evaluation", "status", err, errlen) ||
        need_string(ev, "trace.evaluation", "timestamp", err, errlen))
        return -1;
    const char *st = json_string_value(json_object_get(ev, "status"));
    int known = 0;
    for (int i = 0; STATUSES[i]; i++)
        known |= !strcmp(st, STATUSES[i]);
    if (!known)
        return errbuf_fail(err, errlen, "trace.evaluation: key 'status': unknown status '%s'", st);
    json_t *env = json_object_get(ev, "environment");
    if (!json_is_object(env))
        return errbuf_fail(err, errlen, "trace.evaluation: key 'environment': expected an object");
    if (need_string(env, "trace.evaluation.environment", "hardware", err, errlen)) return -1;
    json_t *libs = json_object_get(env, "libs");
    if (libs && !json_is_object(libs))
        return errbuf_fail(err, errlen,
                           "trace.evaluation.environment: key 'libs': expected an object");
    json_t *log = json_object_get(ev, "log");
    if (log && !json_is_string(log))
        return errbuf_fail(err, errlen, "trace.evaluation: key 'log': expected a string");
    int passed = !strcmp(st, "PASSED"), numerical = !strcmp(st, "INCORRECT_NUMERICAL");
    json_t *corr = json_object_get(ev, "correctness"), *perf = json_object_get(ev, "performance");
    if (corr && json_is_null(corr)) corr = NULL;
    if (perf && json_is_null(perf)) perf = NULL;
    if ((passed || numerical) && !corr)
        return errbuf_fail(err, errlen, "trace.evaluation: status %s needs 'correctness'", st);
    if (!(passed || numerical) && corr)
        return errbuf_fail(err, errlen, "trace.evaluation: status %s must not have 'correctness'",
                           st);
    if (passed && !perf)
        return errbuf_fail(err, errlen, "trace.evaluation: status %s needs 'performance'", st);
    if (!passed && perf)
        return errbuf_fail(err, errlen, "trace.evaluation: status %s must not have 'performance'",
                           st);
    static const char *const ck[] = {"max_relative_error", "max_absolute_error", NULL};
    static const char *const pk[] = {"latency_ms", "reference_latency_ms", "speedup_factor", NULL};
    if (corr && need_figures(corr, "trace.evaluation.correctness", ck, err, errlen)) return -1;
    if (perf && need_figures(perf, "trace.evaluation.performance", pk, err, errlen)) return -1;
    return 0;
}

/* ---- files ---- */

static int mkdirs(const char *path, char *err, size_t errlen)
{
    char buf[1024];
    snprintf(buf, sizeof buf, "%s", path);
    for (char *p = buf + 1;; p++) {
        if (*p == '/' || !*p) {
            char c = *p;
            *p = 0;
            if (mkdir(buf, 0777) && errno != EEXIST)
                return errbuf_fail(err, errlen, "cannot create %s: %s", buf, strerror(errno));
            if (!c) break;
            *p = c;
        }
    }
    return 0;
}

int export_write(const evo_task *t, const json_t *record, const char *rendered,
                 const export_info *info, const char *out_dir, int *ntraces, char *err,
                 size_t errlen)
{
    *ntraces = 0;
    /* Each of these becomes one folder or file name below out_dir: a name from a definition,
     * a stored record or a caller that is not plain ("../../..", "a/b") would write outside it
     * (evo/base/safe_path.h). op_type is optional in a definition. */
    const char *part[][2] = {{"author", info->author},
                             {"definition op_type", t->def.op_type[0] ? t->def.op_type : "x"},
                             {"definition name", t->def.name},
                             {"solution name", info->name}};
    for (size_t i = 0; i < sizeof part / sizeof part[0]; i++)
        if (!safe_name(part[i][1])) {
            char shown[600];
            return errbuf_fail(err, errlen,
                               "%s '%s' is not a plain name (letters, digits, '.', '_', '-'; no "
                               "leading dot): it cannot name a file below %s",
                               part[i][0], safe_text(part[i][1], shown, sizeof shown), out_dir);
        }
    char perr[512];
    evo_plan *p = plan_parse(rendered, t, perr, sizeof perr);
    if (!p)
        return errbuf_fail(err, errlen, "candidate %lld: %s",
                           (long long)json_integer_value(json_object_get(record, "id")), perr);
    json_t *sol = export_solution(t, p, rendered, info, err, errlen);
    plan_free(p);
    if (!sol) return -1;
    char dir[1024], file[1400];
    int rc = -1;
    snprintf(dir, sizeof dir, "%s/solutions/%s/%s/%s", out_dir, info->author, t->def.op_type,
             t->def.name);
    if (export_check_solution(sol, err, errlen) || mkdirs(dir, err, errlen)) goto out;
    snprintf(file, sizeof file, "%s/%s.json", dir, info->name);
    if (json_dump_file(sol, file, JSON_INDENT(2))) {
        errbuf_fail(err, errlen, "cannot write %s: %s", file, strerror(errno));
        goto out;
    }
    snprintf(dir, sizeof dir, "%s/traces/%s/%s", out_dir, info->author, t->def.op_type);
    if (mkdirs(dir, err, errlen)) goto out;
    snprintf(file, sizeof file, "%s/%s.jsonl", dir, t->def.name);
    FILE *f = fopen(file, "w");
    if (!f) {
        errbuf_fail(err, errlen, "cannot write %s: %s", file, strerror(errno));
        goto out;
    }
    rc = 0;
    for (int i = 0; i < t->nworkloads && rc == 0; i++) {
        json_t *tr = export_trace(t, &t->workloads[i], record, info);
        if (!tr) continue;
        char *line = NULL;
        if (export_check_trace(tr, err, errlen) == 0 && (line = json_dumps(tr, JSON_COMPACT))) {
            fprintf(f, "%s\n", line);
            (*ntraces)++;
        } else {
            rc = -1;
        }
        free(line);
        json_decref(tr);
    }
    if (fclose(f) && rc == 0)
        rc = errbuf_fail(err, errlen, "cannot write %s: %s", file, strerror(errno));
out:
    json_decref(sol);
    return rc;
}
