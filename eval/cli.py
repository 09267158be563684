"""`deepmath-eval`: run benchmarks through the agent, score runs, compare runs.

    deepmath-eval run --dataset math500 --samples 16 --out runs/math500-agent.jsonl \\
        --base-url http://gpu:8000/v1 --model Intel/deepmath-v1
    deepmath-eval run --dataset champ --limit 5 --out runs/champ.jsonl          # offline default model
    deepmath-eval run --dataset my.parquet --problem-col question --answer-col final --out r.jsonl
    deepmath-eval score runs/*.jsonl [--format markdown|csv|json]
    deepmath-eval compare runs/base.jsonl runs/agent.jsonl --plot acc_vs_len.png

`run` takes the model, sampling and sandbox options of `deepmath-agent` under the same names; the
model and engine are chosen the same way (with none, the same offline default model). Rerunning
the same command resumes: finished problem ids are skipped, nothing is duplicated.
"""

from __future__ import annotations

import argparse
import os
import sys
from datetime import datetime, timezone
from pathlib import Path

import anyio
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from rich.text import Text

from agent_client import Agent, AgentError
from agent_client.setup import (CliParser, add_debug, add_engine_args, agent_config, at_least, build_engine,
                                SANDBOX_START, check_engine_args, fail, sandbox_for, sandbox_label)
from eval.datasets import DatasetUnavailable
from wasm_sandbox.diskfull import DiskFull
from wasm_sandbox.version import add_version

VOTE_HELP = ("maj@k votes over the samples' parsed final answers (math-verify equivalence, or the problem's "
             "answer form as graded); unparsable "
             "answers do not vote; a tie goes to the answer whose first sample came earliest.")


SERVER_CONCURRENCY, LOCAL_CONCURRENCY = 64, 16
CONCURRENCY_HELP = (
    f"trajectories in flight over all problems. With a server (--base-url, vLLM) these are concurrent "
    f"requests it batches on the GPU: default {SERVER_CONCURRENCY}. With the local engine the model runs in "
    f"this process and the generate calls pending at the same moment run as one batch (up to 16 rows), so "
    f"more trajectories in flight make generation faster up to that size, while each one holds its own "
    f"sequence, KV cache and logits in memory: default {LOCAL_CONCURRENCY}. Peak memory is shown as the run "
    f"goes and at the end.")


