"""The `latentbench` command: list, run, leaderboard, publish, check-method, compare, merge, export."""

from __future__ import annotations

import argparse
import json
import os
import shlex
import sys
from pathlib import Path
from typing import Any, Callable

from .errors import LatentBenchError

EXIT_ERROR = 2
TARGET_HELP = """task selectors (run, leaderboard, list):
  all                                every task
  bounds                             a family
  bounds/gaussian-logz               a task by its full name
  gaussian-logz                      a task by its short name (without the family)
  representation/semisup, semisup    a sub-family, by its full or short name
  'bounds/*-logz', '*-logz'          a glob over full or short names (quote it for the shell)

method files: `--method path/to/file.py:Class`; a class may declare `family = "bounds"`, `tasks = ("*-logz",)`
(globs over full or short names) and `method_name = "my-method"`: running a family then skips the tasks it does not
declare. `latentbench list --budgets TASK` prints the budget a method receives at each tier."""


def _store(args, read_only: bool = False):
    """The store a verb names; readers (leaderboard, publish, export) open it read-only."""
    from .results import ResultsStore

    return ResultsStore(args.store, read_only=read_only)


def budget_items(task, tier: str) -> list[tuple[str, object]]:
    """A tier's budget as (key, value) pairs, from the task definition (a mapping or a dataclass)."""
    import dataclasses

    budget = task.budget(tier)
    if hasattr(budget, "as_dict"):  # a typed budget (`latentbench.budget.Budget`): its declared keys, not `tier`
        return list(budget.as_dict().items())
    if dataclasses.is_dataclass(budget):
        return [(f.name, getattr(budget, f.name)) for f in dataclasses.fields(budget) if f.name != "tier"]
    return list(dict(budget).items())


