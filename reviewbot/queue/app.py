"""The Flask application: routes, the token and CSRF checks, security headers.

Why Flask: it is small, mature and well kept (Pallets), WSGI so it needs no
event loop (sending a mail and SQLite are blocking anyway), it renders with
the jinja2 reviewbot already uses (autoescape on for every template here),
and needs no front-end build step. It is served by waitress (server.py).

Every request needs the queue's token (a secret made at each start and
printed in the address, as Jupyter does, or ``[queue] token``): loopback
is open to every local account, so the address alone proves nothing.
"""

from __future__ import annotations

import hmac
import logging
import secrets
from pathlib import Path
from urllib.parse import urlsplit

from flask import Flask, abort, flash, g, redirect, render_template, request, url_for
from werkzeug.routing import IntegerConverter

from reviewbot.queue import actions, chart, views
from reviewbot.queue import drafts as dr
from reviewbot.queue.actions import ActionError, Context
from reviewbot.queue.store import AlreadyDone, Store
from reviewbot.resources import data_path
from reviewbot.watch.config import WatchConfig

logger = logging.getLogger(__name__)

TOKEN_COOKIE = "reviewbot_queue_token"
# SQLite's integers: a larger number in a URL names nothing (404), never an OverflowError
MAX_ID = 2**63 - 1


class IdConverter(IntegerConverter):
    """``<id:name>``: a non-negative integer that fits the database."""

    def __init__(self, url_map, *args, **kwargs) -> None:
        super().__init__(url_map, min=0, max=MAX_ID)


def _same(given: str, secret: str) -> bool:
    """A constant-time comparison that any text (not only ASCII) may be given to."""
    return hmac.compare_digest(given.encode("utf-8", "replace"), secret.encode())


def token_cookie(port: int) -> str:
    """The token's cookie name, one per port: cookies are shared by all ports of a host."""
    return f"{TOKEN_COOKIE}_{port}"
POST_ACTIONS = {
    "approve": actions.approve,
    "drop": actions.drop,
    "restore": actions.restore,
    "send": actions.send_now,
    "mark-sent": actions.mark_sent,
    "not-sent": actions.release,
}


