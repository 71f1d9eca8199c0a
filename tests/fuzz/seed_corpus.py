#!/usr/bin/env python3
"""seed_corpus.py -- (re)make the seed files of the fuzz corpora (tests/fuzz/corpus/NAME/seed-*)
and the dictionaries (tests/fuzz/NAME.dict)
from the project's own examples: configs/, tests/configs/, kernels/, tests/tasks/, the
loopback model's replies, and a few FlashInfer Trace files of ../shared/flashinfer-trace
(Apache-2.0, see its LICENSE). Inputs that once failed (corpus/NAME/regress-*) and anything
else in the folders are left alone. Run from anywhere: python3 tests/fuzz/seed_corpus.py"""
import glob
import hashlib
import json
import os
import re

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
TRACE = os.path.join(os.path.dirname(ROOT), "shared", "flashinfer-trace")
SEP = "\n%%\n"


def read(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


def head(path, n):
    return "".join(read(path).splitlines(keepends=True)[:n])


def out(target, name, text):
    d = os.path.join(HERE, "corpus", target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "seed-" + name), "w", encoding="utf-8") as f:
        f.write(text)


def top_level_split(text):
    """text cut at the commas outside parentheses."""
    parts, depth, cur = [], 0, ""
    for c in text:
        depth += (c == "(") - (c == ")")
        if c == "," and depth == 0:
            parts.append(cur)
            cur = ""
        else:
            cur += c
    return parts + [cur]


def clear(target):
    for p in glob.glob(os.path.join(HERE, "corpus", target, "seed-*")):
        os.remove(p)


TASKS = ["gemm", "gemm_bf16", "rmsnorm", "gdn_decode", "gdn_prefill"]
SEEDS = sorted(glob.glob(os.path.join(ROOT, "kernels", "*", "*.cu")))

# config: every shipped and test config
clear("config")
for p in sorted(glob.glob(os.path.join(ROOT, "configs", "*.json")) +
                glob.glob(os.path.join(ROOT, "tests", "configs", "*", "*.json"))):
    kind = os.path.basename(os.path.dirname(p))
    out("config", f"{kind}-{os.path.basename(p)}", read(p))

# trace: a definition, then a few of its workloads
clear("trace")
for t in TASKS:
    d = os.path.join(ROOT, "kernels", t)
    out("trace", t, read(os.path.join(d, "definition.json")) + SEP +
        head(os.path.join(d, "workloads.jsonl"), 4))
for p in sorted(glob.glob(os.path.join(TRACE, "definitions", "*", "*.json"))):
    name = os.path.splitext(os.path.basename(p))[0]
    w = glob.glob(os.path.join(TRACE, "workloads", "*", name + ".jsonl"))
    out("trace", "flashinfer-" + name, read(p) + SEP + (head(w[0], 3) if w else ""))

# task: task.json (seeds renamed to the target's own files), definition, workloads
clear("task")
for d in [os.path.join(ROOT, "kernels", t) for t in TASKS] + \
        sorted(glob.glob(os.path.join(ROOT, "tests", "tasks", "*"))):
    task = json.loads(read(os.path.join(d, "task.json")))
    seeds = task.get("seeds", [])
    for i, s in enumerate(seeds[:4]):
        name = "seed.cu" if i == 0 else "seed%d.cu" % (i + 1)
        seeds[i] = dict(s, file=name) if isinstance(s, dict) else name
    task["seeds"] = seeds[:4]
    if task.get("baseline", {}).get("kind") == "kernel":
        task["baseline"]["source"] = "baseline.cu"
    wl = "".join(l for l in head(os.path.join(d, task["workloads"]), 4).splitlines(True)
                 if "safetensors" not in l)
    out("task", os.path.basename(d), json.dumps(task, indent=1) + SEP +
        read(os.path.join(d, task["definition"])) + SEP + wl)

task = json.loads(read(os.path.join(ROOT, "kernels", "rmsnorm", "task.json")))
task.update(seeds=["seed.cu", {"file": "seed2.cu", "archs": ["sm_90a", "sm_100a"]}],
            defines={"T": "__half", "N": 4}, nvrtc_options=["--use_fast_math"],
            input_scale={"weight": 0.5}, baseline={"kind": "kernel", "source": "baseline.cu"},
            tolerance={"atol": 1, "rtol": 0.3, "required_ratio": 0.9, "row_min_ratio": 0.5})
out("task", "every-key", json.dumps(task, indent=1) + SEP +
    read(os.path.join(ROOT, "kernels", "rmsnorm", "definition.json")) + SEP +
    head(os.path.join(ROOT, "kernels", "rmsnorm", "workloads.jsonl"), 2))

# params and launch: every seed kernel as shipped
clear("params")
clear("launch")
for p in SEEDS:
    name = os.path.basename(os.path.dirname(p)) + "-" + os.path.basename(p)
    out("params", name, read(p))
    out("launch", name, read(p))

