"""Running a shipped config and reading the run back: configs/synthetic.json (the synthetic
evaluator, CPU only), the errors of the C API as exceptions with their codes."""
import json
import os

import pytest

import evo

from conftest import REPO


@pytest.fixture(scope="module")
def synthetic_run(tmp_path_factory):
    d = tmp_path_factory.mktemp("synthetic") / "run"
    return evo.run_config(os.path.join(REPO, "configs", "synthetic.json"), str(d)), d


def test_run_config_runs_to_its_stop_condition(synthetic_run):
    run, _ = synthetic_run
    st = run.status()
    assert st["counters"]["finished"] is True
    assert st["counters"]["evaluations"] == len(run) > 1
    best = run.best()
    assert best.status == evo.Status.PASSED
    assert best.fitness == st["counters"]["best_fitness"]
    assert best.id == st["counters"]["best_id"]
    assert best.fitness >= 0.9999  # the config's target_fitness stopped it
    assert run.config()["name"] == "synthetic"


def test_candidates_carry_their_record(synthetic_run):
    run, _ = synthetic_run
    cands = run.candidates()
    assert [c.id for c in cands] == list(range(1, len(run) + 1))
    seed = cands[0]
    assert seed.operator == "seed" and seed.parents == [] and seed.template == "synthetic"
    assert "evo:params" in seed.source and set(seed.params) == {f"P{i}" for i in range(6)}
    child = next(c for c in cands if c.parents)
    assert all(1 <= p < child.id for p in child.parents)
    assert child.operator in ("point", "multi", "crossover", "restart")
    assert child.hash == child.record["hash"] and len(child.hash) == 64
    assert "#define P0" in child.rendered
    with pytest.raises(evo.NotFoundError) as ei:
        run.candidate(len(run) + 1)
    assert ei.value.code == evo.ENOTFOUND and ei.value.code_name == "EVO_ENOTFOUND"


def test_log_as_dicts_and_as_a_dataframe(synthetic_run):
    run, _ = synthetic_run
    rows = run.log()
    assert len(rows) == len(run)
    assert rows[0]["id"] == 1 and rows[0]["operator"] == "seed" and rows[0]["parents"] == []
    assert isinstance(rows[-1]["best"], float)
    assert "w0.speedup" in rows[0]
    # The best so far never falls, and ends at the best candidate.
    bests = [r["best"] for r in rows]
    assert bests == sorted(bests) and bests[-1] == run.best().fitness
    pd = pytest.importorskip("pandas", reason="pandas is not installed (python3-pandas)")
    df = run.log_frame()
    assert isinstance(df, pd.DataFrame) and len(df) == len(run)
    assert list(df.columns[:4]) == ["index", "t", "island", "id"]
    assert df["best"].is_monotonic_increasing
    assert df["fitness"].max() == run.best().fitness


def test_log_frame_without_pandas_names_the_fix(synthetic_run, monkeypatch):
    import builtins
    real = builtins.__import__

    def no_pandas(name, *a, **k):
        if name == "pandas":
            raise ImportError("No module named 'pandas'")
        return real(name, *a, **k)

    monkeypatch.setattr(builtins, "__import__", no_pandas)
    with pytest.raises(ImportError, match="needs pandas.*Run.log"):
        synthetic_run[0].log_frame()


def test_a_run_directory_that_holds_a_run_is_refused(synthetic_run):
    _, d = synthetic_run
    with pytest.raises(evo.StoreError) as ei:
        evo.run_config(os.path.join(REPO, "configs", "synthetic.json"), str(d))
    assert ei.value.code == evo.ESTORE and str(d) in str(ei.value)


def test_config_errors_name_file_and_key(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"evaluator": {"kind": "synthetic"}, "concurency": 2}))
    with pytest.raises(evo.ConfigError) as ei:
        evo.run_config(str(bad), str(tmp_path / "run"))
    assert ei.value.code == evo.ECONFIG
    assert "bad.json" in ei.value.message and "concurency" in ei.value.message
    assert "concurrency" in ei.value.message  # the nearest valid key
    assert not (tmp_path / "run").exists()
    with pytest.raises(evo.EvoError) as ei:
        evo.Config.load(str(tmp_path / "missing.json"))
    assert "missing.json" in ei.value.message


def test_a_gpu_config_without_a_gpu_raises_nogpu(tmp_path):
    # This machine (and CI) has no GPU: the GPU evaluator's start fails with EVO_ENOGPU.
    with pytest.raises(evo.NoGPUError) as ei:
        evo.run_config(os.path.join(REPO, "configs", "quickstart.json"), str(tmp_path / "r"))
    assert ei.value.code == evo.ENOGPU == 10 and ei.value.code_name == "EVO_ENOGPU"
    assert ei.value.message
    assert isinstance(ei.value, evo.EvoError)


def test_reading_a_missing_run(tmp_path):
    with pytest.raises(evo.EvoError) as ei:
        evo.Run(str(tmp_path / "nothing"))
    assert str(tmp_path / "nothing") in ei.value.message


def test_the_readme_example_runs(tmp_path, monkeypatch, capsys):
    pytest.importorskip("pandas", reason="the README's example prints a DataFrame (pandas)")
    with open(os.path.join(REPO, "README.md")) as f:
        readme = f.read()
    section = readme.split("### Python", 1)[1]
    code = section.split("```python\n", 1)[1].split("```", 1)[0]
    for d in ("configs", "kernels"):
        os.symlink(os.path.join(REPO, d), tmp_path / d)
    monkeypatch.chdir(tmp_path)
    exec(compile(code, "README.md", "exec"), {"__name__": "readme"})
    out = capsys.readouterr().out
    assert "PASSED fitness=" in out and "of 40" in out and "w0.latency_us" in out
    assert "EVO_ENOGPU" in out  # no GPU here: the shipped GPU config raises NoGPUError
