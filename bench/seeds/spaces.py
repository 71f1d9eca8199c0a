#!/usr/bin/env python3
"""spaces.py -- enumerate the evo:params space of seed kernels (as evo/space.c reads it:
pow2/set/range/bool/enum domains and `require` constraints over params and constants) and
compile sampled valid points with nvcc, so every region of a space is known to build.

  bench/seeds/spaces.py count FILE...              valid / total points per file
  bench/seeds/spaces.py sample N SEED FILE...      print N random valid points per file
  bench/seeds/spaces.py compile N SEED ARCH FILE... nvcc -cubin N sampled points (+ defaults)

Constraint expressions use the C-like grammar of evo/expr.h; they are evaluated here in
Python after mapping && || ! ?: and C integer division. SMEM_LIMIT = 232448 (H100 opt-in)."""
import itertools, random, re, subprocess, sys, os, tempfile

CONSTANTS = {"SMEM_LIMIT": 232448, "SM_COUNT": 132, "WARP_SIZE": 32}


def parse(path):
    text = open(path).read()
    m = re.search(r"/\*\s*evo:params(.*?)\*/", text, re.S)
    params, reqs = [], []
    if not m:
        return params, reqs
    for line in m.group(1).splitlines():
        line = line.split("#")[0].strip().lstrip("*").strip()
        if not line:
            continue
        w = line.split()
        if w[0] == "require":
            reqs.append(" ".join(w[1:]))
            continue
        name, kind = w[0], w[1]
        rest = w[2:]
        default = None
        if "default" in rest:
            i = rest.index("default")
            default = int(rest[i + 1])
            rest = rest[:i]
        if kind == "pow2":
            lo, hi = map(int, rest[0].split(".."))
            vals, v = [], 1
            while v <= hi:
                if v >= lo:
                    vals.append(v)
                v *= 2
        elif kind == "set":
            vals = [int(x) for x in rest]
        elif kind == "range":
            lo, hi = map(int, rest[0].split(".."))
            step = int(rest[2]) if len(rest) > 2 and rest[1] == "step" else 1
            vals = list(range(lo, hi + 1, step))
        elif kind == "bool":
            vals = [0, 1]
        else:
            raise SystemExit("%s: unsupported kind %s" % (path, kind))
        params.append((name, vals, default if default is not None else vals[0]))
    return params, reqs


def to_py(expr):
    e = expr.replace("&&", " and ").replace("||", " or ")
    e = re.sub(r"!(?!=)", " not ", e)
    # a ? b : c  ->  (b if a else c)   (one level is all the seeds use)
    m = re.match(r"(.*?)\((\s*\w+\s*)\?(.*?):(.*?)\)(.*)", e)
    while m:
        e = "%s((%s) if (%s) else (%s))%s" % (m.group(1), m.group(3), m.group(2), m.group(4), m.group(5))
        m = re.match(r"(.*?)\((\s*\w+\s*)\?(.*?):(.*?)\)(.*)", e)
    e = e.replace("/", "//")
    return e


def valid(point, reqs):
    env = dict(CONSTANTS)
    env.update(point)
    return all(eval(to_py(r), {}, env) for r in reqs)


def points(path):
    params, reqs = parse(path)
    names = [p[0] for p in params]
    allp = [dict(zip(names, combo)) for combo in itertools.product(*[p[1] for p in params])]
    return params, [p for p in allp if valid(p, reqs)], len(allp)


def main():
    cmd = sys.argv[1]
    if cmd == "count":
        for f in sys.argv[2:]:
            params, ok, total = points(f)
            default = {p[0]: p[2] for p in params}
            print("%-40s %6d valid of %7d  default valid: %s" % (f, len(ok), total, valid(default, parse(f)[1])))
        return
    n, seed = int(sys.argv[2]), int(sys.argv[3])
    if cmd == "sample":
        for f in sys.argv[4:]:
            _, ok, _ = points(f)
            rng = random.Random(seed)
            for p in rng.sample(ok, min(n, len(ok))):
                print(f, ",".join("%s=%d" % kv for kv in p.items()))
        return
    arch = sys.argv[4]
    fails = 0
    for f in sys.argv[5:]:
        params, ok, _ = points(f)
        rng = random.Random(seed)
        pts = [{p[0]: p[2] for p in params}] + rng.sample(ok, min(n, len(ok)))
        for p in pts:
            for bf in ([False, True] if "gemm" in f else [False]):
                d = ["-D%s=%d" % kv for kv in p.items()] + (["-DEVO_BF16=1"] if bf else [])
                out = tempfile.mktemp(suffix=".cubin")
                r = subprocess.run(["nvcc", "-std=c++17", "-arch=" + arch, "-cubin", "-Xptxas", "-v",
                                    "-o", out, f] + d, capture_output=True, text=True)
                if os.path.exists(out):
                    os.unlink(out)
                log = r.stderr
                spill = re.findall(r"(\d+) bytes spill stores", log)
                bad = r.returncode != 0 or any(int(x) > 0 for x in spill) or "warning" in log or "C7515" in log
                fails += bad
                print("%s %s %s %s%s" % ("FAIL" if bad else "ok  ", arch, f, " ".join(d),
                                         ("\n" + log) if bad else ""), flush=True)
    print("failures:", fails)
    sys.exit(1 if fails else 0)


if __name__ == "__main__":
    main()
