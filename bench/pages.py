"""Server time and SQL statements per page, for every page type and every role, on the demo data.

Builds the demo city (`seed-demo`) twice in temporary SQLite databases — the full one (~200 items)
and a small one (40 items) — then requests every GET page of the app (found in `app.url_map`; pages
with parameters get a value that fits the user, e.g. one of his open tasks, else they are skipped)
as each demo login, with the Flask test client logged in. Prints per page and role: the status,
p50/p95 of the server time in milliseconds (full data), the SQL statements per request on the full
and the small data (counted with a SQLAlchemy `before_cursor_execute` listener, steady state) and
the rows the page shows (`<tr>`/`<li>` in the HTML). A page that needs more than four statements more
on the full data than on the small one is flagged `N+1?` (its statements grow with its rows).

    .venv/bin/python -m bench.pages [--repeat 10] [--items 200] [--small 40] [--role office] [--page inbox]
    .venv/bin/python -m bench.pages --database sqlite:////tmp/demo.db   # reuse a seeded database

No timings are asserted anywhere; the figures are for reading.
"""
import argparse
import logging
import re
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import event, select  # noqa: E402

from webapp import create_app  # noqa: E402
from webapp.config import Settings  # noqa: E402
from webapp.demo import DEMO_PASSWORD, seed_demo  # noqa: E402
from webapp.engine import Engine  # noqa: E402
from webapp.items.queries import visible_items_clause  # noqa: E402
from webapp.models import (DecisionVersion, HumanTask, Item, MessageTemplate, ProcessVersion, StoredFile,  # noqa: E402
                           TextBlob, User)

ROLES = ["office", "jtj_liaison", "jtj_handler", "jtj_leader", "jtj_head", "jyj_handler", "vice_mayor", "npc_reviewer",
         "cppcc_reviewer", "deputy", "member", "owner", "admin"]
# Pages that change data or stream files not meant for repeated reading.
SKIP_ENDPOINTS = {"static", "vendor.asset", "auth.logout", "health.healthz"}
ROW = re.compile(r"<(?:tr|li)[\s>]")  # table rows and list items (the nav's are the same on both sides)
# A page may read a few more things on the bigger data (another deadline rule, a list that is empty on
# the small side); one that needs a query per row needs many more.
GROWTH_ALLOWED = 4


@dataclass
class Sample:
    status: int = 0
    times: list = field(default_factory=list)
    statements: list = field(default_factory=list)
    rows: int = 0


class Counter:
    def __init__(self, engine):
        self.count = 0
        event.listen(engine.db.engine, "before_cursor_execute", self._count)

    def _count(self, *_args):
        self.count += 1


def build(items: int, workdir: Path, database_url: str | None = None):
    """The app over a demo database (seeded here unless `database_url` names one already seeded)."""
    url = database_url or f"sqlite:///{workdir / f'demo{items}.db'}"
    settings = Settings(database_url=url, secret_key="bench", outbox_dir=workdir / f"outbox{items}",
                        platform_outbox_dir=workdir / f"platform{items}", preview_dir=workdir / "previews",
                        smtp_host="")
    engine = Engine(settings)
    if database_url is None:
        started = time.monotonic()
        result = seed_demo(engine, items, progress=lambda m: print("   ", m, flush=True))
        print(f"  seed-demo {items} items: {time.monotonic() - started:.1f} s, {result.users} users", flush=True)
    try:  # the statistics pages read a snapshot the worker refreshes; make it now
        from webapp.reports.snapshot import refresh
        refresh(engine.db, engine.runtime, computed_by="bench")
    except ImportError:
        pass
    app = create_app(settings, engine)
    # Not TESTING: a page that fails is measured as the 500 page the user would get, not raised.
    app.config.update(WTF_CSRF_ENABLED=False)
    logging.getLogger("webapp.web.errors").setLevel(logging.CRITICAL)
    return app, engine


