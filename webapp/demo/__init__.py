"""The demo city: fictional units, people and ~200 items at every stage of the procedure.

    people.py  units (those of dmn/unit_suggestion.dmn, four district/county governments, the office
               and the two reviewing bodies), roles and people; the demo logins README lists
    texts.py   what the items and the people's form entries say
    items.py   which items stop at which stage (STAGES), their particulars, driving one item
    flow.py    acting in the deployed procedure as a person; setting dates in the past

`seed_demo(engine)` is what `flask seed-demo` and `make run` call: on a database without users it
deploys bpmn/ and dmn/ (if they are not deployed yet), adds the people and drives the items through
the engine; on any other database it does nothing.
"""
import time
from dataclasses import dataclass, field

from sqlalchemy import select
from werkzeug.security import generate_password_hash

from ..db import upgrade_schema
from ..engine.repository import sources_from_dirs
from ..items import ITEM_PROCESS
from ..models import ProcessVersion, User
from .items import DEFAULT_ITEMS, STAGES, seed_items
from .people import DEMO_PASSWORD, logins, seed_people


@dataclass
class SeedResult:
    users: int = 0
    items: int = 0
    seconds: float = 0.0
    steps: int = 0
    stages: dict[str, str] = field(default_factory=dict)  # business key -> stage name (items.STAGES)


def seed_demo(engine, items: int = DEFAULT_ITEMS, progress=None) -> SeedResult | None:
    """Seed the demo city on an empty database (no users); None when there are users already.

    `progress(message)` is told what is going on (the items every 20)."""
    say = progress or (lambda _message: None)
    started = time.monotonic()
    upgrade_schema(engine.db)
    with engine.db.read() as s:
        if s.scalar(select(User.id).limit(1)) is not None:
            return None
        deployed = s.scalar(select(ProcessVersion.id).where(ProcessVersion.process_key == ITEM_PROCESS).limit(1))
    if deployed is None and items:
        settings = engine.settings
        say(engine.repository.deploy(sources_from_dirs(settings.bpmn_dir, settings.dmn_dir),
                                     created_by="seed-demo").summary())
    password_hash = generate_password_hash(DEMO_PASSWORD)
    with engine.db.write() as s:
        if s.scalar(select(User.id).limit(1)) is not None:  # someone was quicker
            return None
        users = len(seed_people(s, password_hash))
    say(f"已创建 {users} 个演示用户，正在生成 {items} 件演示建议提案…")
    result = SeedResult(users=users)
    if items:
        def report(done, total, steps):
            say(f"  {done}/{total} 件（{steps} 步，{time.monotonic() - started:.0f} 秒）")
        result.stages = seed_items(engine, items, report)
        result.items = len(result.stages)
    result.seconds = time.monotonic() - started
    return result


__all__ = ["DEFAULT_ITEMS", "DEMO_PASSWORD", "STAGES", "SeedResult", "logins", "seed_demo"]