def create_app(
    config: WatchConfig,
    ctx: Context,
    state_file: Path,
    *,
    token: str,
    host: str,
    port: int,
    loopback: bool,
    scan_file: Path | None = None,
) -> Flask:
    root = data_path("templates/queue")
    app = Flask(__name__, template_folder=str(root), static_folder=str(root / "static"))
    app.url_map.converters["id"] = IdConverter
    app.jinja_env.autoescape = True  # every template, whatever its name: mail text is hostile
    app.secret_key = secrets.token_bytes(32)
    app.config.update(
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Strict",
        SESSION_COOKIE_NAME=f"reviewbot_queue_{port}",
        MAX_CONTENT_LENGTH=dr.MAX_BODY * 4 + 65536,
    )
    if not token:
        raise ValueError("the queue always has a token")  # server.py makes one
    cookie = token_cookie(port)
    csrf = secrets.token_urlsafe(32)
    hosts = {f"{h}:{port}" for h in ("127.0.0.1", "localhost", "[::1]")} if loopback else None

    @app.before_request
    def guard():
        if hosts is not None and request.host not in hosts:
            abort(400, "unexpected Host header")  # DNS rebinding: only loopback names
        given = request.cookies.get(cookie, "")
        auth = request.headers.get("Authorization", "")
        if auth.startswith("Bearer "):
            given = auth.removeprefix("Bearer ")
        in_url = request.args.get("token", "")
        if request.method == "GET" and in_url and _same(in_url, token):
            resp = redirect(request.path, code=303)
            resp.set_cookie(cookie, token, httponly=True, samesite="Strict")
            return resp
        if not _same(given, token):
            abort(
                403,
                "this queue needs its token: open the address it printed when it started "
                "(http://HOST:PORT/?token=...), or /?token= with [queue] token",
            )
        if request.method == "POST":
            origin = request.headers.get("Origin")
            if origin and origin != "null" and urlsplit(origin).netloc != request.host:
                abort(403, "cross-origin request refused")
            if not _same(request.form.get("csrf", ""), csrf):
                abort(403, "missing or wrong CSRF token: reload the page and try again")
        g.store = Store(state_file)
        return None

    @app.teardown_request
    def close(_exc):
        store = g.pop("store", None)
        if store is not None:
            store.close()

    @app.after_request
    def headers(resp):
        resp.headers["Content-Security-Policy"] = (
            "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
            "frame-ancestors 'none'; base-uri 'none'"
        )
        resp.headers["X-Content-Type-Options"] = "nosniff"
        resp.headers["Referrer-Policy"] = "no-referrer"
        resp.headers["X-Frame-Options"] = "DENY"
        resp.headers["Cache-Control"] = "no-store"
        return resp

    @app.context_processor
    def common():
        return {
            "csrf": csrf,
            "nonce": lambda: secrets.token_urlsafe(16),
            "who": ctx.who,
            "listen": f"{host}:{port}",
            "can_send": ctx.can_send,
            "no_sender": actions.NO_SENDER,
        }

    @app.get("/")
    def queue():
        return render_template("queue.html", **views.queue_page(g.store, config, ctx))

    @app.get("/series/<id:rev_id>")
    def series(rev_id: int):
        if g.store.db.execute("SELECT 1 FROM revisions WHERE id=?", (rev_id,)).fetchone() is None:
            abort(404, f"no series {rev_id}")
        return render_template("series.html", **views.series_page(g.store, config, ctx, rev_id))

    def _draft(rev_id: int, number: int):
        try:
            return dr.find(g.store.state, config.outbox, rev_id, number)
        except dr.DraftError as exc:
            abort(404, str(exc))

    def _editor(rev_id: int, number: int, text: str | None):
        rev, d = _draft(rev_id, number)
        msg = d.message()
        mark = g.store.marks(rev_id).get(d.name)
        body = dr.body_text(msg) if text is None else text
        status = actions.status_of(d, mark, ctx)
        return render_template(
            "draft.html",
            rev=rev,
            d=d,
            status=status,
            problem=views.send_problem(g.store, rev_id, d.name, status),
            headers=dr.headers(msg),
            body=body,
            preview=dr.wrapped(body, ctx.wrap),
            previewing=text is not None,
            wrap=ctx.wrap,
        )

    @app.get("/draft/<id:rev_id>/<id:number>")
    def draft(rev_id: int, number: int):
        return _editor(rev_id, number, None)

    @app.post("/draft/<id:rev_id>/<id:number>/preview")
    def preview(rev_id: int, number: int):
        return _editor(rev_id, number, request.form.get("body", ""))

    @app.post("/draft/<id:rev_id>/<id:number>/save")
    def save(rev_id: int, number: int):
        _draft(rev_id, number)
        return _act(
            rev_id,
            number,
            lambda s, c, r, n, k: actions.edit(s, c, r, n, k, request.form.get("body", "")),
            f"/draft/{rev_id}/{number}",
        )

    @app.post("/draft/<id:rev_id>/<id:number>/<name>")
    def act(rev_id: int, number: int, name: str):
        fn = POST_ACTIONS.get(name)
        if fn is None:
            abort(404, f"no action {name}")
        _draft(rev_id, number)
        return _act(rev_id, number, fn, f"/series/{rev_id}#d{number}")

    def _act(rev_id: int, number: int, fn, back: str):
        nonce = request.form.get("nonce", "")
        if len(nonce) < 16:
            abort(400, "missing form nonce: reload the page and try again")
        try:
            done = fn(g.store, ctx, rev_id, number, nonce)
            logger.info("queue: %s (series %d, by %s)", done, rev_id, ctx.who)
            flash(done, "ok")
        except AlreadyDone as exc:
            flash(f"this form was sent before: {exc} was done once, not again", "note")
        except (ActionError, dr.DraftError) as exc:
            flash(str(exc), "error")
        except OSError as exc:  # a disk error says what failed, never a bare 500
            logger.exception("queue: %s of draft %d/%d failed", fn, rev_id, number)
            flash(f"not done: {exc.strerror or exc}", "error")
        return redirect(back, code=303)

    @app.get("/scan")
    def scan():
        data = views.scan_page(g.store)
        tree = views.tree_scan(scan_file)
        views.before_after(data["changes"], tree)
        return render_template(
            "scan.html",
            chart=chart.stacked(data["by_sub"], data["links"]),
            tree=tree,
            tree_chart=chart.stacked(*views.tree_chart_data(tree)),
            **data,
        )

    @app.get("/scan/finding/<id:n>")
    def scan_finding(n: int):
        found = views.scan_finding(views.tree_scan(scan_file), n)
        if found is None:
            abort(404, f"no finding {n} in the tree scan")
        return render_template("scan_finding.html", **found)

    @app.errorhandler(400)
    @app.errorhandler(403)
    @app.errorhandler(404)
    def error(exc):
        return render_template("error.html", code=exc.code, text=exc.description), exc.code

    app.add_url_rule("/favicon.ico", "favicon", lambda: ("", 204))
    _ = url_for  # templates use url_for through jinja
    return app
