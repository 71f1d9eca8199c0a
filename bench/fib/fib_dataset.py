#!/usr/bin/env python3
"""fib_dataset.py ROOT EXPORT_DIR DEFINITION DS NWORKLOADS PATCH -- assembles a FlashInfer Trace
dataset in DS for bench/fib/fib_validate.sh: definitions/ and workloads/ (and blob/) from the task
folder under ROOT/kernels whose definition.json is DEFINITION, solutions/ from every Solution
JSON below EXPORT_DIR for it (evo's own traces are not copied). NWORKLOADS > 0 keeps the first
N workloads. PATCH=1: for a Solution whose entry file #includes another compiled source (the
export layout before bbb5d47), also add a copy with that source renamed to a header."""
import glob
import json
import os
import re
import shutil
import sys

COMPILED = (".cu", ".cpp", ".cc", ".cxx", ".c")


def main():
    root, export_dir, defname, ds, nwl, patch = sys.argv[1:7]
    nwl, patch = int(nwl), patch == "1"
    task = None
    for p in sorted(glob.glob(os.path.join(root, "kernels", "*", "definition.json"))):
        if json.load(open(p)).get("name") == defname:
            task = os.path.dirname(p)
    if not task:
        sys.exit("fib_dataset: no task folder under %s/kernels has definition %s" % (root, defname))
    defn = json.load(open(os.path.join(task, "definition.json")))
    op = defn.get("op_type") or "x"
    for sub in ("definitions", "workloads"):
        os.makedirs(os.path.join(ds, sub, op))
    shutil.copy(os.path.join(task, "definition.json"), os.path.join(ds, "definitions", op, defname + ".json"))
    lines = [l for l in open(os.path.join(task, "workloads.jsonl")) if l.strip()]
    if nwl:
        lines = lines[:nwl]
    open(os.path.join(ds, "workloads", op, defname + ".jsonl"), "w").write("".join(lines))
    if os.path.isdir(os.path.join(task, "blob")):
        shutil.copytree(os.path.join(task, "blob"), os.path.join(ds, "blob"))
    n = 0
    for p in sorted(glob.glob(os.path.join(export_dir, "**", "*.json"), recursive=True)):
        try:
            s = json.load(open(p))
        except Exception:  # noqa: BLE001
            continue
        if not isinstance(s, dict) or s.get("definition") != defname or "sources" not in s:
            continue
        d = os.path.join(ds, "solutions", s.get("author", "evo"), op, defname)
        os.makedirs(d, exist_ok=True)
        shutil.copy(p, d)
        n += 1
        files = [f["path"] for f in s["sources"]]
        print("fib_validate: solution %s (%s): sources %s, entry %s" % (s["name"], p, files, s["spec"]["entry_point"]))
        entry = s["spec"]["entry_point"].split("::")[0]
        ent = next(f for f in s["sources"] if f["path"] == entry)
        inc = [x for x in re.findall(r'#include\s+"([^"]+)"', ent["content"])
               if x in files and x != entry and os.path.splitext(x)[1] in COMPILED]
        if inc:
            print("fib_validate: %s: the entry file #includes %s, which TorchBuilder also compiles: "
                  "expect 'multiple definition' (an export made before bbb5d47)%s"
                  % (s["name"], inc, "; also running a copy with it renamed to a header" if patch else ""))
        if inc and patch:
            s2 = json.loads(json.dumps(s))
            s2["name"] = s["name"] + "__hdr"
            for f in s2["sources"]:
                if f["path"] in inc:
                    f["path"] += "h"
                if f["path"] == entry:
                    for x in inc:
                        f["content"] = f["content"].replace('#include "%s"' % x, '#include "%sh"' % x)
            json.dump(s2, open(os.path.join(d, s2["name"] + ".json"), "w"), indent=1)
    if not n:
        sys.exit("fib_dataset: no Solution for %s under %s" % (defname, export_dir))
    print("fib_validate: dataset %s: %d workloads from %s" % (ds, len(lines), task))


if __name__ == "__main__":
    main()
