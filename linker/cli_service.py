"""The `linker` commands around the store and the web service: users, serve, train.

Like the rest of the CLI, each command parses its options, calls the store or the
service, and formats what came back. The development server's access log leaves out
query strings: a search query may hold a person's name, and no personal data goes to
logs (see docs/service.md for the production server and its access-log format).
"""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click
from werkzeug.serving import WSGIRequestHandler

from linker.cli_errors import errors_to_click as _errors_to_click

if TYPE_CHECKING:
    from flask import Flask

    from linker.reconcile import ReconcileResult
    from linker.store import Store

DEMO_ADMIN = "demo"
F = TypeVar("F", bound=Callable[..., Any])


_DB_HELP = (
    "Store URL (sqlite:///file.db or postgresql://...); default $DATABASE_URL, else linker.db."
)


def _db_option(func: Any) -> Any:
    return click.option("--db", "db_url", metavar="URL", help=_DB_HELP)(func)


# --- users ------------------------------------------------------------------------------


@click.group("users")
def users() -> None:
    """Manage the people and programs who may use the service.

    Example:

        linker users add rita --role reviewer --db sqlite:///linker.db
    """


@users.command("add")
@click.argument("name")
@click.option(
    "--role",
    type=click.Choice(["reviewer", "analyst", "admin"]),
    required=True,
    help="reviewer: decides pairs; analyst: reads and searches; admin: everything.",
)
@click.option("--token", is_flag=True, help="Also issue an API token (printed alone, last).")
@_db_option
@_errors_to_click
def users_add(name: str, role: str, token: bool, db_url: str | None) -> None:
    """Add a user NAME with ROLE and print their one-time password, or with --token an
    API token alone on the last line (for `Authorization: Bearer ...`).

    Neither is stored: only hashes are. Give the password to the person over a safe
    channel; an admin can reset it on the Admin page.

    Example:

        linker users add rita --role reviewer --db sqlite:///linker.db

        TOKEN=$(linker users add intake-bot --role analyst --token | tail -n 1)
    """
    from linker.store import Store
    from linker.store import audit as A
    from linker.store.users import add_user

    store = Store.open(db_url)
    try:
        with store.session() as session:
            new = add_user(session, name, role, token=token)
            A.audit(session, "cli", A.ADD_USER, f"user:{new.username}", role=role, token=token)
    finally:
        store.close()
    click.echo(f"added {new.username} ({new.role}) to {store.safe_url}")
    if new.token is not None:
        click.echo("API token (shown once, not stored):")
        click.echo(new.token)
    else:
        click.echo(f"one-time password: {new.password}")


# --- serve ------------------------------------------------------------------------------


class QuietRequestHandler(WSGIRequestHandler):
    """werkzeug's request handler, logging method, path and status without the query
    string: `/search?q=<a name>` is logged as `/search`."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        path = getattr(self, "path", None)
        if path is None:  # an unparseable request line: log nothing of it
            self.log("info", '"%s" %s %s', "<bad request line>", code, size)
            return
        path = path.split("?", 1)[0].translate(self._control_char_table)
        self.log("info", '"%s %s" %s %s', self.command, path, code, size)

    def log_error(self, format: str, *args: Any) -> None:
        # http.server's "Bad request version ('...')" quotes the request line (and so
        # the query string); keep the status and drop the quoted text.
        self.log("error", "%s", (format % args).split("(", 1)[0].strip())


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def build_app(db_url: str | None) -> Flask:
    from service import create_app

    config: dict[str, Any] = {}
    if db_url:
        config["DATABASE_URL"] = db_url
    return create_app(config)


def run_dev_server(app: Flask, host: str, port: int) -> None:
    """werkzeug's threaded development server with the query-free access log."""
    from werkzeug.serving import run_simple

    run_simple(host, port, app, threaded=True, request_handler=QuietRequestHandler)


@click.command("serve")
@_db_option
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", type=click.IntRange(1, 65535), default=5000, show_default=True)
@_errors_to_click
def serve(db_url: str | None, host: str, port: int) -> None:
    """Serve the reviewer and reunification web app (development server).

    For production run gunicorn instead (docs/service.md):
    gunicorn -w 4 -k gthread --threads 8 'service:create_app()' with DATABASE_URL and
    LINKER_SECRET_KEY set.

    Example:

        linker serve --db sqlite:///linker.db --port 5000
    """
    app = build_app(db_url)
    if not _is_loopback(host):
        click.echo(
            f"warning: the development server is listening on {host}, beyond this machine; "
            "use gunicorn behind HTTPS for that (docs/service.md)",
            err=True,
        )
    click.echo(f"serving on http://{host}:{port}  (Ctrl-C to stop)")
    run_dev_server(app, host, port)


# --- train ------------------------------------------------------------------------------


