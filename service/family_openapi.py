"""The family routes' part of the OpenAPI document (merged in by service/openapi.py).

Built from the constants the views check (kinds, limits), which live here so that
`service.family_api` imports them and the document cannot drift from the API.
"""

from __future__ import annotations

from typing import Any, Final

from linker.family import kinds as K
from service.openapi_parts import JSON, errors, json_content, nullable, ref

MAX_ID: Final = 32  # characters of an entity id
MAX_RADIUS: Final = 5
MAX_NODES: Final = 2000
DEFAULT_MAX_NODES: Final = 200
MAX_MIN_CHILDREN: Final = 10_000
MAX_NOTE: Final = 2000


def _entity_param(name: str) -> dict[str, Any]:
    return {
        "name": name,
        "in": "path",
        "required": True,
        "schema": {"type": "string", "minLength": 1, "maxLength": MAX_ID},
    }


def _int_query(name: str, low: int, high: int, default: int) -> dict[str, Any]:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "schema": {"type": "integer", "minimum": low, "maximum": high, "default": default},
    }


def family_schemas() -> dict[str, Any]:
    text = {"type": "string"}
    kind = {"type": "string", "enum": list(K.RELATION_KINDS)}
    person = {
        "type": "object",
        "required": ["entity_id", "name", "minor", "sources"],
        "properties": {
            "entity_id": text,
            "name": nullable(text),
            "sex": nullable(text),
            "birth_year": nullable({"type": "integer"}),
            "age": nullable({"type": "integer"}),
            "minor": {"type": "boolean"},
            "a_number": nullable(text),
            "sources": {"type": "string", "description": "agencies, ';'-joined"},
            "records": {"type": "integer"},
            "family_group_id": text,
        },
    }
    relation = {
        "type": "object",
        "required": ["entity_a", "entity_b", "relation", "evidence", "strength", "inferred"],
        "properties": {
            "entity_a": text,
            "entity_b": text,
            "relation": kind,
            "evidence": text,
            "strength": {"type": "string", "enum": [K.STRONG, K.WEAK]},
            "inferred": {"type": "boolean"},
            "sources": text,
            "support": {"type": "integer"},
            "stated": nullable(text),
        },
    }
    record_ref = {
        "type": "object",
        "properties": {"source": text, "record_key": text},
    }
    return {
        "FamilyPerson": person,
        "FamilyRelation": relation,
        "Family": {
            "type": "object",
            "required": ["center", "nodes", "edges", "more", "family_group_id"],
            "properties": {
                "run_id": {"type": "integer"},
                "center": text,
                "family_group_id": text,
                "family_group_size": {"type": "integer"},
                "radius": {"type": "integer"},
                "more": {"type": "integer", "description": "people reached but not listed"},
                "nodes": {
                    "type": "array",
                    "items": {
                        "allOf": [
                            ref("FamilyPerson"),
                            {
                                "type": "object",
                                "properties": {
                                    "distance": {"type": "integer"},
                                    "record_keys": {"type": "array", "items": text},
                                },
                            },
                        ]
                    },
                },
                "edges": {"type": "array", "items": ref("FamilyRelation")},
                "crowded_contacts": {
                    "type": "array",
                    "description": "phones / addresses too widely shared to draw",
                    "items": {
                        "type": "object",
                        "properties": {
                            "contact": text,
                            "value": text,
                            "people": {"type": "integer"},
                            "families": {"type": "integer"},
                        },
                    },
                },
            },
        },
        "FamilyPath": {
            "type": "object",
            "required": ["from", "to", "connected", "via_weak_links", "steps"],
            "properties": {
                "from": text,
                "to": text,
                "connected": {"type": "boolean"},
                "via_weak_links": {"type": "boolean"},
                "steps": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {
                            "from": text,
                            "to": text,
                            "relation": kind,
                            "direction": {"type": "string", "enum": ["forward", "backward"]},
                            "phrase": text,
                            "evidence": text,
                            "strength": text,
                            "inferred": {"type": "boolean"},
                        },
                    },
                },
            },
        },
        "ChildStatus": {
            "type": "object",
            "required": ["child", "latest_location", "locations", "sponsors"],
            "properties": {
                "child": ref("FamilyPerson"),
                "latest_location": nullable({"type": "object"}),
                "locations": {"type": "array", "items": {"type": "object"}},
                "sponsors": {"type": "array", "items": {"type": "object"}},
            },
        },
        "RedFlags": {
            "type": "object",
            "required": [
                "min_children",
                "shared_sponsor_contacts",
                "separated_children",
                "children_without_relatives",
            ],
            "properties": {
                "run_id": {"type": "integer"},
                "min_children": {"type": "integer"},
                "shared_sponsor_contacts": {"type": "array", "items": {"type": "object"}},
                "separated_children": {"type": "array", "items": {"type": "object"}},
                "children_without_relatives": {"type": "array", "items": {"type": "object"}},
            },
        },
        "RelationAssertionRequest": {
            "type": "object",
            "required": ["entity_b", "relation"],
            "additionalProperties": False,
            "properties": {
                "entity_b": {"type": "string", "minLength": 1, "maxLength": MAX_ID},
                "relation": kind,
                "note": nullable({"type": "string", "maxLength": MAX_NOTE}),
            },
        },
        "RelationAssertion": {
            "type": "object",
            "required": ["id", "entity_a", "entity_b", "relation", "active", "reviewer"],
            "properties": {
                "id": {"type": "integer"},
                "entity_a": text,
                "entity_b": text,
                "relation": kind,
                "active": {"type": "boolean", "description": "false: a removal"},
                "note": text,
                "reviewer": text,
                "asserted_at": {"type": "string", "format": "date-time"},
                "records": {
                    "type": "object",
                    "description": "the records it is keyed by (it outlives re-runs)",
                    "properties": {"a": record_ref, "b": record_ref},
                },
            },
        },
    }


