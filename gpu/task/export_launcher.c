/* export_launcher.c -- kernel.cu of an exported Solution (see export.h), generated
 * mechanically from the parsed launch plan: the plan's grid/block/smem/workspace expressions
 * are emitted as C++ with the plan's functions renamed into a small helper set, and each kernel
 * is launched with its arguments cast to the pointer types the definition's dtypes give. No
 * text in it comes from a model. */
#include "export_launcher.h"
#include "errbuf.h"
#include "export_text.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "expr.h"

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
        x = export_tensor(t, a->index);
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

char *export_launcher(const evo_task *t, const evo_plan *p, const char *rendered, char *err,
                      size_t errlen)
{
    sbuf b = {0};
    int facts = plan_uses_facts(p), fp8 = 0;
    for (int i = 0; i < t->def.ninputs + t->def.noutputs; i++)
        fp8 |= export_tensor(t, i)->dtype == DT_FLOAT8_E4M3 ||
               export_tensor(t, i)->dtype == DT_FLOAT8_E5M2;
    for (int w = 0; w < p->nworkspaces; w++)
        fp8 |= p->workspaces[w].dtype == DT_FLOAT8_E4M3 || p->workspaces[w].dtype == DT_FLOAT8_E5M2;
    sb_printf(&b,
              "// kernel.cu -- the candidate's kernels (kernel.cuh) and their launches, generated "
              "by `evo export`\n"
              "// from its evo:launch plan (definition %s). The only CUDA translation unit of the\n"
              "// Solution, with no torch or TVM-FFI header in it: the binding (binding.cc or\n"
              "// binding.cpp) checks the tensors and calls evo_plan_launch. Generated code: edit "
              "the plan,\n"
              "// not this file.\n"
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
    if (export_needs_sm90a(rendered))
        sb_printf(&b, "#if defined(__CUDA_ARCH__) && !defined(__CUDA_ARCH_FEAT_SM90_ALL)\n"
                      "#error \"this candidate uses sm_90a instructions (wgmma/setmaxnreg): build "
                      "with TVM_FFI_CUDA_ARCH_LIST=9.0a (TVM-FFI) or TORCH_CUDA_ARCH_LIST=9.0a "
                      "(torch); both target sm_90 otherwise\"\n#endif\n");
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
    sb_printf(&b, "static int evo_plan_launch_on(int dev, const long long *axes, void *const "
                  "*tensors,\n"
                  "                              const double *scalars, void *const *workspaces,\n"
                  "                              cudaStream_t stream, int *failed)\n{\n"
                  "    (void)tensors;\n    (void)scalars;\n    (void)workspaces;\n");
    emit_names(&b, t, facts);
    for (int k = 0; k < p->nkernels; k++)
        launcher_kernel(&b, t, p, k);
    sb_printf(&b,
              "    return 0;\n}\n\n"
              "// The plan's kernels, in order, on stream (a cudaStream_t), with device dev made "
              "current\n"
              "// for the launches and the caller's device given back. tensors[i] and scalars[i] "
              "are the\n"
              "// definition's inputs then outputs (nullptr for an absent optional input); 0 or "
              "the CUDA\n"
              "// error, with *failed the plan index of the kernel that failed (-1: the device "
              "switch).\n"
              "extern \"C\" int evo_plan_launch(int dev, const long long *axes, void *const "
              "*tensors,\n"
              "                                 const double *scalars, void *const *workspaces, "
              "void *stream,\n"
              "                                 int *failed)\n{\n"
              "    int cur = -1;\n    cudaError_t e = cudaGetDevice(&cur);\n"
              "    if (e == cudaSuccess && cur != dev) e = cudaSetDevice(dev);\n"
              "    if (e != cudaSuccess) {\n        *failed = -1;\n        return (int)e;\n    }\n"
              "    const int r = evo_plan_launch_on(dev, axes, tensors, scalars, workspaces,\n"
              "                                     static_cast<cudaStream_t>(stream), failed);\n"
              "    if (cur != dev) cudaSetDevice(cur);\n    return r;\n}\n\n"
              "// The text of a CUDA error, for a binding compiled without CUDA's headers.\n"
              "extern \"C\" const char *evo_error_string(int e)\n{\n"
              "    return cudaGetErrorString(static_cast<cudaError_t>(e));\n}\n");
    if (b.oom) {
        free(b.s);
        errbuf_fail(err, errlen, "launcher: out of memory");
        return NULL;
    }
    return b.s;
}