# expr: every constraint of the seeds' evo:params blocks, every expression of their plans
clear("expr")
exprs = []
for p in SEEDS:
    for line in read(p).splitlines():
        m = re.match(r"\s*\*?\s*require\s+(.*?)\s*(#.*)?$", line)
        if m:
            exprs.append(m.group(1))
        m = re.match(r"\s*\*?\s*(grid|block|smem|when|workspace\s+\S+\s+\S+)\s+(.*?)\s*(#.*)?$",
                     line)
        if m:
            exprs.extend(e.strip() for e in (top_level_split(m.group(2)) if m.group(1) in
                                             ("grid", "block") else [m.group(2)]))
exprs += ["min(BM, 64) * max(1, BK) + ceil_div(M, 7) - align_up(N, 16) % 5",
          "log2(4096) == 12 && pow2(3) != 9 || !abs(-2)", "M > 2 ? M / 2 : -M"]
for i, e in enumerate(dict.fromkeys(exprs)):
    out("expr", f"{i:03d}", e)

# edit: a parent seed, then a model reply (a rewrite, SEARCH/REPLACE, prose)
clear("edit")
script = json.loads(read(os.path.join(ROOT, "tests", "llm_loopback_script.json")))
replies = [r["reply"] for role in script.get("roles", {}).values() for r in role
           if isinstance(r, dict) and "reply" in r]
synthetic = ("/* evo:params\n   P0 range 0..15 default 3\n*/\n/* evo:launch\n   kernel synthetic\n"
             "     grid 1\n     block 32\n*/\n"
             "/* a synthetic genome: the evaluator reads only its parameters */\n")
for i, r in enumerate(replies):
    out("edit", f"loopback-{i:02d}", synthetic + SEP + r)
simt = read(os.path.join(ROOT, "kernels", "gemm", "gemm_simt.cu"))
lines = simt.splitlines()
out("edit", "gemm-diff", simt + SEP + "Tile wider.\n<<<<<<< SEARCH\n" + "\n".join(lines[36:39]) +
    "\n=======\n#ifndef BM\n#define BM 128\n#endif\n>>>>>>> REPLACE\n")
out("edit", "gemm-rewrite", simt + SEP + "The whole kernel:\n```cuda\n" + simt + "```\nDone.\n")

# record: candidate #3's stored value as a synthetic run of configs/synthetic.json wrote it
# (sealed as evo-store-2 seals it, and bare as evo-store-1 stored it), and variants of it
clear("record")
RECORD = json.loads('{"id":3,"hash":"39cf899cde1b0cc4ac2d1d9be34453864ab451097d721e8d6a456b8a9c26aba4","template":"synthetic","source_sha":"a2a00e2386f4eae3af2bb7405880f13be860dce81faff7fa844ce5a1b38ec2d1","params":{"P0":"1","P1":"0","P2":"2","P3":"1","P4":"0","P5":"0"},"parents":[2],"repair_of":null,"island":1,"operator":"multi","status":"PASSED","fitness":0.093226511289147856,"label":"improvement","error":null,"metrics":{"fitness_measured":0.093226511289147856,"confirm_ratio":1.0415149308084488,"confirm_noise":0.0,"confirm_rounds":3.0,"confirmed":1.0},"workloads":{"w0":{"latency_us":1072.65625,"baseline_us":100.0,"speedup":0.093226511289147856}},"artifacts":{},"notes":{},"usage":{},"t":0.013481834999765852,"eval_ms":0.018217000160802854,"session":1,"insight":"#3 multi on #2 (island 1): P0 0->1 P2 1->2 P3 0->1: improvement, 0.09323 (parent 0.08951)"}')


def seal(payload, rid=3):
    key = rid.to_bytes(8, "big")
    d = hashlib.sha256(len(key).to_bytes(8, "little") + key + payload).digest()
    return payload + b"evs2" + d[:8]


def out_bytes(target, name, data):
    with open(os.path.join(HERE, "corpus", target, "seed-" + name), "wb") as f:
        f.write(data)


variants = {
    "passed": RECORD,
    "seed": dict(RECORD, parents=[], operator="seed", label="seed"),
    "compile-error": dict(RECORD, status="COMPILE_ERROR", fitness=0.0, error="nvrtc: line 3",
                          metrics={}, workloads={}),
    "llm": dict(RECORD, operator="llm", parents=[1, 2], repair_of=2,
                usage={"model": "m", "tokens_in": 1200, "tokens_out": 300, "cost_usd": 0.01},
                notes={"plan": "tile wider", "kind": "diff"}, artifacts={"log": "x" * 40}),
    "params-numbers": dict(RECORD, params={"BM": 64, "X": 0.5, "E": "ROW"}),
}
os.makedirs(os.path.join(HERE, "corpus", "record"), exist_ok=True)
for name, rec in variants.items():
    text = json.dumps(rec, separators=(",", ":")).encode()
    out_bytes("record", name, seal(text))
out_bytes("record", "unsealed", json.dumps(RECORD, separators=(",", ":")).encode())

# dictionaries: the words of each language, for libFuzzer's -dict (run.sh passes NAME.dict)


def dict_entry(word):
    out = ""
    for ch in word.encode():
        c = chr(ch)
        if c in '\\"':
            out += "\\" + c
        elif 32 <= ch < 127:
            out += c
        else:
            out += "\\x%02X" % ch
    return '"%s"\n' % out


