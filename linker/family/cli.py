"""`linker family ...`: the family graph of a finished run, from the command line.

Each command loads the run folder once, calls one query in :mod:`linker.family` and
prints its answer; `--json` prints the same plain data the JSON API serves.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from linker.cli_errors import errors_to_click as _errors_to_click

_RUN_DIR = click.argument("run_dir", type=click.Path(exists=True, file_okay=False, path_type=Path))
_JSON = click.option("--json", "as_json", is_flag=True, help="Print the answer as JSON.")


def _dump(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, default=str))


@click.group("family")
def family() -> None:
    """Relations, family groups, red flags and pictures of a run's people."""


@family.command("show")
@_RUN_DIR
@click.option("--entity", "entity_id", required=True, help="Entity id (entities.csv).")
@click.option("--radius", type=click.IntRange(1, 5), default=2, show_default=True)
@click.option("--max-nodes", type=click.IntRange(2, 2000), default=200, show_default=True)
@_JSON
@_errors_to_click
def show(run_dir: Path, entity_id: str, radius: int, max_nodes: int, as_json: bool) -> None:
    """The family of one person: everyone within RADIUS strong steps, each link with its
    kind and evidence; people beyond MAX_NODES are counted, not listed.

    Example:

        linker family show run/ --entity E3f9a0c1b2d4e
    """
    from linker.family import family_of, load_family

    answer = family_of(load_family(run_dir), entity_id, radius=radius, max_nodes=max_nodes)
    if as_json:
        _dump(answer)
        return
    names = {n["entity_id"]: n["name"] or n["entity_id"] for n in answer["nodes"]}
    click.echo(f"family group {answer['family_group_id']}: {len(answer['nodes'])} people")
    for node in answer["nodes"]:
        age = "?" if node["age"] is None else node["age"]
        click.echo(
            f"  {'*' if node['distance'] == 0 else ' '} {node['entity_id']}  "
            f"{names[node['entity_id']]}"
            f"  age {age}  [{node['sources']}]  {', '.join(node['record_keys'])}"
        )
    click.echo("links:")
    for edge in answer["edges"]:
        flag = " (inferred)" if edge["inferred"] else ""
        click.echo(
            f"  {names[edge['entity_a']]} -{edge['relation']}-> {names[edge['entity_b']]}"
            f"{flag}: {edge['evidence']}"
        )
    if answer["more"]:
        click.echo(f"+{answer['more']} more people not shown (raise --max-nodes)")
    for contact in answer["crowded_contacts"]:
        click.echo(
            f"{contact['contact']} shared by {contact['people']:,} people in "
            f"{contact['families']:,} families (not drawn)"
        )


@family.command("path")
@_RUN_DIR
@click.argument("entity_a")
@click.argument("entity_b")
@click.option("--no-weak", is_flag=True, help="Only strong relations (no shared phone/address).")
@_JSON
@_errors_to_click
def path(run_dir: Path, entity_a: str, entity_b: str, no_weak: bool, as_json: bool) -> None:
    """How two people are connected: the shortest chain of relations, explained.

    Example:

        linker family path run/ E3f9a0c1b2d4e E0a1b2c3d4e5f
    """
    from linker.family import explain_path, load_family

    answer = explain_path(load_family(run_dir), entity_a, entity_b, weak=not no_weak)
    if as_json:
        _dump(answer)
        return
    if not answer["connected"]:
        click.echo("not connected by any known relation")
        return
    if answer["via_weak_links"]:
        click.echo("connected only through weak links (shared phone / address):")
    for step in answer["steps"]:
        click.echo(f"  {step['phrase']}  [{step['evidence']}]")


