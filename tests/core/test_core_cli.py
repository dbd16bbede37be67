"""The CLI as a user meets it: list, run, leaderboard, a user's file, and one-line errors."""
from __future__ import annotations

from latentbench.cli import main


def test_list_shows_families_and_headlines(capsys):
    assert main(["list", "--methods"]) == 0
    out = capsys.readouterr().out
    assert "bounds\n" in out and "bounds/toy-mean" in out and "abs_error" in out and "toy-exact" in out


def test_run_then_leaderboard(tmp_path, capsys):
    store = str(tmp_path / "s.sqlite")
    assert main(["run", "bounds/toy-mean", "--seeds", "3", "--store", store, "--out", str(tmp_path / "lb")]) == 0
    out = capsys.readouterr().out
    assert "## bounds/toy-mean (smoke)" in out and "±" in out
    assert (tmp_path / "lb" / "bounds-toy-mean.md").exists()
    assert main(["leaderboard", "bounds/toy-mean", "--store", store, "--format", "csv"]) == 0
    assert "toy-exact" in capsys.readouterr().out


def test_run_logs_one_line_per_finished_cell_when_not_a_terminal(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("LATENTBENCH_PROGRESS", raising=False)
    assert main(["run", "bounds/toy-mean", "--seeds", "2", "--store", str(tmp_path / "s.sqlite"),
                 "--no-leaderboard"]) == 0
    err = capsys.readouterr().err
    lines = [ln for ln in err.splitlines() if ln.startswith("[")]
    n = len(lines)
    assert n >= 2 and lines[-1].startswith(f"[{n}/{n}] bounds/toy-mean")
    assert all(": ok in " in ln and "(smoke)" in ln for ln in lines)


def test_user_file_method_runs_without_editing_the_suite(tmp_path, capsys):
    f = tmp_path / "my_model.py"
    f.write_text("from latentbench.protocols import Estimate\nclass MyModel:\n"
                 "    def estimate(self, problem, budget, rng):\n        return Estimate(value=1.25)\n")
    store = str(tmp_path / "s.sqlite")
    assert main(["run", "bounds/toy-mean", "--method", f"{f}:MyModel", "--store", store]) == 0
    assert "MyModel" in capsys.readouterr().out


def test_one_line_errors(tmp_path, capsys):
    assert main(["run", "bounds/toy-maen", "--store", str(tmp_path / "s.sqlite")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "did you mean 'bounds/toy-mean'" in err
    assert main(["leaderboard", "bounds/toy-mean", "--store", str(tmp_path / "none.sqlite")]) == 2
    assert "no results store" in capsys.readouterr().err
    bad = tmp_path / "bad.sqlite"
    bad.write_text("garbage" * 50)
    assert main(["leaderboard", "bounds/toy-mean", "--store", str(bad)]) == 2
    assert "corrupt" in capsys.readouterr().err
    assert main(["run", "bounds/toy-mean", "--method", str(tmp_path / "nofile.py"), "--store", str(bad)]) == 2


def test_dry_run_lists_the_grid_with_what_a_run_would_do_and_runs_nothing(tmp_path, capsys):
    f = tmp_path / "flaky.py"
    f.write_text("from latentbench.protocols import Estimate\nclass Flaky:\n"
                 "    def estimate(self, problem, budget, rng):\n        raise RuntimeError('no luck')\n")
    store = tmp_path / "s.sqlite"
    exact = ["--method", "toy-exact"]
    assert main(["run", "bounds/toy-mean", *exact, "--seeds", "2", "--store", str(store), "--dry-run"]) == 0
    assert not store.exists()  # a dry run creates no store
    out = capsys.readouterr().out.splitlines()
    assert out[-1].startswith("2 cells: 2 to run (0 invalidated by a change), 0 stored as errors "
                              "(re-run), 0 already in")
    assert main(["run", "bounds/toy-mean", *exact, "--seeds", "1", "--store", str(store), "--no-leaderboard"]) == 0
    assert main(["run", "bounds/toy-mean", "--method", f"{f}:Flaky", "--store", str(store), "--no-leaderboard"]) == 0
    capsys.readouterr()
    assert main(["run", "bounds/toy-mean", *exact, "--seeds", "2", "--store", str(store), "--dry-run"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [ln.split()[0] + (" " + ln.split()[1] if ln.startswith("to run") else "") for ln in lines[:-1]] == [
        "stored", "to run"]
    assert lines[-1].startswith("2 cells: 1 to run (0 invalidated by a change), 0 stored as errors "
                                "(re-run), 1 already in")
    assert main(["run", "bounds/toy-mean", "--method", f"{f}:Flaky", "--store", str(store), "--dry-run"]) == 0
    flaky = capsys.readouterr().out.splitlines()
    assert flaky[0].startswith("error   bounds/toy-mean × Flaky seed 0 (smoke)") and "no luck" in flaky[0]
    n_cells = len(__import__("latentbench.results", fromlist=["ResultsStore"]).ResultsStore(store).cells())
    assert n_cells == 2  # the dry runs stored nothing


def test_dry_run_says_when_a_cell_resumes_from_checkpoints(tmp_path, capsys):
    from latentbench.runner import plan

    store = tmp_path / "s.sqlite"
    (cell, status, note), = plan("bounds/toy-mean", methods=["toy-exact"], store=store)
    assert status == "to run" and note is None
    folder = tmp_path / "s.sqlite.cells" / cell.key
    folder.mkdir(parents=True)
    (folder / "ais-curve-part000.json").write_text("{}")
    (folder / "ais-curve-part001.json").write_text("{}")
    assert main(["run", "bounds/toy-mean", "--method", "toy-exact", "--store", str(store), "--dry-run"]) == 0
    assert "resumes from 2 checkpoints" in capsys.readouterr().out


def test_publish_writes_the_site_unless_told_not_to(tmp_path):
    store = str(tmp_path / "s.sqlite")
    assert main(["run", "bounds/toy-mean", "--seeds", "2", "--store", store, "--no-leaderboard"]) == 0
    assert main(["publish", "--store", store, "--out", str(tmp_path / "site"), "--html", "--no-figures"]) == 0
    assert (tmp_path / "site" / "index.html").is_file() and (tmp_path / "site" / "bounds" / "toy-mean.html").is_file()
    assert main(["publish", "--store", store, "--out", str(tmp_path / "plain"), "--no-html", "--no-figures"]) == 0
    assert (tmp_path / "plain" / "bounds" / "toy-mean.md").is_file() and not list((tmp_path / "plain").rglob("*.html"))


def test_run_starts_the_contestants_fork_server_only_when_contestants_will_run(tmp_path, monkeypatch):
    """`run` starts the fork server before it builds its grid (its imports then overlap the runner's), told the run's
    selector — and not for a dry run or a trusted run, which fork no contestant."""
    from latentbench import runner
    from latentbench.isolation import process

    events: list[str] = []
    monkeypatch.setattr(process, "start_server_early", lambda target=None: events.append(f"server {target}"))
    build = runner.build_cells
    monkeypatch.setattr(runner, "build_cells", lambda *a, **k: (events.append("grid"), build(*a, **k))[1])
    store = str(tmp_path / "s.sqlite")
    assert main(["run", "bounds/toy-mean", "--store", store, "--dry-run"]) == 0
    assert main(["run", "bounds/toy-mean", "--store", store, "--trusted", "--no-leaderboard"]) == 0
    assert not any(e.startswith("server") for e in events)
    events.clear()
    assert main(["run", "bounds/toy-mean", "--store", str(tmp_path / "t.sqlite"), "--no-leaderboard"]) == 0
    assert events and events[0] == "server bounds/toy-mean"  # the server preloads what that family's methods use
    f = tmp_path / "mine.py"
    f.write_text("from latentbench.protocols import Estimate\nclass Mine:\n"
                 "    def estimate(self, problem, budget, rng):\n        return Estimate(value=1.0)\n")
    events.clear()
    assert main(["run", "bounds/toy-mean", "--method", f"{f}:Mine", "--store", str(tmp_path / "u.sqlite"),
                 "--no-leaderboard"]) == 0
    assert events[0] == "server None"  # a user's file may import anything: every family's libraries
