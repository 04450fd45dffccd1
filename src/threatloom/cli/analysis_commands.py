"""`analyze` and `rules`: find threats, and explain the rules that find them."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from threatloom.cli.output import ModelArg, RulesOpt, console, fail, input_errors, print_problems
from threatloom.cli.process import keep_until_exit

if TYPE_CHECKING:
    from threatloom.engine.threat import Analysis
    from threatloom.model.schema import Model


rules_app = typer.Typer(help="List and explain threat rules.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.command("analyze")(analyze)
    app.command("attack-tree")(attack_tree)
    app.add_typer(rules_app, name="rules")


def load_and_analyse(model: Path, rules: list[Path] | None) -> Analysis:
    """Load a model and analyse it, turning input errors into exit status 2."""
    return load_model_and_analyse(model, rules)[1]


def load_model_and_analyse(model: Path, rules: list[Path] | None) -> tuple[Model, Analysis]:
    """The loaded model and its analysis; input errors become exit status 2."""
    from threatloom.atomic import keep_inputs
    from threatloom.engine import analyse, catalog_for
    from threatloom.model import load_model

    with input_errors():
        loaded = load_model(model)
        catalog = catalog_for(loaded, rules or [])
        keep_inputs([*loaded.source_files(), *catalog.files])
        analysis = analyse(loaded, catalog)
    keep_until_exit()
    return loaded, analysis


def analyze(
    model: ModelArg,
    output: Annotated[Path, typer.Option("-o", "--output", help="Folder for threats.json and threats.csv.")]
    = Path("threatloom-out"),
    rules: RulesOpt = None,
) -> None:
    """Find and rank threats; write threats.json and threats.csv and print a summary."""
    from threatloom.atomic import check_outputs, write_chunks
    from threatloom.render.analysis_csv import render_csv_rows
    from threatloom.render.analysis_json import render_json_chunks

    if output.exists() and not output.is_dir():
        fail(f"{output} is a file", "give a folder with -o")
    loaded, analysis = load_model_and_analyse(model, rules)
    written = (output / "threats.json", output / "threats.csv")
    check_outputs(written)  # neither file is written if either cannot be
    write_chunks(written[0], render_json_chunks(analysis))
    write_chunks(written[1], render_csv_rows(analysis))
    print_summary(analysis, loaded)
    print_problems(list(analysis.unmatched_decisions) + list(analysis.decision_problems),
                   every="threats.json lists every one, under `unmatched_decisions` and `decision_problems`")
    console().print(f"wrote {output / 'threats.json'} and {output / 'threats.csv'}")


def _untreated_words(counts: dict[str, int]) -> str:
    from threatloom.render.digest import IN_PROGRESS, NO_DECISION, NOT_COUNTING

    words = {NO_DECISION: "with no decision", IN_PROGRESS: "decided and in progress",
             NOT_COUNTING: "whose decision does not count"}
    return ", ".join(f"{n} {words[kind]}" for kind, n in counts.items() if n)


def print_summary(analysis: Analysis, model: Model | None = None) -> None:
    from collections import Counter

    from rich.markup import escape
    from rich.table import Table

    from threatloom.render.digest import untreated_split
    from threatloom.render.words import counted

    out = console()
    threats = analysis.threats
    outside = ([e.name for e in model.index.elements.values() if e.component is not None and e.component.out_of_scope]
               if model is not None else [])
    scope = (f"; {len(outside)} more element{'s' if len(outside) != 1 else ''} out of scope, not analysed: "
             f"{escape(', '.join(outside))}" if outside else "")
    out.print(f"[bold]{escape(analysis.system)}[/bold]: {counted(len(threats), 'threat')} on "
              f"{counted(analysis.elements_analysed, 'element')} and {counted(analysis.flows_analysed, 'flow')} "
              f"({counted(analysis.rules_evaluated, 'rule')}){scope}")
    order = ("critical", "high", "medium", "low")
    # one pass over the threats (levels and categories are string enums: counted as they are)
    levels: Counter[str] = Counter()
    open_levels: Counter[str] = Counter()
    categories: Counter[str] = Counter()
    untreated = []
    per_target: dict[str, list[int]] = {}
    worst: dict[str, str] = {}  # the threats come ranked, so a target's first is its worst
    for t in threats:
        level = t.residual.level
        levels[level] += 1
        categories[t.category] += 1
        if not t.treated:
            untreated.append(t)
            open_levels[level] += 1
        scores = per_target.get(t.target)
        if scores is None:
            per_target[t.target] = [t.residual.score]
            worst[t.target] = str(level)
        else:
            scores.append(t.residual.score)
    out.print("residual risk of all threats: " + ", ".join(f"{levels.get(lv, 0)} {lv}" for lv in order))
    if untreated:
        out.print(f"not yet treated: {len(untreated)} ({_untreated_words(untreated_split(untreated))}): "
                  + ", ".join(f"{open_levels.get(lv, 0)} {lv}" for lv in order))
    by_category = Table("category", "threats", title="by category", title_justify="left")
    for name, count in sorted((str(c), n) for c, n in categories.items()):
        by_category.add_row(name, str(count))
    by_element = Table("element", "threats", "worst residual", title="by element (top 10)",
                       title_justify="left")
    for target, scores in sorted(per_target.items(), key=lambda kv: (-max(kv[1]), kv[0]))[:10]:
        by_element.add_row(target, str(len(scores)), worst[target])
    out.print(by_category)
    out.print(by_element)
    gaps = analysis.gaps()
    if gaps:
        why = _untreated_words(untreated_split(gaps))
        out.print(f"[yellow]{len(gaps)} gap{'s' if len(gaps) != 1 else ''}[/yellow]: residual risk above the "
                  f"{analysis.risk_appetite.value} appetite and not yet treated ({why})")


def attack_tree(
    model: ModelArg,
    asset: Annotated[list[str] | None, typer.Option("--asset", metavar="<id>",
                                                    help="Only this asset (repeatable).")] = None,
    output_format: Annotated[str, typer.Option("--format", help="text, json or mermaid.")] = "text",
    rules: RulesOpt = None,
) -> None:
    """Attack trees: how each threat actor can reach each valuable asset, and the threats on the way."""
    import json
    import sys

    from threatloom.engine.attack_tree import attack_trees
    from threatloom.render.attack_tree import tree_dict, tree_rich, trees_mermaid

    if output_format not in ("text", "json", "mermaid"):
        fail(f"unknown format {output_format!r}", "use text, json or mermaid")
    loaded, analysis = load_model_and_analyse(model, rules)
    if asset:
        unknown = [a for a in asset if a not in loaded.index.assets]
        if unknown:
            fail(f"unknown asset {unknown[0]!r}", "use an asset ID from the model")
    trees = attack_trees(loaded, analysis, assets=asset)
    if output_format == "json":
        sys.stdout.write(json.dumps([tree_dict(t) for t in trees], indent=2, sort_keys=True) + "\n")
    elif output_format == "mermaid":
        sys.stdout.write(trees_mermaid(loaded, analysis, trees))
    else:
        for tree in trees:
            console().print(tree_rich(loaded, analysis, tree))
        if not trees:
            console().print("no asset is rated confidential or high: name one with --asset")


@rules_app.command("list")
def rules_list(
    rules: RulesOpt = None,
    category: Annotated[str | None, typer.Option(help="Only this category.")] = None,
) -> None:
    """List every active rule."""
    from rich.table import Table

    from threatloom.catalog.loading import load_catalog
    from threatloom.model.vocabulary import Category

    known = [c.value for c in Category]
    if category is not None and category not in known:
        import difflib

        close = difflib.get_close_matches(category, known, 1, 0.6)
        fail(f"unknown category {category!r}", f"did you mean {close[0]!r}?" if close else f"use {', '.join(known)}")
    with input_errors():
        catalog = load_catalog(rules or [])
    table = Table("id", "category", "applies to", "title")
    listed = [c.rule for c in catalog.active_rules() if category is None or c.rule.category.value == category]
    for rule in listed:
        table.add_row(rule.id, rule.category.value, rule.applies_to, rule.title)
    console().print(table)
    from threatloom.render.words import counted

    scope = f" in {category}" if category else ""
    active, controls = counted(len(catalog.active_rules()), "active rule"), counted(len(catalog.controls), "control")
    console().print(f"{counted(len(listed), 'rule')}{scope}; the catalog has {active} and {controls}")


@rules_app.command("show")
def rules_show(
    rule_id: Annotated[str, typer.Argument(help="Rule ID (e.g. TL-S001) or control ID (e.g. C-MFA).")],
    rules: RulesOpt = None,
) -> None:
    """Explain one rule (condition, scoring, references, controls) or one control."""
    import json

    from rich.markup import escape

    from threatloom.catalog.loading import load_catalog

    with input_errors():
        catalog = load_catalog(rules or [])
    out = console()
    if rule_id in catalog.controls:
        c = catalog.controls[rule_id]
        out.print(f"[bold]{c.id}[/bold] {escape(c.name)}\n{escape(c.description)}\nreduces {c.reduces} "
                  f"(strength {c.strength}), effort {c.effort}\nNIST SP 800-53: {', '.join(c.nist)}\n"
                  f"OWASP ASVS: {', '.join(c.asvs)}")
        return
    compiled = catalog.rules.get(rule_id)
    if compiled is None:
        import difflib

        close = difflib.get_close_matches(rule_id, [*catalog.rules, *catalog.controls], 1)
        fail(f"no rule or control {rule_id!r}", f"did you mean {close[0]!r}?" if close else "see `rules list`")
    rule = compiled.rule
    refs = rule.references
    out.print(f"[bold]{rule.id}[/bold] {escape(rule.title)}  [dim]({compiled.origin})[/dim]")
    if rule_id in catalog.disabled:
        out.print(f"[yellow]disabled by {catalog.disabled[rule_id]}[/yellow]")
    out.print(f"category: {rule.category.value} ({rule.category.framework}); applies to: {rule.applies_to}"
              + (f" ({', '.join(t.value for t in rule.element_types)})" if rule.element_types else ""))
    out.print(escape(rule.description.strip()))
    out.print("[bold]when[/bold] " + escape(json.dumps(rule.when)))
    out.print(f"[bold]likelihood[/bold] base {rule.likelihood.base}; actor skill needed: {rule.actor_skill.value}")
    for adj in rule.likelihood.adjust:
        out.print(f"  {adj.by:+d} {escape(adj.because)}")
    affects = ", ".join(p.value for p in rule.impact.affects) or "category default"
    out.print(f"[bold]impact[/bold] from assets' {affects} ratings (base {rule.impact.base})")
    for adj in rule.impact.adjust:
        out.print(f"  {adj.by:+d} {escape(adj.because)}")
    out.print("[bold]references[/bold] " + ", ".join(
        [f"CAPEC-{c}" for c in refs.capec] + [f"CWE-{c}" for c in refs.cwe] + list(refs.attack)))
    out.print(f"[bold]detection[/bold] {escape(rule.detection.strip())}")
    if rule.false_positives:
        out.print(f"[bold]false positives[/bold] {escape(rule.false_positives.strip())}")
    out.print("[bold]candidate controls[/bold]")
    for cid in rule.controls:
        c = catalog.controls[cid]
        out.print(f"  {cid}: {escape(c.name)} — NIST {', '.join(c.nist)}; ASVS {', '.join(c.asvs)}")