@family.command("child")
@_RUN_DIR
@click.argument("entity_id")
@_JSON
@_errors_to_click
def child(run_dir: Path, entity_id: str, as_json: bool) -> None:
    """A child's latest known location and sponsors.

    Example:

        linker family child run/ E3f9a0c1b2d4e
    """
    from linker.family import child_status, load_family

    answer = child_status(load_family(run_dir), entity_id)
    if as_json:
        _dump(answer)
        return
    person = answer["child"]
    click.echo(f"{person['name']}  age {person['age']}  [{person['sources']}]")
    latest = answer["latest_location"]
    if latest is None:
        click.echo("latest known location: none recorded")
    else:
        click.echo(
            f"latest known location: {latest['address']} ({latest['event_date'] or 'no date'}, "
            f"{latest['via']}, {latest['source']}:{latest['record_key']})"
        )
    for sponsor in answer["sponsors"]:
        click.echo(
            f"sponsor: {sponsor['name']} ({sponsor['stated'] or 'relationship not stated'}) "
            f"{sponsor['entity_id']}  {sponsor['address'] or ''} {sponsor['phone'] or ''}"
        )
    if not answer["sponsors"]:
        click.echo("sponsor: none recorded")


@family.command("flags")
@_RUN_DIR
@click.option(
    "--min-children",
    type=click.IntRange(min=2),
    default=3,
    show_default=True,
    help="Unrelated children at one sponsor address / phone that raise a flag.",
)
@_JSON
@_errors_to_click
def flags(run_dir: Path, min_children: int, as_json: bool) -> None:
    """Red flags: sponsor addresses or phones shared by many unrelated children; children
    whose travelling adult was released elsewhere or never checked in; children with no
    known relative in any extract.

    Example:

        linker family flags run/ --min-children 3
    """
    from linker.family import load_family, red_flags

    found = red_flags(load_family(run_dir), min_children=min_children)
    if as_json:
        _dump(found.to_dict())
        return
    shared = found.shared_sponsor_contacts
    click.echo(f"sponsor contacts shared by {min_children}+ unrelated children: {len(shared)}")
    for row in shared.itertuples(index=False):
        click.echo(
            f"  {row.contact} {row.value}: {row.unrelated} unrelated of {row.children} children, "
            f"{row.sponsors} sponsor(s)"
        )
    separated = found.separated_children
    click.echo(f"children separated from their travelling adult: {separated['child'].nunique()}")
    for row in separated.itertuples(index=False):
        click.echo(
            f"  {row.child} ({row.child_name}) / {row.adult} ({row.adult_name}): {row.detail}"
        )
    alone = found.children_without_relatives
    click.echo(f"children with no known relative: {len(alone)}")
    for row in alone.head(50).itertuples(index=False):
        click.echo(f"  {row.child} ({row.name}) [{row.sources}]")
    if len(alone) > 50:
        click.echo(f"  ... {len(alone) - 50} more (use --json for all)")


@family.command("draw")
@_RUN_DIR
@click.option("--entity", "entity_id", required=True, help="Entity id at the centre.")
@click.option(
    "--out",
    "out_path",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="File to write: .svg picture, .graphml, or .json (node-link).",
)
@click.option("--radius", type=click.IntRange(1, 5), default=2, show_default=True)
@click.option("--max-nodes", type=click.IntRange(2, 2000), default=200, show_default=True)
@_errors_to_click
def draw(run_dir: Path, entity_id: str, out_path: Path, radius: int, max_nodes: int) -> None:
    """Draw one person's family as SVG, or export it as GraphML / node-link JSON.

    Example:

        linker family draw run/ --entity E3f9a0c1b2d4e --out family.svg
    """
    from linker.family import ego_graph, load_family, render_family_svg, to_graphml
    from linker.family.queries import record_keys
    from linker.family.render import write_node_link

    suffix = out_path.suffix.lower()
    if suffix not in (".svg", ".graphml", ".json"):
        raise click.UsageError(f"--out must end in .svg, .graphml or .json (got {out_path.name})")
    fg = load_family(run_dir)
    ego = ego_graph(fg, entity_id, radius=radius, max_nodes=max_nodes)
    if suffix == ".svg":
        keys = {node: record_keys(fg, node) for node in ego}
        out_path.write_text(render_family_svg(ego, entity_id, record_keys=keys), encoding="utf-8")
    elif suffix == ".graphml":
        to_graphml(ego, out_path)
    else:
        write_node_link(ego, out_path)
    click.echo(f"{ego.number_of_nodes()} people, {ego.number_of_edges()} links -> {out_path}")
