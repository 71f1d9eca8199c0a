"""The binding's table of C signatures (evo/_capi.py) against evo/evo.h as it is now: a header
change that alters a bound function or struct evo_evaluator fails here, not in memory."""
import os
import re

import evo
from evo import _capi

from conftest import REPO


def canon(decl):
    """A C type (maybe with a parameter name) spelled canonically: tokens joined by spaces."""
    tokens = re.findall(r"\.\.\.|\w+|\*|\[\w*\]", decl)
    if len(tokens) > 1 and re.match(r"\w+$", tokens[-1]) and tokens[-1] not in ("const",) \
            and not (len(tokens) == 2 and tokens[0] in ("const", "unsigned")):
        tokens = tokens[:-1]  # the parameter's name
    return " ".join(tokens)


def strip(text):
    text = re.sub(r"/\*.*?\*/", " ", text, flags=re.S)
    text = re.sub(r"//[^\n]*", " ", text)
    text = re.sub(r'extern\s+"C"\s*\{', " ", text)
    return re.sub(r"^\s*#[^\n]*", " ", text, flags=re.M)


def header():
    with open(os.path.join(REPO, "evo", "evo.h")) as f:
        h = f.read()
    with open(os.path.join(REPO, "evo", "base", "evo_status.h")) as f:
        return strip(f.read()) + strip(h)


def params_of(text):
    text = text.strip()
    if text in ("", "void"):
        return []
    return [canon(p) for p in text.split(",")]


def prototypes(text):
    """name -> (return type, [parameter types]) of every function declared."""
    text = re.sub(r"typedef\s+(struct|enum)\s+\w*\s*\{.*?\}\s*\w+\s*;", " ", text, flags=re.S)
    out = {}
    for stmt in text.split(";"):
        stmt = " ".join(stmt.split())
        if stmt.startswith("typedef") or "{" in stmt or "}" in stmt:
            stmt = stmt.split("}")[-1].strip()
            if not stmt or stmt.startswith("typedef"):
                continue
        m = re.match(r"(.+?)\b(evo_\w+)\s*\((.*)\)$", stmt)
        if m:
            out[m.group(2)] = (canon(m.group(1) + " x"), params_of(m.group(3)))
    return out


def struct_fields(text, name):
    m = re.search(r"typedef struct %s \{(.*?)\} %s;" % (name, name), text, flags=re.S)
    assert m, f"struct {name} not found in evo.h"
    fields = []
    for stmt in m.group(1).split(";"):
        stmt = " ".join(stmt.split())
        if not stmt:
            continue
        fp = re.match(r"(.+?)\(\s*\*\s*(\w+)\s*\)\s*\((.*)\)$", stmt)
        if fp:
            fields.append((fp.group(2), (canon(fp.group(1) + " x"), params_of(fp.group(3)))))
        elif stmt.endswith("]"):  # an array: int64_t failures[EVO_STATUS_COUNT]
            mm = re.match(r"(.+?)(\w+)\s*\[\s*([^\]]+?)\s*\]$", stmt)
            fields.append((mm.group(2), canon(mm.group(1) + " x") + f" [{mm.group(3)}]"))
        else:
            mm = re.match(r"(.+?)(\w+)$", stmt)
            fields.append((mm.group(2), canon(mm.group(1) + " x")))
    return fields


def test_parser_reads_the_header():
    protos = prototypes(header())
    # A few the parser must get right, or the comparison below proves nothing.
    assert protos["evo_engine_open"] == ("int", ["evo_engine * *", "const char *",
                                                 "const evo_config *"])
    assert protos["evo_result_set_error"] == ("void", ["evo_result *", "const char *", "..."])
    assert protos["evo_version"] == ("const char *", [])
    assert len(protos) > 80


def test_every_bound_function_matches_the_header():
    protos = prototypes(header())
    wrong = []
    for name, ret, params in _capi.FUNCTIONS:
        want = (canon(ret + " x"), [canon(p + " x") if p != "..." else "..." for p in params])
        if name not in protos:
            wrong.append(f"{name}: not declared in evo/evo.h")
        elif protos[name] != want:
            wrong.append(f"{name}: header {protos[name]}, binding {want}")
    assert not wrong, "\n".join(wrong)


def check_struct(cname, table, structure):
    fields = struct_fields(header(), cname)
    want = []
    for name, t in table:
        if isinstance(t, tuple):
            want.append((name, (canon(t[0] + " x"), [canon(p + " x") for p in t[1]])))
        else:
            want.append((name, canon(t + " x")))
    assert fields == want
    assert [f[0] for f in structure._fields_] == [f[0] for f in fields]


def test_evaluator_struct_matches_the_header():
    check_struct("evo_evaluator", _capi.EVALUATOR_FIELDS, _capi.Evaluator)


def test_operator_struct_matches_the_header():
    check_struct("evo_operator", _capi.OPERATOR_FIELDS, _capi.Operator)


def test_progress_struct_matches_the_header():
    check_struct("evo_progress", _capi.PROGRESS_FIELDS, _capi.Progress)
    assert _capi.STATUS_COUNT == len(evo.Status)


def test_every_type_in_the_table_has_a_ctypes_type():
    for name, ret, params in _capi.FUNCTIONS:
        for t in [ret] + params:
            assert t in _capi.TYPES, f"{name}: no ctypes type for {t!r}"


def test_codes_and_statuses_match_the_header():
    text = header()
    codes = dict((k, int(v)) for k, v in re.findall(r"EVO_(E\w+|OK)\s+(\d+)", open(
        os.path.join(REPO, "evo", "base", "evo_status.h")).read()))
    for k, v in codes.items():
        assert getattr(evo, k) == v, k
    m = re.search(r"typedef enum evo_status \{(.*?)\} evo_status;", open(
        os.path.join(REPO, "evo", "base", "evo_status.h")).read(), flags=re.S)
    names = [re.sub(r"=.*", "", n).strip()[len("EVO_STATUS_"):]
             for n in strip(m.group(1)).split(",") if n.strip()]
    assert names[-1] == "COUNT"
    assert [s.name for s in evo.Status] == names[:-1]
    for s in evo.Status:  # and the library names them alike
        assert _capi.text(_capi.lib().evo_status_name(int(s))) == s.name
    assert text


def test_library_is_the_one_asked_for():
    want = os.environ.get("EVO_LIBRARY")
    if want:
        assert os.path.realpath(evo.library_path()) == os.path.realpath(want)
    assert evo.version() == evo.__version__
