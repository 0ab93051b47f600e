"""The OpenAPI 3.0 document of the JSON API, served at `/api/openapi.json`.

Built from the same constants the views check (field names, limits, decision kinds), so
the document cannot drift from what the API accepts; schemathesis checks the running app
against it in tests/test_openapi_schemathesis.py.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from linker.lookup import MAX_K, MAX_VALUE_LENGTH, QUERY_FIELDS
from linker.store.schema import DECISION_KINDS
from linker.store.search import MAX_RESULTS
from service.family_openapi import family_paths, family_schemas
from service.openapi_parts import JSON, errors, json_content, nullable, ref

# Limits the API checks (service/api.py imports them from here).
MAX_NOTE = 2000  # characters of a decision's note
MAX_KEY = 200  # characters of a record key
MAX_QUERY = 200  # characters of a search
DEFAULT_LIMIT = 25


def _error(description: str) -> dict[str, Any]:
    return json_content(ref("Error"), description)


def _schemas() -> dict[str, Any]:
    text = {"type": "string"}
    record_ref = {
        "type": "object",
        "required": ["source", "record_key"],
        "additionalProperties": False,
        "properties": {
            "source": {"type": "string", "minLength": 1, "maxLength": 64},
            "record_key": {"type": "string", "minLength": 1, "maxLength": MAX_KEY},
        },
    }
    explanation = {
        "type": "object",
        "description": "Per comparison: the level reached and its log2 contribution.",
        "additionalProperties": {
            "type": "object",
            "required": ["level", "weight"],
            "properties": {"level": text, "weight": {"type": "number"}},
        },
    }
    record = {
        "type": "object",
        "required": ["source", "record_key", "entity_id", "standardized", "raw"],
        "properties": {
            "source": text,
            "record_key": text,
            "entity_id": text,
            "a_number": nullable(text),
            "a_number_original": nullable(text),
            "standardized": {"type": "object"},
            "raw": {"type": "object"},
        },
    }
    state = {
        "type": "object",
        "required": ["in_force", "binds", "awaiting_second", "conflict"],
        "properties": {
            "in_force": nullable({"type": "string", "enum": list(DECISION_KINDS)}),
            "binds": {"type": "boolean"},
            "awaiting_second": {"type": "boolean"},
            "conflict": {"type": "boolean"},
        },
    }
    decision = {
        "type": "object",
        "required": ["id", "left", "right", "decision", "reviewer", "decided_at"],
        "properties": {
            "id": {"type": "integer"},
            "left": ref("RecordRef"),
            "right": ref("RecordRef"),
            "decision": {"type": "string", "enum": list(DECISION_KINDS)},
            "note": text,
            "reviewer": text,
            "decided_at": {"type": "string", "format": "date-time"},
            "run_id": nullable({"type": "integer"}),
            "needs_second": {"type": "boolean"},
            "state": ref("PairState"),
        },
    }
    return {
        "Error": {
            "type": "object",
            "required": ["error", "message"],
            "properties": {
                "error": {"type": "string", "description": "a stable code"},
                "message": {"type": "string", "description": "what was wrong and the fix"},
            },
        },
        "RecordRef": record_ref,
        "QueryRecord": {
            "type": "object",
            "description": (
                "One person's canonical fields, as a mapping names them; standardized "
                "like an extract. Dates are best given as YYYY-MM-DD; a date such as "
                "05/06/2015 reads as the run read the extract of the record's `source` "
                "(day first for a source whose dates were), else month first. "
                "cross_reference reads '<source>:<record_key>'. At least one matching "
                "field must be "
                "usable after standardizing (an A-number, a document or person id, a "
                "phone, an address, a full date of birth, or a given and a family name), "
                "else 422."
            ),
            "additionalProperties": False,
            "properties": {
                name: nullable({"type": "string", "maxLength": MAX_VALUE_LENGTH})
                for name in QUERY_FIELDS
            },
        },
        "MatchRequest": {
            "type": "object",
            "required": ["record"],
            "additionalProperties": False,
            "properties": {
                "record": ref("QueryRecord"),
                "k": {"type": "integer", "minimum": 1, "maximum": MAX_K, "default": 10},
            },
        },
        "Candidate": {
            "type": "object",
            "required": [
                "source",
                "record_key",
                "entity_id",
                "match_probability",
                "match_weight",
                "explanation",
            ],
            "properties": {
                "source": text,
                "record_key": text,
                "entity_id": text,
                "a_number": nullable(text),
                "match_probability": {"type": "number", "minimum": 0, "maximum": 1},
                "match_weight": {"type": "number"},
                "contradiction": nullable(text),
                "explanation": ref("Explanation"),
                "found_by": {"type": "array", "items": text},
            },
        },
        "MatchResponse": {
            "type": "object",
            "required": ["run_id", "candidates"],
            "properties": {
                "run_id": {"type": "integer"},
                "candidates": {"type": "array", "items": ref("Candidate"), "maxItems": MAX_K},
            },
        },
        "Explanation": explanation,
        "Record": record,
        "Pair": {
            "type": "object",
            "required": ["pair_id", "left", "right", "match_probability", "explanation"],
            "properties": {
                "pair_id": {"type": "integer"},
                "left": ref("Record"),
                "right": ref("Record"),
                "match_probability": {"type": "number", "minimum": 0, "maximum": 1},
                "match_weight": {"type": "number"},
                "review_rank": nullable({"type": "integer"}),
                "review_reason": text,
                "explanation": ref("Explanation"),
                "left_members": {"type": "array", "items": ref("Record")},
                "right_members": {"type": "array", "items": ref("Record")},
            },
        },
        "DecisionRequest": {
            "type": "object",
            "required": ["left", "right", "decision"],
            "additionalProperties": False,
            "properties": {
                "left": ref("RecordRef"),
                "right": ref("RecordRef"),
                "decision": {"type": "string", "enum": list(DECISION_KINDS)},
                "note": nullable({"type": "string", "maxLength": MAX_NOTE}),
            },
        },
        "PairState": state,
        "Decision": decision,
        "Entity": {
            "type": "object",
            "required": ["entity_id", "members", "sources", "decisions"],
            "properties": {
                "entity_id": text,
                "a_number": nullable(text),
                "size": {"type": "integer"},
                "sources": {"type": "array", "items": text},
                "members": {"type": "array", "items": ref("Record")},
                "decisions": {"type": "array", "items": ref("Decision")},
                "linked": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {
                            "record": ref("Record"),
                            "member": ref("RecordRef"),
                            "awaiting_second": {"type": "boolean"},
                        },
                    },
                },
                "split_out": {"type": "array", "items": ref("RecordRef")},
            },
        },
        "SearchResponse": {
            "type": "object",
            "required": ["criteria", "limit", "results"],
            "properties": {
                "criteria": {"type": "array", "items": text},
                "limit": {"type": "integer"},
                "results": {
                    "type": "array",
                    "maxItems": MAX_RESULTS,
                    "items": {
                        "type": "object",
                        "required": ["source", "record_key", "entity_id", "score"],
                        "properties": {
                            "source": text,
                            "record_key": text,
                            "entity_id": text,
                            "a_number": nullable(text),
                            "full_name": nullable(text),
                            "dob": nullable(text),
                            "dob_year": nullable({"type": "integer"}),
                            "score": {"type": "number", "minimum": 0, "maximum": 1},
                        },
                    },
                },
            },
        },
    }


def _paths() -> dict[str, Any]:
    return {
        "/api/match": {
            "post": {
                "operationId": "match",
                "summary": "Rank existing entities against one record",
                "description": (
                    "Standardizes the record as the batch does, finds candidates through "
                    "the blocking keys, scores each with the stored model and answers the "
                    "best member of each of the top k entities, most likely first. "
                    "Any role."
                ),
                "requestBody": {
                    "required": True,
                    "content": {JSON: {"schema": ref("MatchRequest")}},
                },
                "responses": {
                    "200": json_content(ref("MatchResponse"), "candidates, best first"),
                    **errors("400", "401", "403", "404", "413", "422"),
                },
            }
        },
        "/api/review/next": {
            "get": {
                "operationId": "nextPair",
                "summary": "Claim the next pair to review",
                "description": "Reviewer or admin. 204 when the queue is empty.",
                "responses": {
                    "200": json_content(ref("Pair"), "the pair, claimed for this reviewer"),
                    "204": {"description": "nothing left to review"},
                    **errors("401", "403"),
                },
            }
        },
        "/api/decisions": {
            "post": {
                "operationId": "decide",
                "summary": "Record a decision on two records",
                "description": (
                    "Reviewer or admin. Decisions are keyed by the two records' "
                    "(source, record_key) and may name any two records of the latest run, "
                    "compared by the model or not. A record key the latest run does not "
                    "hold is 404; the same record on both sides is 422. Append-only: the "
                    "answer's Location names the new decision."
                ),
                "requestBody": {
                    "required": True,
                    "content": {JSON: {"schema": ref("DecisionRequest")}},
                },
                "responses": {
                    "201": {
                        **json_content(ref("Decision"), "the decision as stored"),
                        "headers": {
                            "Location": {
                                "description": "/api/decisions/{id}",
                                "schema": {"type": "string"},
                            }
                        },
                    },
                    **errors("400", "401", "403", "404", "413", "422"),
                },
            }
        },
        "/api/decisions/{decision_id}": {
            "get": {
                "operationId": "getDecision",
                "summary": "One decision, with the state of its pair",
                "parameters": [
                    {
                        "name": "decision_id",
                        "in": "path",
                        "required": True,
                        "schema": {"type": "integer", "minimum": 1},
                    }
                ],
                "responses": {
                    "200": json_content(ref("Decision"), "the decision"),
                    **errors("401", "403", "404"),
                },
            }
        },
        "/api/entities/{entity_id}": {
            "get": {
                "operationId": "getEntity",
                "summary": "An entity of the latest run",
                "parameters": [
                    {
                        "name": "entity_id",
                        "in": "path",
                        "required": True,
                        "schema": {"type": "string", "minLength": 1, "maxLength": 32},
                    }
                ],
                "responses": {
                    "200": json_content(ref("Entity"), "members by source, A-number, decisions"),
                    **errors("401", "403", "404"),
                },
            }
        },
        "/api/search": {
            "get": {
                "operationId": "search",
                "summary": "Search by name, date of birth, A-number or case key",
                "description": (
                    "Free text: a 'source:record_key' token is a case key, an A-number "
                    "shaped token an A-number, a date the date of birth, the rest the name."
                ),
                "parameters": [
                    {
                        "name": "q",
                        "in": "query",
                        "required": True,
                        "schema": {"type": "string", "minLength": 1, "maxLength": MAX_QUERY},
                    },
                    {
                        "name": "limit",
                        "in": "query",
                        "required": False,
                        "schema": {
                            "type": "integer",
                            "minimum": 1,
                            "maximum": MAX_RESULTS,
                            "default": DEFAULT_LIMIT,
                        },
                    },
                ],
                "responses": {
                    "200": json_content(ref("SearchResponse"), "records, best first"),
                    **errors("401", "403", "422"),
                },
            }
        },
        "/api/openapi.json": {
            "get": {
                "operationId": "openapi",
                "summary": "This document",
                "responses": {
                    "200": {"description": "the OpenAPI document", "content": {JSON: {}}},
                    **errors("401"),
                },
            }
        },
    }


@cache
def openapi_document() -> dict[str, Any]:
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "linker API",
            "version": "1",
            "description": (
                "Look up a record against everything linked, work the review queue, "
                "record decisions, read entities and search. Errors are JSON "
                "{error, message} with a 4xx, and a refused request changes nothing."
            ),
        },
        "servers": [{"url": "/"}],
        "security": [{"bearerAuth": []}],
        "paths": {**_paths(), **family_paths()},
        "components": {
            "securitySchemes": {
                "bearerAuth": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "a token from `linker users add NAME --role ROLE --token`",
                }
            },
            "schemas": {**_schemas(), **family_schemas()},
            "responses": {
                "Malformed": _error("the body is not JSON (or a session caller sent no CSRF)"),
                "Unauthorized": _error("no valid bearer token or session"),
                "Forbidden": _error("the user's role may not do this"),
                "NotFound": _error("unknown record, decision, entity, or no run stored yet"),
                "TooLarge": _error("the body is over 1 MiB"),
                "Invalid": _error("the body or a parameter has the wrong shape or values"),
            },
        },
    }