def write_dict(target, header, words):
    with open(os.path.join(HERE, target + ".dict"), "w", encoding="utf-8") as f:
        f.write("# %s (made by seed_corpus.py)\n" % header)
        f.writelines(dict_entry(w) for w in dict.fromkeys(words))


schema = read(os.path.join(ROOT, "evo", "config", "config_schema.c")) + \
    read(os.path.join(ROOT, "evo", "config", "config_schema_llm.c"))
keys = sorted({k for p in re.findall(r'\.path = "([^"]+)"', schema)
               for k in re.split(r"[.\[\]]+", p) if k} |
              {v for a in re.findall(r'\.allowed = "([^"]+)"', schema) for v in a.split("|")})
JSON = ["{", "}", "[", "]", ":", ",", '"', "true", "false", "null", "-1", "0", "1e308", "1.5",
        "9223372036854775807", "18446744073709551616", "\\u0000", "\\n"]
write_dict("config", "fuzz_config: the schema's keys and enum values, JSON tokens",
           ['"%s"' % k for k in keys] + JSON)
TRACE_WORDS = ["name", "op_type", "description", "tags", "axes", "constraints", "inputs",
               "outputs", "reference", "type", "var", "const", "value", "shape", "dtype",
               "optional", "definition", "solution", "workload", "evaluation", "uuid", "random",
               "scalar", "safetensors", "path", "tensor_key", "float32", "float16", "bfloat16",
               "float8_e4m3fn", "float8_e5m2", "float64", "int64", "int32", "int16", "int8",
               "uint8", "bool"]
write_dict("trace", "fuzz_trace: FlashInfer Trace keys and dtypes, JSON tokens, the separator",
           ['"%s"' % k for k in TRACE_WORDS] + JSON + [SEP, "\n"])
TASK_WORDS = ["workloads", "tolerance", "atol", "rtol", "required_ratio", "row_min_ratio",
              "row_max_error", "baseline", "kind", "cublas", "kernel", "none", "source", "cost",
              "bytes", "flops", "seeds", "file", "archs", "sm_90a", "defines", "nvrtc_options",
              "input_scale", "notes", "seed.cu", "seed2.cu", "seed3.cu", "seed4.cu", "baseline.cu", "definition.json",
              "workloads.jsonl"] + TASKS
write_dict("task", "fuzz_task: task.json and FlashInfer Trace keys, JSON tokens, the separator",
           ['"%s"' % k for k in TRACE_WORDS + TASK_WORDS] + JSON + [SEP])
write_dict("params", "fuzz_params: the evo:params language (evo/search/space.h)",
           ["/* evo:params\n", "*/", "evo:params", "pow2", "set", "range", "enum", "bool",
            "default", "step", "require", "..", "#", "//", "*", "#ifndef ", "#define ", "\n",
            "true", "false", "-9223372036854775808", "9223372036854775807", "65536",
            "ceil_div(", "min(", "<=", "&&", "SMEM_LIMIT", "SM_COUNT"])
write_dict("launch", "fuzz_launch: the evo:launch language (gpu/task/plan.h), kernel declarations",
           ["/* evo:launch\n", "*/", "evo:launch", "kernel ", "grid ", "block ", "smem ",
            "args ", "when ", "workspace ", "i64(", ",", "#", "//", 'extern "C"',
            'extern "C" {', "__global__", "void", "const", "float", "double", "int",
            "long long", "int64_t", "unsigned", "__half", "__nv_bfloat16", "*", "__restrict__",
            "(", ")", "{", "}", ";", "template<", "ceil_div(", "SM_COUNT", "SMEM_OPTIN",
            "L2_BYTES", "WARP_SIZE", "M", "N", "K", "A", "B", "C", "batch_size", "hidden_size",
            "output", "weight", "float32", "/* evo:params\n", "default", "pow2", "range"])
write_dict("expr", "fuzz_expr: the expression language (evo/base/expr.h)",
           ["min(", "max(", "ceil_div(", "align_up(", "log2(", "pow2(", "abs(", "?", ":", "||",
            "&&", "==", "!=", "<=", ">=", "<", ">", "+", "-", "*", "/", "%", "!", "(", ")", ",",
            "9223372036854775807", "9223372036854775808", "0", "1", "U", "ZERO"])
write_dict("edit", "fuzz_edit: SEARCH/REPLACE markers and fences (evo/llm/llm_edit.h)",
           ["<<<<<<< SEARCH\n", "=======\n", ">>>>>>> REPLACE\n", "```", "```cuda\n", SEP,
            "evo:launch", "evo:params", "__global__", "/* evo:launch\n", "*/", "\r\n", "    ",
            "\t"])
write_dict("record", "fuzz_record: a candidate record's keys and statuses, the seal's tag",
           ['"%s"' % k for k in list(RECORD) + list(variants["llm"]["usage"])] +
           ['"%s"' % s for s in ["PASSED", "PENDING", "INCORRECT_SHAPE", "INCORRECT_NUMERICAL",
                                 "COMPILE_ERROR", "TIMEOUT", "INVALID", "BEYOND_FLOOR"]] +
           JSON + ["evs2"])
