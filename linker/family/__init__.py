"""Family graphs: relations between resolved people, family groups, queries, pictures.

Library entry points (plain data in and out, for the CLI and the service):

- :func:`infer_relations` (records + entities -> :class:`FamilyRelations`),
  :func:`write_relations`, :func:`load_family` (a run folder -> :class:`FamilyGraph`);
- queries: :func:`family_of` / :func:`ego_graph`, :func:`explain_path`,
  :func:`child_status`, :func:`red_flags`;
- pictures: :func:`render_family_svg`, :func:`to_graphml`, :func:`to_node_link`;
- evaluation: :func:`evaluate_relations`.
"""

from __future__ import annotations

from linker.family.graph import (
    FamilyGraph,
    UnknownEntity,
    build_family_graph,
    load_family,
    read_relations,
    write_relations,
)
from linker.family.infer import FamilyRelations, attach_relations, infer_relations
from linker.family.people import FamilySettings
from linker.family.queries import (
    RedFlags,
    child_status,
    ego_graph,
    explain_path,
    family_of,
    red_flags,
)
from linker.family.render import render_family_svg, to_graphml, to_node_link
from linker.family.scoring import evaluate_relations

__all__ = [
    "FamilyGraph",
    "FamilyRelations",
    "FamilySettings",
    "RedFlags",
    "UnknownEntity",
    "attach_relations",
    "build_family_graph",
    "child_status",
    "ego_graph",
    "evaluate_relations",
    "explain_path",
    "family_of",
    "infer_relations",
    "load_family",
    "read_relations",
    "red_flags",
    "render_family_svg",
    "to_graphml",
    "to_node_link",
    "write_relations",
]