class Fillers:
    """Values for the parameters of parametrised pages, fitting the user (None: skip the page)."""

    def __init__(self, engine, app):
        self.engine, self.app = engine, app

    def values(self, rule, user) -> dict | None:
        args = {}
        with self.engine.db.read() as s:
            for name in rule.arguments:
                value = self._value(s, rule.endpoint, name, user)
                if value is None:
                    return None
                args[name] = value
        return args

    def _value(self, s, endpoint, name, user):
        if name == "task_id":
            tasks = self.engine.tasks.inbox(s, user)
            return tasks[0].id if tasks else None
        if name == "instance_id":
            return s.scalar(select(Item.instance_id).where(visible_items_clause(user))
                            .order_by(Item.id.desc()).limit(1))
        if name == "item_id":
            return s.scalar(select(Item.id).where(visible_items_clause(user)).order_by(Item.id.desc()).limit(1))
        if name == "file_id":
            return s.scalar(select(StoredFile.id).join(Item, Item.instance_id == StoredFile.instance_id)
                            .where(visible_items_clause(user)).order_by(StoredFile.id).limit(1))
        if name == "text_id":
            return s.scalar(select(TextBlob.id).join(Item, Item.instance_id == TextBlob.instance_id)
                            .where(visible_items_clause(user)).order_by(TextBlob.id).limit(1))
        if name == "reply_id":  # a published reply is its completed 复文公开 task
            return s.scalar(select(HumanTask.id).where(HumanTask.element_id == "publish_reply",
                                                       HumanTask.status == "completed").limit(1))
        if name == "name" and endpoint.startswith("admin_messages.template"):
            return s.scalar(select(MessageTemplate.name).order_by(MessageTemplate.id).limit(1))
        if name == "name" and endpoint.startswith("admin_messages.outbox"):
            mails = sorted(Path(self.engine.settings.outbox_dir).glob("*.eml"))
            return mails[0].name if mails else None
        if name == "key" and (endpoint == "modeler.process" or endpoint.startswith("versions.")):
            return "item_handling"
        if name == "key" and endpoint == "modeler.decision":
            return s.scalar(select(DecisionVersion.decision_key).limit(1))
        if endpoint == "modeler.version_xml":
            return {"kind_path": "processes", "key": "item_handling",
                    "version": s.scalar(select(ProcessVersion.version).where(
                        ProcessVersion.process_key == "item_handling").limit(1))}.get(name)
        return None


def page_list(app, only: str | None):
    rules = []
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if "GET" not in rule.methods or rule.endpoint in SKIP_ENDPOINTS:
            continue
        if only and only not in rule.endpoint and only not in rule.rule:
            continue
        rules.append(rule)
    return rules


def url_for_rule(app, rule, args):
    with app.test_request_context():
        from flask import url_for
        return url_for(rule.endpoint, **args)


def measure(app, engine, roles, rules, repeat: int, search: dict) -> tuple[dict, list]:
    counter = Counter(engine)
    fillers = Fillers(engine, app)
    results, skipped = {}, []
    with engine.db.read() as s:
        users = {u.username: u for u in s.scalars(select(User).where(User.username.in_(roles)))}
    for username in roles:
        client = app.test_client()
        response = client.post("/login", data={"username": username, "password": DEMO_PASSWORD})
        if response.status_code != 302:
            print(f"  cannot log in as {username}: {response.status_code}")
            continue
        for rule in rules:
            args = fillers.values(rule, users[username]) if rule.arguments else {}
            if args is None:
                skipped.append((rule.endpoint, username))
                continue
            url = url_for_rule(app, rule, args)
            variants = [(rule.endpoint, url)]
            if rule.endpoint in search:
                variants.append((rule.endpoint + "?" + search[rule.endpoint], url + "?" + search[rule.endpoint]))
            for name, target in variants:
                sample = Sample()
                for _ in range(repeat):
                    before = counter.count
                    started = time.perf_counter()
                    response = client.get(target)
                    sample.times.append((time.perf_counter() - started) * 1000)
                    sample.statements.append(counter.count - before)
                    sample.status = response.status_code
                body = response.get_data(as_text=True) if response.mimetype == "text/html" else ""
                sample.rows = len(ROW.findall(body))
                results[(name, username)] = sample
    return results, skipped


