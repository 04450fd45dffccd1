"""`plan`, `check`, `diff` and `history`: treating risk over a model's life."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from threatloom.cli.output import EXIT_CHECK_FAILED, ModelArg, RulesOpt, console, fail, input_errors, print_problems

if TYPE_CHECKING:
    from threatloom.engine.threat import Analysis
    from threatloom.lifecycle.scored import ScoredModel
    from threatloom.model.vocabulary import Level

OutputOpt = Annotated[Path | None, typer.Option("-o", "--output", help="Write to this file instead of the "
                                                "standard output.")]
# the text of plan and history is a terminal table: only their json and markdown go to a file
DocumentOutputOpt = Annotated[Path | None, typer.Option("-o", "--output", help="Write the json or markdown "
                                                        "(see --format) to this file instead of the standard output.")]
LEVELS = ("low", "medium", "high", "critical")


def register(app: typer.Typer) -> None:
    app.command("plan")(plan)
    app.command("check")(check)
    app.command("diff")(diff)
    app.command("history")(history)


def _formats(value: str, allowed: tuple[str, ...]) -> str:
    if value not in allowed:
        fail(f"unknown format {value!r}", f"use {', '.join(allowed)}")
    return value


def _level(value: str | None, option: str) -> Level | None:
    if value is None:
        return None
    from threatloom.model.vocabulary import Level

    if value not in LEVELS:
        fail(f"{option}: unknown level {value!r}", f"use {', '.join(LEVELS)}")
    return Level(value)


def _scored(model: Path, rules: list[Path] | None) -> ScoredModel:
    from threatloom.atomic import keep_inputs
    from threatloom.lifecycle.scored import load_scored

    with input_errors():
        scored = load_scored(model, rules or [])
    keep_inputs([*scored.model.source_files(), *scored.catalog.files])
    return scored


def _keep_work_tree(model: Path) -> None:
    """The model's files in the work tree, and those it includes, kept from being written over: `history`
    and `diff --git` read commits, but also the work tree's model to know which files to follow."""
    from threatloom.atomic import keep_inputs
    from threatloom.lifecycle.revisions import model_files, repo_root

    root = repo_root(model)
    if root is not None:
        keep_inputs(root / name for name in model_files(model, root))


def _emit(text: str, output: Path | None) -> None:
    if output is None:
        sys.stdout.write(text)
        return
    from threatloom.atomic import write_text

    write_text(output, text)
    console(stderr=True).print(f"wrote {output}")


def _warn(analysis: Analysis) -> None:
    print_problems([*analysis.unmatched_decisions, *analysis.decision_problems],
                   every="`threatloom analyze` writes every one to threats.json")


def plan(
    model: ModelArg,
    only: Annotated[str | None, typer.Option("--only", help="Only threats at this residual level or above: "
                                             "low, medium, high or critical (--only high: the high and "
                                             "critical risks).")] = None,
    limit: Annotated[int | None, typer.Option("--limit", min=1, help="At most this many controls: the first "
                                              "steps of the plan.")] = None,
    output_format: Annotated[str, typer.Option("--format", help="text, json or markdown.")] = "text",
    output: DocumentOutputOpt = None,
    rules: RulesOpt = None,
) -> None:
    """Which controls to put in place first to remove the most residual risk (greedy, ties by effort), and
    where in the model each must be recorded to count."""
    import json

    from threatloom.lifecycle.plan import make_plan
    from threatloom.lifecycle.plan_output import plan_dict, plan_markdown, plan_table

    _formats(output_format, ("text", "json", "markdown"))
    if output is not None and output_format == "text":
        fail("--output needs --format json or markdown", "the text format is a table for the terminal")
    level = _level(only, "--only")
    scored = _scored(model, rules)
    result = make_plan(scored.model, scored.analysis, scored.inputs, scored.catalog, only=level, limit=limit)
    _warn(scored.analysis)
    if output_format == "json":
        _emit(json.dumps(plan_dict(result), indent=2, ensure_ascii=False) + "\n", output)
    elif output_format == "markdown":
        _emit(plan_markdown(result), output)
    else:
        console().print(plan_table(result))


def check(
    model: ModelArg,
    fail_on: Annotated[str | None, typer.Option("--fail-on", help="Fail (exit 1) on an untreated threat at this "
                                                "residual level or above: low, medium, high or critical. "
                                                "Default: above the model's risk appetite.")] = None,
    output_format: Annotated[str, typer.Option("--format", help="text, sarif or json.")] = "text",
    output: OutputOpt = None,
    rules: RulesOpt = None,
) -> None:
    """The CI gate: exit 1 when an untreated threat reaches the threshold, naming them (SARIF for code scanning)."""
    import json

    from threatloom.lifecycle.check import check_dict, check_text, run_check

    _formats(output_format, ("text", "sarif", "json"))
    threshold = _level(fail_on, "--fail-on")
    scored = _scored(model, rules)
    result = run_check(scored.analysis, threshold)
    _warn(scored.analysis)
    verdict = check_text(result)
    if output_format == "sarif":
        from threatloom import __version__
        from threatloom.lifecycle.sarif import default_root, sarif_log

        log = sarif_log(scored.analysis, scored.catalog, default_root(model), __version__)
        _emit(json.dumps(log, indent=2, ensure_ascii=False) + "\n", output)
    elif output_format == "json":
        _emit(json.dumps(check_dict(result, scored.analysis), indent=2, ensure_ascii=False) + "\n", output)
    else:
        _emit("\n".join(verdict) + "\n", output)
    if output_format != "text":  # the verdict still reaches the person reading the CI log
        from rich.markup import escape

        err = console(stderr=True)
        for line in verdict:
            err.print(escape(line))
    if not result.passed:
        raise typer.Exit(EXIT_CHECK_FAILED)


