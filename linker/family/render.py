"""Pictures and exports of a family: server-side SVG, GraphML and node-link JSON.

The layout is rings by distance from the selected person, who sits in the middle:
deterministic (the same family draws the same picture on every request, so a reviewer
can compare two screenshots), instant for the few hundred people an ego graph holds,
and readable, since "one step away" is literally the first ring. Within a ring people
are ordered by the kind of their link to the centre, then by id.

Each person is a box with name, age (birth year) and agency records; edges are styled
by kind (colour, dash) with arrows for the directed kinds, and a legend explains them.
Text is XML-escaped: names come from the extracts.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any, Final
from xml.sax.saxutils import escape

import networkx as nx

from linker import columns as C
from linker.family import kinds as K
from linker.family.people import AGE, BIRTH_YEAR, MINOR, NAME

BOX_W: Final = 230
BOX_H: Final = 62
RING: Final = 250  # px between rings
RECORDS_LABELLED: Final = 2
# kind: (colour, dash pattern, legend label)
EDGE_STYLE: Final[dict[str, tuple[str, str, str]]] = {
    K.PARENT_OF: ("#1f6fb2", "", "parent of (arrow to child)"),
    K.SPONSOR_OF: ("#b2591f", "", "sponsor of (arrow to child)"),
    K.SIBLING_OF: ("#2e8b57", "", "sibling"),
    K.SPOUSE_OF: ("#8e44ad", "", "spouse"),
    K.CO_TRAVELER: ("#555555", "6 4", "travelled together"),
    K.SHARED_PHONE: ("#999999", "2 4", "shared phone (weak)"),
    K.SHARED_ADDRESS: ("#bbbbbb", "2 4", "shared address (weak)"),
}
_RING_ORDER: Final = {k: i for i, k in enumerate(K.RELATION_KINDS)}


def render_family_svg(
    graph: nx.MultiDiGraph, center_entity: str, *, record_keys: dict[str, list[str]] | None = None
) -> str:
    """An SVG document drawing ``graph`` (an ego graph, see :func:`queries.ego_graph`)
    around ``center_entity``. ``record_keys`` (entity -> ["cbp:EPT...", ...]) labels each
    person with their agency records; ``graph.graph["more"]`` (people left out) is noted.
    """
    if center_entity not in graph:
        raise KeyError(f"{center_entity!r} is not in the graph to draw")
    positions = ring_layout(graph, center_entity)
    xs = [x for x, _ in positions.values()]
    ys = [y for _, y in positions.values()]
    legend_h = 22 * len(EDGE_STYLE) + 30
    min_x, max_x = min(xs) - BOX_W, max(xs) + BOX_W
    min_y, max_y = min(ys) - BOX_H, max(ys) + BOX_H
    width, height = max_x - min_x + 260, max(max_y - min_y, legend_h) + 60
    dx, dy = -min_x + 20, -min_y + 40

    def at(node: str) -> tuple[float, float]:
        x, y = positions[node]
        return x + dx, y + dy

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" height="{height:.0f}" '
        f'viewBox="0 0 {width:.0f} {height:.0f}" font-family="sans-serif" font-size="12">',
        "<defs>",
        *(_arrow(kind, colour) for kind, (colour, _, _) in EDGE_STYLE.items()),
        "</defs>",
        f"<title>Family of {escape(_name(graph, center_entity))}</title>",
        '<g class="edges">',
    ]
    # Two people linked by several kinds (parent and co-traveller) get parallel lines.
    bundles: dict[tuple[str, str], list[tuple[str, str, str]]] = {}
    for a, b, kind in sorted(graph.edges(keys=True), key=lambda e: (_RING_ORDER[e[2]], e)):
        bundles.setdefault((min(a, b), max(a, b)), []).append((a, b, kind))
    for (lo, hi), edges in sorted(bundles.items()):
        for i, (a, b, kind) in enumerate(edges):
            shift = (i - (len(edges) - 1) / 2) * 7
            pa, pb = _shifted(at(lo), at(hi), shift)
            ends = (pa, pb) if a == lo else (pb, pa)
            parts.append(_edge(*ends, kind, graph.edges[a, b, kind]))
    parts.append("</g>")
    parts.append('<g class="people">')
    for node in sorted(graph.nodes):
        keys = (record_keys or {}).get(node, [])
        parts.append(_person(graph, node, at(node), keys, node == center_entity))
    parts.append("</g>")
    parts.append(_legend(width - 230, 20))
    more = int(graph.graph.get("more", 0) or 0)
    if more:
        parts.append(
            f'<text class="more" x="20" y="{height - 12:.0f}" fill="#a00">'
            f"+{more} more people not drawn (open them from a person here)</text>"
        )
    parts.append("</svg>")
    return "\n".join(parts)


def ring_layout(graph: nx.MultiDiGraph, center: str) -> dict[str, tuple[float, float]]:
    """Centre at (0, 0); ring r holds the people r steps away, evenly spaced from the top."""
    undirected = nx.Graph(graph.to_undirected(as_view=True))
    strong = nx.Graph((a, b) for a, b, kind in graph.edges(keys=True) if kind in K.STRONG_KINDS)
    strong.add_node(center)
    # Relatives by strong steps; people reached only by a weak link go on the outer ring.
    distance = nx.single_source_shortest_path_length(strong, center)
    far = max(distance.values(), default=0) + 1
    link_to_centre: dict[str, int] = {}
    for other in undirected.neighbors(center):
        kinds = set(graph.succ[center].get(other, {})) | set(graph.pred[center].get(other, {}))
        link_to_centre[other] = min(_RING_ORDER[k] for k in kinds)
    rings: dict[int, list[str]] = {}
    for node in graph.nodes:
        rings.setdefault(distance.get(node, far), []).append(node)
    positions: dict[str, tuple[float, float]] = {}
    for ring, members in rings.items():
        members.sort(key=lambda n: (link_to_centre.get(n, len(_RING_ORDER)), n))
        if ring == 0:
            positions.update({n: (0.0, 0.0) for n in members})
            continue
        # A ring wide enough that its boxes do not overlap.
        radius = max(RING * ring, len(members) * (BOX_W + 20) / (2 * math.pi))
        for i, node in enumerate(members):
            angle = -math.pi / 2 + 2 * math.pi * i / len(members)
            positions[node] = (radius * math.cos(angle), radius * math.sin(angle))
    return positions


def to_graphml(graph: nx.MultiDiGraph, path: Path) -> Path:
    """GraphML for Gephi / yEd; attributes that are None are left out (GraphML has no null)."""
    clean = nx.MultiDiGraph()
    clean.add_nodes_from((n, _no_none(d)) for n, d in graph.nodes(data=True))
    clean.add_edges_from((a, b, k, _no_none(d)) for a, b, k, d in graph.edges(keys=True, data=True))
    for key, value in graph.graph.items():
        if value is not None:
            clean.graph[key] = value
    nx.write_graphml(clean, path)
    return path


def to_node_link(graph: nx.MultiDiGraph) -> dict[str, Any]:
    """The node-link JSON form (d3's): {"nodes": [...], "edges": [...], "graph": {...}}."""
    data: dict[str, Any] = nx.node_link_data(graph, edges="edges")
    return data


def write_node_link(graph: nx.MultiDiGraph, path: Path) -> Path:
    path.write_text(json.dumps(to_node_link(graph), indent=1, default=str) + "\n")
    return path


# --- pieces ----------------------------------------------------------------------------------
def _arrow(kind: str, colour: str) -> str:
    return (
        f'<marker id="arrow-{kind}" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="5" '
        f'markerHeight="5" orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" '
        f'fill="{colour}"/></marker>'
    )


def _edge(a: tuple[float, float], b: tuple[float, float], kind: str, attrs: dict[str, Any]) -> str:
    colour, dash, _ = EDGE_STYLE[kind]
    (x1, y1), (x2, y2) = _clip(a, b), _clip(b, a)
    dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
    arrow = f' marker-end="url(#arrow-{kind})"' if kind in K.DIRECTED_KINDS else ""
    width = 2.5 if attrs.get(K.STRENGTH) == K.STRONG and not attrs.get(K.INFERRED) else 1.5
    tip = escape(f"{kind}: {attrs.get(K.EVIDENCE) or ''}")
    return (
        f'<line class="edge {kind}" x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" '
        f'stroke="{colour}" stroke-width="{width}"{dash_attr}{arrow}><title>{tip}</title></line>'
    )


def _shifted(
    a: tuple[float, float], b: tuple[float, float], shift: float
) -> tuple[tuple[float, float], tuple[float, float]]:
    """The segment a-b moved ``shift`` px sideways (perpendicular to it)."""
    dx, dy = b[0] - a[0], b[1] - a[1]
    length = math.hypot(dx, dy) or 1.0
    ox, oy = -dy / length * shift, dx / length * shift
    return (a[0] + ox, a[1] + oy), (b[0] + ox, b[1] + oy)


def _clip(a: tuple[float, float], b: tuple[float, float]) -> tuple[float, float]:
    """Where the segment a -> b leaves a's box, so arrows end at the box, not under it."""
    (x1, y1), (x2, y2) = a, b
    dx, dy = x2 - x1, y2 - y1
    if dx == 0 and dy == 0:
        return a
    scale = min(
        (BOX_W / 2) / abs(dx) if dx else math.inf,
        (BOX_H / 2) / abs(dy) if dy else math.inf,
    )
    return x1 + dx * min(scale, 1.0), y1 + dy * min(scale, 1.0)


def _person(
    graph: nx.MultiDiGraph, node: str, at: tuple[float, float], keys: list[str], centre: bool
) -> str:
    attrs = graph.nodes[node]
    x, y = at[0] - BOX_W / 2, at[1] - BOX_H / 2
    fill = "#fff4d6" if attrs.get(MINOR) else "#eef3fb"
    stroke, stroke_w = ("#d62728", 3) if centre else ("#44546a", 1)
    age, born = attrs.get(AGE), attrs.get(BIRTH_YEAR)
    age_text = "age unknown" if age is None else f"age {age}"
    if born is not None:
        age_text += f" (b. {born})"
    if attrs.get(C.A_NUMBER):
        age_text += f" · A{attrs[C.A_NUMBER]}"
    shown = ", ".join(keys[:RECORDS_LABELLED])
    if len(keys) > RECORDS_LABELLED:
        shown += f" +{len(keys) - RECORDS_LABELLED}"
    records = shown or str(attrs.get(K.SOURCES) or "")
    css = "person center" if centre else "person"
    lines = [_name(graph, node), age_text, records]
    weight = [' font-weight="bold"'] + [""] * (len(lines) - 1)
    text = "".join(
        f'<text x="{x + 8:.1f}" y="{y + 17 + 16 * i:.1f}"{weight[i]}>{escape(_fit(line))}</text>'
        for i, line in enumerate(lines)
    )
    return (
        f'<g class="{css}" data-entity="{escape(node)}"><rect x="{x:.1f}" y="{y:.1f}" '
        f'width="{BOX_W}" height="{BOX_H}" rx="8" fill="{fill}" stroke="{stroke}" '
        f'stroke-width="{stroke_w}"/>{text}</g>'
    )


def _legend(x: float, y: float) -> str:
    rows = [f'<g class="legend"><text x="{x:.0f}" y="{y:.0f}" font-weight="bold">Legend</text>']
    for i, (kind, (colour, dash, label)) in enumerate(EDGE_STYLE.items()):
        ly = y + 20 + 22 * i
        dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
        arrow = f' marker-end="url(#arrow-{kind})"' if kind in K.DIRECTED_KINDS else ""
        rows.append(
            f'<line x1="{x:.0f}" y1="{ly - 4:.0f}" x2="{x + 40:.0f}" y2="{ly - 4:.0f}" '
            f'stroke="{colour}" stroke-width="2.5"{dash_attr}{arrow}/>'
            f'<text x="{x + 50:.0f}" y="{ly:.0f}">{escape(label)}</text>'
        )
    rows.append("</g>")
    return "".join(rows)


def _name(graph: nx.MultiDiGraph, node: str) -> str:
    return str(graph.nodes[node].get(NAME) or node)


def _fit(text: str, limit: int = 32) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _no_none(attrs: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in attrs.items() if v is not None}