def percentile(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=10, help="requests per page and role (full data)")
    parser.add_argument("--items", type=int, default=200)
    parser.add_argument("--small", type=int, default=40, help="items of the small database (0: no comparison)")
    parser.add_argument("--database", help="an already seeded database to measure instead of seeding one")
    parser.add_argument("--role", action="append", help="only these logins (repeatable)")
    parser.add_argument("--page", help="only endpoints or paths containing this")
    args = parser.parse_args()
    roles = args.role or ROLES
    search = {"items.index": "q=交通", "instances.index": "q=交通", "board.index": "state=overdue"}
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        print(f"building the demo data ({args.items} items) …", flush=True)
        app, engine = build(args.items, workdir, args.database)
        rules = page_list(app, args.page)
        full, skipped = measure(app, engine, roles, rules, args.repeat, search)
        small = {}
        if args.small and not args.database:
            print(f"building the small demo data ({args.small} items) …", flush=True)
            small_app, small_engine = build(args.small, workdir)
            small, _ = measure(small_app, small_engine, roles, page_list(small_app, args.page), 2, search)
            small_engine.db.dispose()
        engine.db.dispose()
    report(full, small, skipped, args)


def report(full, small, skipped, args):
    """One line per page and role that may see it (403/404 answers are summed up below the table)."""
    print()
    print(f"{'page':<42} {'role':<15} {'st':>3} {'p50ms':>7} {'p95ms':>7} {'sql':>5} {'sql@' + str(args.small):>7} "
          f"{'rows':>5} {'rows@' + str(args.small):>8}  flag")
    flagged, refused = [], {}
    for (page, role), sample in sorted(full.items()):
        if sample.status in (401, 403, 404):
            refused.setdefault((page, sample.status), []).append(role)
            continue
        other = small.get((page, role))
        statements = min(sample.statements)  # steady state: the first request may fill caches
        small_statements = min(other.statements) if other else None
        flag = ""
        # an empty list on the small side may skip a query or two: only a page with rows on both compares
        if small_statements is not None and statements > small_statements + GROWTH_ALLOWED and \
                (other.rows or not sample.rows):
            flag = "N+1?"
            flagged.append((page, role, statements, small_statements, sample.rows, other.rows))
        elif sample.status >= 500:
            flag = "FAILS"
        print(f"{page:<42} {role:<15} {sample.status:>3} {percentile(sample.times, 50):7.1f} "
              f"{percentile(sample.times, 95):7.1f} {statements:5.0f} "
              f"{'' if small_statements is None else f'{small_statements:.0f}':>7} {sample.rows:5d} "
              f"{'' if other is None else other.rows:>8}  {flag}")
    if refused:
        print("\nrefused (not the role's page, or nothing to show):")
        for (page, status), roles in sorted(refused.items()):
            print(f"  {status} {page}: {', '.join(roles)}")
    if skipped:
        names = sorted({endpoint for endpoint, _role in skipped})
        print(f"\nskipped for some roles (no value for a parameter): {', '.join(names)}")
    failing = sorted({(page, role) for (page, role), sample in full.items() if sample.status >= 500})
    if failing:
        print("\nfailing (500): " + ", ".join(f"{page} as {role}" for page, role in failing))
    print("\nstatements growing with the rows (N+1 suspects):" if flagged else
          "\nno page's statement count grows with its rows.")
    for page, role, statements, small_statements, rows, small_rows in flagged:
        print(f"  {page} as {role}: {small_statements:.0f} statements for {small_rows} rows, "
              f"{statements:.0f} for {rows} rows")


if __name__ == "__main__":
    main()