def diff(
    old: Annotated[Path, typer.Argument(help="The old model file, or the model with --git.", show_default=False)],
    new: Annotated[Path | None, typer.Argument(help="The new model file.", show_default=False)] = None,
    git_range: Annotated[str | None, typer.Option("--git", help="Compare the model at two revisions: REV1..REV2 "
                                                  "(REV1 alone: with the work tree).")] = None,
    output_format: Annotated[str, typer.Option("--format", help="text, markdown or json.")] = "text",
    output: OutputOpt = None,
    rules: RulesOpt = None,
) -> None:
    """New and resolved threats, risk level moves and changed decisions between two versions of a model."""
    import json

    from threatloom.lifecycle.diff import diff_analyses, diff_dict, diff_markdown, diff_text
    from threatloom.lifecycle.revisions import GitError, analyse_revision

    _formats(output_format, ("text", "markdown", "json"))
    if (new is None) == (git_range is None):
        fail("give two model files, or one model and --git REV1..REV2")
    if new is not None:
        before, after = _scored(old, rules).analysis, _scored(new, rules).analysis
        labels = (str(old), str(new))
    else:
        assert git_range is not None
        if "..." in git_range:
            fail(f"--git {git_range!r}: use two dots, REV1..REV2")
        first, _, second = git_range.partition("..")
        _keep_work_tree(old)
        try:
            with input_errors():
                old_commit, before = analyse_revision(old, first, rules or [])
                if second:
                    new_commit, after = analyse_revision(old, second, rules or [])
                    labels = (f"{first} ({old_commit.id[:10]})", f"{second} ({new_commit.id[:10]})")
                else:
                    after = _scored(old, rules).analysis
                    labels = (f"{first} ({old_commit.id[:10]})", "work tree")
        except GitError as exc:
            fail(str(exc), "run it inside the git repository of the model; REV is a commit, branch or tag")
    result = diff_analyses(before, after, *labels)
    if output_format == "json":
        _emit(json.dumps(diff_dict(result), indent=2, ensure_ascii=False) + "\n", output)
    elif output_format == "markdown":
        _emit(diff_markdown(result), output)
    else:
        _emit(diff_text(result), output)


def history(
    model: ModelArg,
    limit: Annotated[int | None, typer.Option("--limit", min=1, help="Only the newest N commits.")] = None,
    output_format: Annotated[str, typer.Option("--format", help="table (or text), json or markdown.")] = "table",
    output: DocumentOutputOpt = None,
    rules: RulesOpt = None,
) -> None:
    """Residual risk at each commit that changed the model, oldest first: is risk going down?"""
    import json

    from threatloom.lifecycle.history import history_dict, history_markdown, history_rows, model_history
    from threatloom.lifecycle.revisions import GitError

    _formats(output_format, ("table", "text", "json", "markdown"))
    if output is not None and output_format in ("table", "text"):
        fail("--output needs --format json or markdown", "the text format is a table for the terminal")
    _keep_work_tree(model)
    try:
        points = model_history(model, rules or [], limit)
    except GitError as exc:
        fail(str(exc), "history reads the model's commits: run it on a model in a git repository")
    if output_format == "json":
        _emit(json.dumps(history_dict(points, model.as_posix()), indent=2, ensure_ascii=False) + "\n", output)
    elif output_format == "markdown":
        _emit(history_markdown(points, model.as_posix()), output)
    else:
        from rich import box
        from rich.markup import escape
        from rich.table import Table

        # the subject wraps rather than being cut, and the four level counts share one column, so the
        # table stays readable in an 80-column CI log

        grid = Table(title=f"residual risk of {escape(str(model))} by commit", title_justify="left",
                     box=box.SIMPLE_HEAD)
        grid.add_column("commit", no_wrap=True)
        grid.add_column("date", no_wrap=True)
        grid.add_column("subject", overflow="fold", ratio=1)
        for name in ("residual", "change", "c/h/m/l", "gaps"):
            grid.add_column(name, justify="right", no_wrap=True)
        for row in history_rows(points):
            row[0] = row[0][:7]
            if row[3] == "error":
                grid.add_row(escape(row[0]), escape(row[1]), escape(f"{row[2]} (not analysed: {row[-1]})"), "error",
                             "", "", "")
            else:
                grid.add_row(*(escape(cell) for cell in row[:5]), "/".join(row[5:9]), row[9])
        console().print(grid if points else "no commit changed the model yet")