def family_paths() -> dict[str, Any]:
    return {
        "/api/family/flags": {
            "get": {
                "operationId": "familyRedFlags",
                "summary": "Red flags over the latest run",
                "description": (
                    "Sponsor addresses / phones shared by min_children or more unrelated "
                    "children; children whose travelling adult was released elsewhere or "
                    "never checked in; children with no known relative. Any role."
                ),
                "parameters": [_int_query("min_children", 1, MAX_MIN_CHILDREN, 3)],
                "responses": {
                    "200": json_content(ref("RedFlags"), "the three lists"),
                    **errors("401", "403", "404", "422"),
                },
            }
        },
        "/api/family/{entity_id}": {
            "get": {
                "operationId": "family",
                "summary": "The family of one person (ego graph)",
                "description": (
                    "Everyone within radius strong steps (and the person's own weak "
                    "links), each relation with its kind and evidence; people beyond "
                    "max_nodes are counted in `more`, widely shared contacts summarized. "
                    "Unknown entity: 404."
                ),
                "parameters": [
                    _entity_param("entity_id"),
                    _int_query("radius", 1, MAX_RADIUS, 2),
                    _int_query("max_nodes", 1, MAX_NODES, DEFAULT_MAX_NODES),
                ],
                "responses": {
                    "200": json_content(ref("Family"), "nodes and edges"),
                    **errors("401", "403", "404", "422"),
                },
            }
        },
        "/api/family/{entity_a}/path/{entity_b}": {
            "get": {
                "operationId": "familyPath",
                "summary": "How two people are connected",
                "description": (
                    "The shortest chain of strong relations, each step explained; weak "
                    "links (shared phone / address) only when nothing strong connects "
                    "them, and never with weak=0."
                ),
                "parameters": [
                    _entity_param("entity_a"),
                    _entity_param("entity_b"),
                    {
                        "name": "weak",
                        "in": "query",
                        "required": False,
                        "schema": {"type": "string", "enum": ["0", "1"], "default": "1"},
                    },
                ],
                "responses": {
                    "200": json_content(ref("FamilyPath"), "the explained path"),
                    **errors("401", "403", "404", "422"),
                },
            }
        },
        "/api/family/{entity_id}/child": {
            "get": {
                "operationId": "childStatus",
                "summary": "A child's latest known location and sponsors",
                "parameters": [_entity_param("entity_id")],
                "responses": {
                    "200": json_content(ref("ChildStatus"), "location and sponsors"),
                    **errors("401", "403", "404"),
                },
            }
        },
        "/api/family/{entity_a}/relations": {
            "post": {
                "operationId": "assertRelation",
                "summary": "Assert a relation between this person and another",
                "description": (
                    "Reviewer or admin. Directed kinds read entity_a -> entity_b. Kept "
                    "keyed by each person's first record, so it holds in later runs; "
                    "append-only and audited."
                ),
                "parameters": [_entity_param("entity_a")],
                "requestBody": {
                    "required": True,
                    "content": {JSON: {"schema": ref("RelationAssertionRequest")}},
                },
                "responses": {
                    "201": {
                        **json_content(ref("RelationAssertion"), "the assertion as stored"),
                        "headers": {
                            "Location": {
                                "description": "/api/family/{entity_a}",
                                "schema": {"type": "string"},
                            }
                        },
                    },
                    **errors("400", "401", "403", "404", "413", "422"),
                },
            }
        },
        "/api/family/{entity_a}/relations/{relation}/{entity_b}": {
            "delete": {
                "operationId": "removeRelation",
                "summary": "Remove a relation (inferred or asserted)",
                "description": (
                    "Reviewer or admin. Appends a removal; 404 when the graph has no "
                    "such relation between the two."
                ),
                "parameters": [
                    _entity_param("entity_a"),
                    {
                        "name": "relation",
                        "in": "path",
                        "required": True,
                        "schema": {"type": "string", "enum": list(K.RELATION_KINDS)},
                    },
                    _entity_param("entity_b"),
                    {
                        "name": "note",
                        "in": "query",
                        "required": False,
                        "schema": {"type": "string", "maxLength": MAX_NOTE},
                    },
                ],
                "responses": {
                    "200": json_content(ref("RelationAssertion"), "the removal as stored"),
                    **errors("400", "401", "403", "404", "422"),
                },
            }
        },
    }