def _add_run_args(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("benchmark")
    g.add_argument("--dataset", required=True,
                   help="a name (`deepmath-eval datasets` lists them: math500, aime25, champ, ...), "
                        "hf:OWNER/NAME[:SPLIT] (any hub dataset) or a .jsonl/.json/.parquet/.csv file; "
                        "the same values as deepmath-train --dataset")
    g.add_argument("--problem-col", help="hf: dataset or file: column with the problem (default: detected)")
    g.add_argument("--answer-col", help="hf: dataset or file: column with the reference answer (default: detected)")
    g.add_argument("--id-col", help="hf: dataset or file: column with a unique id (default: detected, else row number)")
    g.add_argument("--limit", type=at_least(1), default=None, help="only the first N problems")
    g.add_argument("--samples", "-k", type=at_least(1), default=1, help="samples per problem (k)")
    g.add_argument("--shard", default=None, help="i/n: run only problems with index %% n == i (0-based)")
    g.add_argument("--out", required=True, type=Path, help="run file (JSONL); an existing one is resumed")
    g.add_argument("--concurrency", type=at_least(1), default=None, help=CONCURRENCY_HELP)
    g.add_argument("--max-failures", type=at_least(1), default=5,
                   help="stop after this many problems failed on infrastructure errors")
    add_engine_args(p, seed_help="base seed; sample j of dataset problem i uses seed + 1000*(i*k + j)",
                    titles=("model (as deepmath-agent)", "sampling (as deepmath-agent)", "sandbox (as deepmath-agent)"))
    p.add_argument("--quiet", "-q", action="store_true", help="no progress bar")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = CliParser(prog="deepmath-eval", description="Benchmark the DeepMath agent. " + VOTE_HELP)
    add_version(p)
    sub = p.add_subparsers(dest="cmd", required=True, parser_class=CliParser)
    _add_run_args(sub.add_parser("run", help="run a benchmark (resumable, shardable)", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter))
    for name, what in (("score", "score runs: maj@k, mean@k, pass@k with 95%% bootstrap CIs, lengths, tools"),
                       ("compare", "runs side by side with paired differences; --plot accuracy vs length")):
        sp = sub.add_parser(name, help=what, description=what.replace("%%", "%") + ". " + VOTE_HELP)
        sp.add_argument("runs", nargs="+", type=_run_file, help="run files (JSONL) written by `deepmath-eval run`")
        add_debug(sp)
        sp.add_argument("--format", choices=["table", "markdown", "csv", "json"], default="table")
        sp.add_argument("--seed", type=int, default=0, help="bootstrap seed")
        sp.add_argument("--merge", action="store_true",
                        help="treat files of the same run (shards, or a run split over machines) as one run")
        if name == "compare":
            sp.add_argument("--plot", type=Path, help="write accuracy vs mean model tokens to this PNG")
            sp.add_argument("--metric", choices=["maj", "mean"], default="maj", help="accuracy on the plot's y axis")
    sub.add_parser("datasets", help="list the named datasets")
    args = p.parse_args(argv)
    if args.cmd == "run":
        check_engine_args(p, args)
    return args


def _run_file(text: str) -> Path:
    """argparse type: an existing run file (a usage error, not a traceback, when it is missing)."""
    path = Path(text)
    if not path.is_file():
        raise argparse.ArgumentTypeError(f"{text}: no such file" if not path.is_dir() else f"{text} is a folder")
    return path


# -- run ------------------------------------------------------------------------------------------------
async def _run(args: argparse.Namespace, err: Console) -> int:
    from eval import datasets, runner
    from eval.records import RunHeader, RunWriter

    problems = datasets.load(args.dataset, limit=args.limit, columns=datasets.ColumnMap(
        problem=args.problem_col, answer=args.answer_col, id=args.id_col))
    shard = runner.parse_shard(args.shard)
    items = runner.select_shard(problems, shard)
    from eval.grading import parse_gold

    bad = [p.id for _, p in items if p.form is None and not parse_gold(p.answer)]
    if bad:
        err.print(f"[yellow]warning:[/] math-verify cannot parse {len(bad)} reference answer(s); those problems "
                  f"can only be scored wrong: {', '.join(bad[:8])}{' …' if len(bad) > 8 else ''}")
    engine = await build_engine(args, err)
    backend, tok, label, local = engine.backend, engine.tokenizer, engine.label, engine.local
    concurrency = args.concurrency or (LOCAL_CONCURRENCY if local else SERVER_CONCURRENCY)
    cfg = agent_config(args, engine)
    header = RunHeader(
        dataset=args.dataset, dataset_size=len(problems), shard=args.shard, samples=args.samples, mode=args.mode,
        model=label, engine="local" if local else "openai", tokenizer=str(getattr(tok, "name_or_path", "")),
        prompt_version=args.prompt_version,
        sampling={"temperature": cfg.temperature, "top_p": cfg.top_p, "seed": args.seed},
        budgets={"max_tokens": cfg.max_tokens, "max_tokens_per_step": cfg.max_tokens_per_step,
                 "max_steps": cfg.max_steps, "tool_timeout_s": cfg.tool_timeout_s, "max_context": cfg.max_context,
                 "max_tool_output_tokens": cfg.max_tool_output_tokens},
        mcp=sandbox_label(args),
        concurrency=concurrency, seed=args.seed, versions=runner.package_versions(),
        started_at=datetime.now(timezone.utc).isoformat(timespec="seconds"))
    resume = runner.prepare_output(args.out, header)
    for note in resume.notes:
        err.print(f"[yellow]note:[/] {args.out}: {note}")
    todo = [(i, p) for i, p in items if p.id not in resume.finished]
    kept = sum(len(resume.partial.get(p.id, {})) for _, p in todo)
    err.print(Text.assemble(("deepmath-eval ", "bold"), f"{args.dataset}: {len(items)} problems",
                            f" (shard {args.shard})" if shard else "", f" × {args.samples} samples, ",
                            f"{len(items) - len(todo)} already in {args.out}",
                            f" (+{kept} samples of unfinished ones)" if kept else "",
                            f", {len(todo)} to run  ·  model {label}  ·  concurrency {concurrency}"))
    if not todo:
        return 0
    columns = [TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
               TextColumn("samples {task.fields[samples]}"),
               TextColumn("[green]mean@k {task.fields[mean]}  maj@k {task.fields[maj]}"),
               TextColumn("[red]{task.fields[failed]}"), TextColumn("[dim]peak {task.fields[mem]}"),
               TimeElapsedColumn(), TimeRemainingColumn()]
    bar = Progress(*columns, console=err, disable=args.quiet)
    task = bar.add_task(args.dataset, total=len(todo), samples=kept, mean="-", maj="-", failed="", mem="")

    def update(p: runner.Progress) -> None:
        bar.update(task, completed=p.done + p.failed, samples=kept + p.samples_done,
                   mean=f"{100 * p.mean_acc:.1f}%" if p.done else "-",
                   maj=f"{100 * p.maj_acc:.1f}%" if p.done else "-",
                   failed=f"{p.failed} failed" if p.failed else "", mem=_mb(runner.peak_rss_mb()))

    def on_stop(reason: str) -> None:
        bar.stop()
        err.print(Text.assemble(("stopped: ", "bold yellow"), f"{reason}; {runner.kept_summary(args.out)}; "
                                f"peak memory {_mb(runner.peak_rss_mb())}. Rerun the same command to resume "
                                "(finished samples are not generated again)."))

    prog = runner.Progress(total=len(todo))
    try:
        async with runner.interruptible(on_stop):
            async with sandbox_for(args, backend, err, SANDBOX_START) as executor:
                agent = Agent(backend, executor, tok, cfg)
                with RunWriter(args.out) as writer, bar:
                    prog = await runner.run_problems(agent, todo, writer, samples=args.samples,
                                                     concurrency=concurrency, seed=args.seed, progress=prog,
                                                     on_update=update, max_failures=args.max_failures,
                                                     have=resume.partial)
    except runner.TooManyFailures as exc:
        err.print(Text.assemble(("error: ", "bold red"), str(exc),
                                f"\n{runner.kept_summary(args.out)}; rerun the same command to resume"))
        return 3
    err.print(Text.assemble(("done ", "bold green"), f"{prog.done} problems written to {args.out}",
                            f"; mean@k {100 * prog.mean_acc:.1f}%  maj@k {100 * prog.maj_acc:.1f}%",
                            f"  ·  peak memory {_mb(runner.peak_rss_mb())}"))
    if prog.failed:
        err.print(Text.assemble(("warning: ", "bold yellow"), f"{prog.failed} problems failed and have no verdict "
                                "(their finished samples are kept; rerun the same command to retry the rest):\n  "
                                + "\n  ".join(prog.errors[:5])))
        return 3
    return 0


def _mb(mb: float) -> str:
    return f"{mb / 1024:.1f} GB" if mb >= 1024 else f"{mb:.0f} MB"


# -- score / compare --------------------------------------------------------------------------------------
def _load_runs(paths: list[Path], err: Console) -> list:
    from eval.records import read_run

    runs = []
    for path in paths:
        run = read_run(path)
        if not run.problems:
            err.print(f"[yellow]skipping {path}: no finished problems[/]")
            continue
        if run.torn_lines or run.duplicates:
            err.print(f"[yellow]{path}: ignored {run.torn_lines} torn line(s), {run.duplicates} duplicate id(s)[/]")
        if run.partial:
            err.print(f"[yellow]{path}: {len(run.partial)} unfinished problem(s) not scored "
                      f"({run.partial_samples} samples kept; rerun the same `run` command to finish them)[/]")
        if len(run.problems) > run.header.dataset_size and not run.header.shard:
            err.print(f"[yellow]{path}: holds {len(run.problems)} problems but its header says the dataset has "
                      f"{run.header.dataset_size} (a resume with a larger --limit by an older version)[/]")
        runs.append(run)
    if not runs:
        raise SystemExit("no run with finished problems")
    return runs


def _runs_for(args: argparse.Namespace, err: Console) -> list:
    from eval.records import merge_runs

    from eval.report import setting_warnings

    runs = _load_runs(args.runs, err)
    runs = merge_runs(runs) if args.merge else runs
    for line in setting_warnings(runs):
        err.print(Text.assemble(("warning: ", "bold yellow"), line))
    return runs


def _score(args: argparse.Namespace, console: Console, err: Console) -> int:
    from eval import report

    runs = _runs_for(args, err)
    scores = report.score_runs(runs, seed=args.seed)
    rows = [report.score_row(r, s) for r, s in zip(runs, scores)]
    text = report.render(rows, args.format, title="deepmath-eval score", console=console,
                         json_rows=[report.json_row(r, s) for r, s in zip(runs, scores)])
    if text is not None:
        console.print(text, markup=False, highlight=False, soft_wrap=True)
    return 0


def _compare(args: argparse.Namespace, console: Console, err: Console) -> int:
    from eval import report

    runs = _runs_for(args, err)
    scores = report.score_runs(runs, seed=args.seed)
    numbers = report.compare_numbers(runs, scores, seed=args.seed)
    text = report.render(report.compare_rows(numbers), args.format, console=console, json_rows=numbers,
                         title="deepmath-eval compare (Δ: paired, vs the first run per dataset)")
    if text is not None:
        console.print(text, markup=False, highlight=False, soft_wrap=True)
    if args.plot:
        from eval.plot import accuracy_vs_length

        path = accuracy_vs_length(runs, scores, args.plot, metric=args.metric)
        err.print(f"plot written to {path}")
    return 0


def main(argv: list[str] | None = None, *, console: Console | None = None, err: Console | None = None) -> int:
    """Entry point; `console`/`err` can be injected (tests record them)."""
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    args = parse_args(argv)
    console = console or Console()
    err = err or Console(stderr=True)
    if args.cmd == "datasets":
        from eval.datasets import available

        names = available()
        width = max(map(len, names))
        for name, desc in names.items():
            console.print(f"[bold]{name:{width}s}[/] {desc}")
        return 0
    try:
        if args.cmd == "score":
            return _score(args, console, err)
        if args.cmd == "compare":
            return _compare(args, console, err)
    except Exception as exc:  # noqa: BLE001 - one line (traceback with --debug); see agent_client.setup.fail
        return fail(err, exc, args.debug)
    from transformers.utils import logging as hf_logging  # if missing, wasm_sandbox.launch names the extra

    hf_logging.disable_progress_bar()
    hf_logging.set_verbosity_error()
    try:
        return anyio.run(_run, args, err)
    except (DatasetUnavailable, ValueError, DiskFull) as exc:  # DiskFull: the file keeps whole lines, a rerun resumes
        return fail(err, AgentError(str(exc)), args.debug)
    except Exception as exc:  # noqa: BLE001 - AgentError: exit 2; anything else one line, exit 1
        return fail(err, exc, args.debug)
    except KeyboardInterrupt:
        err.print("interrupted; finished problems are saved, rerun the same command to resume")
        return 130


if __name__ == "__main__":
    sys.exit(main())