def _m_changes(before: Any, after: Any, least: float = 0.01) -> list[str]:
    """One line per comparison level whose m moved by at least `least`."""
    lines = []
    for comparison in after.comparisons:
        old, new = before.m[comparison.name], after.m[comparison.name]
        for gamma in range(comparison.num_levels - 1, -1, -1):
            if abs(new[gamma] - old[gamma]) >= least:
                label = comparison.label_of(gamma)
                lines.append(
                    f"  {comparison.name:<16} {label:<28} m {old[gamma]:.3f} -> {new[gamma]:.3f}"
                )
    return lines


@click.command("train")
@click.option(
    "--from-decisions",
    is_flag=True,
    help="Learn from reviewers' match / distinct decisions in the store (required).",
)
@_db_option
@click.option(
    "--out",
    "out_path",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="Where to write the retrained model.json.",
)
@click.option(
    "--model",
    "model_path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Start from this model.json instead of the latest stored run's model.",
)
@click.option(
    "--m-prior-pairs",
    type=click.FloatRange(min=0),
    default=10.0,
    show_default=True,
    help="The current m counts as this many labelled matches.",
)
@click.option(
    "--u-prior-pairs",
    type=click.FloatRange(min=0),
    default=1000.0,
    show_default=True,
    help="The current u (from random pairs) counts as this many non-matches.",
)
@_errors_to_click
def train(
    from_decisions: bool,
    db_url: str | None,
    out_path: Path,
    model_path: Path | None,
    m_prior_pairs: float,
    u_prior_pairs: float,
) -> None:
    """Retrain the model's m (and u) values from reviewer decisions in the store.

    Each binding `match` decision is a labelled match and each `distinct` a labelled
    non-match; their comparison levels move m and u away from the latest run's model
    (or --model) as far as their number warrants. Score the next batch with it:
    `linker reconcile MAPPING --out DIR --model model.json`.

    Example:

        linker train --from-decisions --db sqlite:///linker.db --out model.json
    """
    from linker.store import Store
    from linker.train_decisions import stored_model, train_from_decisions
    from models import FellegiSunterModel

    if not from_decisions:
        raise click.UsageError(
            "nothing to learn from: pass --from-decisions to train on the reviewers' "
            "decisions in the store"
        )
    store = Store.open(db_url)
    try:
        with store.session() as session:
            before = FellegiSunterModel.load(model_path) if model_path else stored_model(session)
            outcome = train_from_decisions(
                session, before, m_prior_pairs=m_prior_pairs, u_prior_pairs=u_prior_pairs
            )
    finally:
        store.close()
    out_path.parent.mkdir(parents=True, exist_ok=True)
    outcome.model.save(out_path)
    click.echo(
        f"learned from {outcome.matches:,} match and {outcome.distinct:,} distinct decisions"
        + (
            f" ({outcome.skipped:,} naming records not in the latest run)"
            if outcome.skipped
            else ""
        )
    )
    changes = _m_changes(before, outcome.model)
    if changes:
        click.echo("m values that moved:")
        for line in changes:
            click.echo(line)
    click.echo(f"model -> {out_path} (use: linker reconcile MAPPING --out DIR --model {out_path})")


# --- the batch into the store (reconcile --db, demo) ------------------------------------


def persist_reconciled(
    store: Store,
    result: ReconcileResult,
    out_dir: Path,
    *,
    mapping: Path,
    threshold: float,
    review_band: tuple[float, float],
) -> int:
    """Persist a finished batch whose outputs are in `out_dir`: the records (raw rows
    included) from records.parquet, the relations from relations.csv when written."""
    import pandas as pd

    from linker.store.runs import persist_run

    records = pd.read_parquet(out_dir / "records.parquet")
    relations_path = out_dir / "relations.csv"
    relations = (
        pd.read_csv(relations_path, dtype=str, keep_default_na=False)
        if relations_path.is_file()
        else None
    )
    if relations is not None and "inferred" in relations.columns:
        relations["inferred"] = relations["inferred"].str.lower().isin(("true", "1"))
    summary_path = out_dir / "summary.json"
    summary = json.loads(summary_path.read_text(encoding="utf-8")) if summary_path.is_file() else {}
    return persist_run(
        store,
        result,
        records,
        mapping=str(mapping.resolve()),
        settings={
            "threshold": threshold,
            "review_band": list(review_band),
            "agencies": summary.get("agencies", {}),
        },
        relations=relations,
    )


def demo_login(store: Store) -> str:
    """Create the demo's admin user, or give it a fresh password; returns the password."""
    from linker.store import audit as A
    from linker.store.users import add_user, reset_password, set_active, user_by_name

    with store.session() as session:
        if user_by_name(session, DEMO_ADMIN) is None:
            password = add_user(session, DEMO_ADMIN, "admin").password
            A.audit(session, "cli", A.ADD_USER, f"user:{DEMO_ADMIN}", role="admin")
        else:
            password = reset_password(session, DEMO_ADMIN)
            set_active(session, DEMO_ADMIN, True)
            A.audit(session, "cli", A.RESET_PASSWORD, f"user:{DEMO_ADMIN}")
    return password