def budget_tables(tasks) -> list[str]:
    """Markdown tables of budgets (key × tier), one per group of tasks with identical budgets (the docs embed them)."""
    groups: dict[str, list[str]] = {}
    for task in tasks:
        tiers = list(task.tiers)
        items = {tier: dict(budget_items(task, tier)) for tier in tiers}
        keys = list(dict.fromkeys(k for tier in tiers for k in items[tier]))
        lines = ["| key | " + " | ".join(tiers) + " |", "|---|" + "---|" * len(tiers)]
        for key in keys:
            cells = [repr(items[t][key]) if key in items[t] else "" for t in tiers]
            lines.append(f"| `{key}` | " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
        groups.setdefault("\n".join(lines), []).append(task.name)
    return [f"Budgets of {', '.join(f'`{n}`' for n in names)}:\n\n{table}" for table, names in groups.items()]


def _print_budgets(selector: str, markdown: bool = False) -> int:
    from .registry import select_tasks

    if markdown:
        print("\n\n".join(budget_tables(select_tasks(selector))))
        return 0
    for task in select_tasks(selector):
        print(task.name)
        for tier in task.tiers:
            items = budget_items(task, tier)
            print(f"  {tier}")
            width = max((len(k) for k, _ in items), default=0)
            for key, value in items:
                print(f"    {key:<{width}}  {value!r}")
    return 0


def cmd_list(args) -> int:
    from .registry import families, methods, methods_for, select_tasks, tasks

    if args.budgets:
        return _print_budgets(args.target or "all", args.markdown)
    all_tasks = tasks() if not args.target else {t.name: t for t in select_tasks(args.target)}
    for family in families():
        fam = [t for t in all_tasks.values() if t.family == family]
        if not fam:
            continue
        print(f"{family}")
        for t in fam:
            head = t.headline
            print(
                f"  {t.name:<42} headline: {head.name} ({head.unit}, {head.direction} is better)  tiers: "
                f"{', '.join(t.tiers)}"
            )
            if args.methods:
                for m in methods_for(t):
                    print(f"      {m.name:<28} {m.description}")
    if args.methods:
        users = [m for m in methods().values() if not m.reference]
        for m in users:
            print(f"  (plugin) {m.name} [{m.family}]")
    return 0


def cmd_run(args) -> int:
    if not args.dry_run and args.executor == "local" and not args.trusted:
        # before this process imports the suite's tasks, pandas and torch (seconds): the contestants' fork server
        # then does its own imports beside them instead of after them
        from .isolation.process import start_server_early
        from .registry import is_file_ref

        files = any(is_file_ref(m) for m in args.method or ())  # a user's method may import anything
        start_server_early(None if files else args.target)
    from rich.console import Console

    from .runner import parse_params, run

    console = Console(stderr=True, soft_wrap=True)  # no hard wraps in log files
    store = _store(args)
    params = parse_params(args.params)
    if args.dry_run:
        return _print_plan(args, store, params)
    progress, on_plan, on_result = _run_progress(console)
    with progress:
        summary = run(
            args.target,
            methods=args.method or None,
            tier=args.tier,
            seeds=args.seeds,
            store=store,
            executor=args.executor,
            jobs=args.jobs,
            params=params,
            threads=args.threads,
            on_result=on_result,
            on_plan=on_plan,
            trusted=args.trusted,
        )
    console.print(
        f"{summary.planned} cells: {summary.ok} ran ok, {len(summary.errors)} errors, "
        f"{summary.skipped} already in {store.path} (skipped)"
    )
    if not args.no_leaderboard:
        _print_boards(args, store, console)
    return 1 if summary.errors and args.strict else 0


def _run_progress(console: Any) -> tuple[Any, Callable[[list], None], Callable[[Any], None]]:
    """`run`'s progress: (a rich progress bar, shown on a terminal or with LATENTBENCH_PROGRESS set; its `on_plan`
    and `on_result` hooks). Elsewhere (a log file) one plain line per finished cell; errors always."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

    live = console.is_terminal or bool(os.environ.get("LATENTBENCH_PROGRESS"))
    progress = Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("{task.fields[current]}"),
        console=console,
        disable=not live,
    )
    bar = {"done": 0, "total": 0}

    def on_plan(cells):
        bar["id"] = progress.add_task("cells", total=len(cells), current="")
        bar["total"] = len(cells)

    def on_result(res):
        mark = "ok" if res.status == "ok" else "ERROR"
        progress.update(
            TaskID(bar["id"]), advance=1, current=f"{res.cell.task} × {res.cell.method} s{res.cell.seed}: {mark}"
        )
        bar["done"] += 1
        if not live:  # a log file (nohup, CI, a batch job): one plain line per finished cell
            wall = getattr(res, "wall_s", None)
            took = f" in {wall:.1f} s" if isinstance(wall, (int, float)) else ""
            console.print(
                f"[{bar['done']}/{bar['total']}] {res.cell.task} × {res.cell.method} seed {res.cell.seed} "
                f"({res.cell.tier}): {mark}{took}",
                highlight=False,
                markup=False,
            )
        if res.status != "ok":
            console.print(f"[red]error[/red] {res.cell}: {res.error}")

    return progress, on_plan, on_result


def _print_boards(args, store, console: Any) -> None:
    """After `run`: each selected task's leaderboard at the run's tier, printed, and written to `--out` if given."""
    from .leaderboard import leaderboard, render
    from .registry import select_tasks

    out_dir = Path(args.out) if args.out else None
    for task in select_tasks(args.target):
        board = leaderboard(task, store, tier=args.tier)
        if board.empty:
            continue
        text = render(board, task, "markdown")
        print(f"\n## {task.name} ({args.tier})\n\n{text}")
        if out_dir:
            out_dir.mkdir(parents=True, exist_ok=True)
            stem = task.name.replace("/", "-")
            (out_dir / f"{stem}.md").write_text(text + "\n")
            board.to_csv(out_dir / f"{stem}.csv", index=False)
    if out_dir:
        console.print(f"leaderboards written to {out_dir}/")


def _print_plan(args, store, params) -> int:
    """`run --dry-run`: the grid, one line per cell with what a run would do, then the counts; nothing runs."""
    from .runner import plan

    cells = plan(args.target, methods=args.method or None, tier=args.tier, seeds=args.seeds, store=store, params=params)
    for cell, status, error in cells:
        label = cell.method + (f"({cell.params_json})" if cell.params else "")
        why = f"  [{error}]" if error else ""
        print(f"{status:<7} {cell.task} × {label} seed {cell.seed} ({cell.tier})  {cell.key}{why}")
    counts = {s: sum(1 for _, st, _ in cells if st == s) for s in ("to run", "error", "stored")}
    invalidated = sum(1 for _, st, note in cells if st == "to run" and note and "invalidated (" in note)
    print(
        f"{len(cells)} cells: {counts['to run']} to run ({invalidated} invalidated by a change), "
        f"{counts['error']} stored as errors (re-run), {counts['stored']} already in {store.path} (skipped); "
        "nothing was run (--dry-run)"
    )
    return 0


def cmd_leaderboard(args) -> int:
    from .leaderboard import leaderboard, render
    from .registry import select_tasks

    store = _store(args, read_only=True)
    if not store.path.exists():
        raise LatentBenchError(f"no results store at {store.path} (run `latentbench run ...` first or pass --store)")
    shown = 0
    for task in select_tasks(args.task):
        board = leaderboard(task, store, tier=args.tier, include_reference=not args.no_reference)
        if board.empty:
            continue
        shown += 1
        if args.format == "markdown":
            print(f"## {task.name}\n")
        print(render(board, task, args.format))
        print()
        if args.against is not None:
            from .leaderboard import paired, render_paired

            table = paired(task, store, against=args.against or None, tier=args.tier)
            if args.format == "csv":
                print(table.to_csv(index=False))
            else:
                print(
                    f"### paired differences in {task.headline.name} against "
                    f"{args.against or 'the best of each tier'}\n\n{render_paired(table)}\n"
                )
    if not shown:
        print(f"no results for {args.task} in {store.path}", file=sys.stderr)
        return 1
    return 0


def cmd_publish(args) -> int:
    from .publish import publish

    command = "latentbench " + " ".join(shlex.quote(a) for a in sys.argv[1:]) if args.record_command else ""
    files = publish(
        _store(args, read_only=True), args.out, figures=not args.no_figures, command=command, html=args.html
    )
    if not files:
        print(f"nothing to publish: {args.store or 'the store'} has no results", file=sys.stderr)
        return 1
    print(f"wrote {len(files)} files under {args.out}/")
    return 0


def cmd_check_method(args) -> int:
    from .check_method import check_method

    checks = check_method(args.file, args.task)
    for c in checks:
        print(c)
    failed = [c for c in checks if not c.ok]
    print(f"\n{len(checks) - len(failed)} passed, {len(failed)} failed")
    return 1 if failed else 0


def cmd_compare(args) -> int:
    from .compare import calibrate_noise, compare, label_pairs, load_items, load_rows, read_noise
    from .coverage import coverage

    baseline, current = load_rows(args.baseline), load_rows(args.current)
    if args.write_noise:
        noise = calibrate_noise(baseline, current, min_seconds=args.min_seconds)
        Path(args.write_noise).write_text(json.dumps(noise, indent=1, sort_keys=True) + "\n")
        print(
            f"noise floor of {len(noise)} timing measures written to {args.write_noise}: "
            + ", ".join(f"{k} {v:.2f}x" for k, v in noise.items())
        )
        return 0
    pairs, changes = label_pairs(baseline, current)
    cover = coverage(baseline, current, renames={k: v for k, v in pairs.items() if k[2] != v})
    for line in cover.lines():
        print(line)
    for change in changes:
        print(f"CHANGED {change}")
    flags = compare(
        baseline,
        current,
        time_ratio=args.time_ratio,
        min_seconds=args.min_seconds,
        noise=read_noise(args.noise) if args.noise else None,
        items_baseline=load_items(args.baseline),
        items_current=load_items(args.current),
        alpha=args.alpha,
    )
    for f in flags:
        print(f"REGRESSION {f}")
    if cover.failed:
        why = ["the current run is empty"] if cover.current_empty else []
        why += [f"{len(cover.missing)} cells missing"] if cover.missing else []
        why += [f"{len(cover.errored)} cells went from ok to error"] if cover.errored else []
        print(f"gate failed: {', '.join(why)}" + (f"; {len(flags)} regressions" if flags else ""), file=sys.stderr)
        return 1
    if flags:
        print(f"{len(flags)} regressions", file=sys.stderr)
        return 1
    print("no regressions")
    return 0


def cmd_merge(args) -> int:
    from .results import ResultsStore

    target = ResultsStore(args.into)
    for src in args.sources:
        counts = target.merge_from(src)
        print(
            f"{src}: {counts['added']} cells added, {counts['replaced']} errors replaced, {counts['skipped']} "
            "already present"
        )
    return 0


def cmd_export(args) -> int:
    path = _store(args, read_only=True).export(args.path, task=args.task)
    print(f"wrote {path}")
    return 0


def _add_run_parser(sub, store_help: str) -> None:
    """The `run` verb's options: the grid (target, methods, params, tier, seeds), where and how it runs, output."""
    s = sub.add_parser(
        "run",
        help="run tasks × methods × seeds at a tier",
        description="Run tasks × methods × seeds at a tier; each finished cell is stored at once.",
        epilog=TARGET_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    s.add_argument("target", help="all, a family, family/task, a short name, a sub-family or a glob (below)")
    s.add_argument(
        "--method",
        action="append",
        help="a registered method or path/to/file.py:Class (repeatable); a file method runs only on the "
        "tasks its class declares (`family`, `tasks`)",
    )
    s.add_argument(
        "--params",
        help="JSON keyword arguments for the method constructors (lossless: `coder`, "
        "`particles`, `resample` pick the bits-back coder around a latent-variable model)",
    )
    s.add_argument(
        "--tier", default="smoke", help="a tier of the selected tasks' families (standard: smoke, quick, paper)"
    )
    s.add_argument("--seeds", type=int, default=1)
    s.add_argument("--jobs", type=int, default=1)
    s.add_argument(
        "--executor",
        default="local",
        help="local, process, dask://HOST:PORT, "
        "slurm://PARTITION?timeout_min=60&mem_gb=16 "
        "(a SLURM job array via submitit) or submitit-local:// (the same, as local subprocesses)",
    )
    s.add_argument(
        "--threads",
        type=int,
        help="torch/BLAS threads per cell, set by the runner around each cell and "
        "recorded in its provenance (default: a pool's cores // jobs; else the tier's setting or all cores)",
    )
    s.add_argument(
        "--trusted",
        action="store_true",
        help="run registered methods inside the runner's process, without isolation (recorded in each "
        "row's provenance); method files always run isolated",
    )
    s.add_argument("--store", help=store_help)
    s.add_argument("--out", help="also write each task's leaderboard (markdown + CSV) into this folder")
    s.add_argument("--no-leaderboard", action="store_true")
    s.add_argument("--strict", action="store_true", help="exit 1 if any cell errored")
    s.add_argument(
        "--dry-run",
        action="store_true",
        help="list the grid's cells and whether each is stored, errored (re-run) or to run; run nothing",
    )
    s.set_defaults(func=cmd_run)


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())


def build_parser() -> argparse.ArgumentParser:
    from . import __version__

    p = argparse.ArgumentParser(prog="latentbench", description=__doc__)
    p.add_argument("--version", action="version", version=f"latentbench {__version__}")
    sub = p.add_subparsers(dest="verb", required=True)
    store_help = "results store (SQLite); default $LATENTBENCH_RESULTS or results/latentbench.sqlite"
    _add_list_parser(sub)
    _add_run_parser(sub, store_help)
    _add_leaderboard_parser(sub, store_help)
    _add_publish_parser(sub, store_help)

    s = sub.add_parser("check-method", help="check a method file against a task protocol on smoke data")
    s.add_argument("file", help="path/to/file.py[:Class]")
    s.add_argument("--task")
    s.set_defaults(func=cmd_check_method)

    _add_compare_parser(sub)

    s = sub.add_parser("merge", help="merge result stores by cell hash")
    s.add_argument("sources", nargs="+")
    s.add_argument("--into", required=True)
    s.set_defaults(func=cmd_merge)

    s = sub.add_parser("export", help="export tidy rows to CSV or parquet")
    s.add_argument("path")
    s.add_argument("--task")
    s.add_argument("--store", help=store_help)
    s.set_defaults(func=cmd_export)
    return p


def _add_list_parser(sub) -> None:
    s = sub.add_parser("list", help="list the tasks by family (or their budgets)")
    s.add_argument("target", nargs="?", help="only these tasks (the selectors of `run`); default all")
    s.add_argument("--methods", action="store_true", help="also list each task's reference methods")
    s.add_argument(
        "--budgets",
        action="store_true",
        help="print each tier's budget (keys and values: what a method receives as `budget`)",
    )
    s.add_argument("--markdown", action="store_true", help="with --budgets: markdown tables (key × tier)")
    s.set_defaults(func=cmd_list)


def _add_leaderboard_parser(sub, store_help: str) -> None:
    s = sub.add_parser("leaderboard", help="show a task's (or family's) leaderboard")
    s.add_argument("task")
    s.add_argument("--format", default="markdown", choices=["markdown", "csv", "html"])
    s.add_argument("--tier")
    s.add_argument("--no-reference", action="store_true")
    s.add_argument(
        "--against",
        nargs="?",
        const="",
        metavar="METHOD",
        help="also print each method's paired difference in the headline to METHOD (a label such as "
        "'aae' or 'wta-fc(steps=10000)'), or to each tier's best when METHOD is left out",
    )
    s.add_argument("--store", help=store_help)
    s.set_defaults(func=cmd_leaderboard)


def _add_publish_parser(sub, store_help: str) -> None:
    s = sub.add_parser("publish", help="regenerate leaderboards/ from a store")
    s.add_argument("--store", help=store_help)
    s.add_argument("--out", default="leaderboards")
    s.add_argument("--no-figures", action="store_true")
    s.add_argument(
        "--html",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="write the static HTML site beside the markdown, CSV and figures (default; --no-html: without it)",
    )
    s.add_argument("--no-record-command", dest="record_command", action="store_false")
    s.set_defaults(func=cmd_publish)


def _add_compare_parser(sub) -> None:
    s = sub.add_parser("compare", help="gate: coverage, significant quality regressions, slowdowns past the noise")
    s.add_argument("baseline", help="a store or an exported rows file (e.g. leaderboards/rows.csv.gz)")
    s.add_argument("current")
    s.add_argument(
        "--time-ratio",
        type=float,
        default=2.0,
        help="flag a timing measure (best of the seeds) slower than this ratio (default 2.0)",
    )
    s.add_argument("--min-seconds", type=float, default=0.1, help="skip the timing of cells shorter than this")
    s.add_argument("--alpha", type=float, default=0.05, help="significance level of the paired tests")
    s.add_argument("--noise", metavar="FILE", help="a noise floor written by --write-noise (widens the time limits)")
    s.add_argument(
        "--write-noise",
        metavar="FILE",
        help="treat BASELINE and CURRENT as two runs of the same code: write their timing noise floor "
        "to FILE and exit 0",
    )
    s.set_defaults(func=cmd_compare)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except LatentBenchError as exc:  # StoreError, DataError, CodecError, ...: one line, never a traceback
        print(f"latentbench: error: {_one_line(exc)}", file=sys.stderr)
        return EXIT_ERROR
    except OSError as exc:  # a file the verb reads or writes: unreadable, unwritable, a folder, a full disk
        where = f"{exc.filename}: " if exc.filename else ""
        print(f"latentbench: error: {where}{exc.strerror or _one_line(exc)}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("latentbench: interrupted; finished cells are stored, re-run to resume", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
