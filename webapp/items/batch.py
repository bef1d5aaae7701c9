"""Spreadsheet batches (大会期间批量导入): check every row, then register them all or none, free of Flask.

How a batch runs, and why so:

1. `check_rows` checks every row with the same rules as manual intake (`intake.check_item`), in one
   read-only session, and also finds numbers that occur twice in the file. It takes no lock and is
   quick (a few queries per row), so the office sees every problem — row, column, message — before
   anything is written; a file with any problem is not queued at all.
2. `queue_import` stores the checked rows in an `item_imports` row, and `start_import` registers them
   in a background thread: all rows in ONE write transaction (`intake.register_in` per row, the batch's
   own row marked done in the same transaction). The database makes it all or none, also when the
   process dies half-way (the transaction is rolled back; no compensation to write or to get wrong),
   and a number someone registered by hand meanwhile is caught by the same checks and the unique
   constraint, failing the whole batch with that row named. The cost: one long transaction, about
   30 ms a row on SQLite and 70 ms on PostgreSQL (≈10–20 s for 300 items). On PostgreSQL that locks
   only the new rows; on SQLite other writers wait for the database lock (busy timeout 30 s), which is
   acceptable in the single-process set-up SQLite is meant for. Committing in chunks would release
   the lock sooner but would need compensation (deleting started instances whose tasks people may
   already see) to honour all-or-none.
3. Progress: the thread counts rows in this process (`live_progress`) and, on PostgreSQL, also writes
   the count and a heartbeat to the batch's row in short transactions of their own, so the status
   page polled through any web process sees it. On SQLite the big transaction holds the only write
   lock, so progress stays in memory — SQLite runs with a single web process anyway.
4. A batch whose process died (status still `running`, not running here, no heartbeat for
   `LEASE_SECONDS` on PostgreSQL) is shown as interrupted; `restart_import` takes it over (a new
   `runner` id, so the old run could never mark it done) and runs it again — nothing of the first run
   was kept.
"""
import logging
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select, update

from ..engine.errors import EngineError
from ..models import Item, ItemImport, User, utcnow
from .intake import ItemInvalid, check_item, register_in
from .numbering import item_label
from .spreadsheet import FIELD_COLUMN, Problem, problems_for_row

log = logging.getLogger(__name__)

LEASE_SECONDS = 120          # PostgreSQL: a running batch without a heartbeat this long has lost its process
HEARTBEAT_SECONDS = 0.5      # PostgreSQL: how often the progress is written to the batch's row
STATUS_LABELS = {"running": "正在导入", "done": "已导入", "failed": "导入失败", "interrupted": "已中断"}

_live: dict[int, list[int]] = {}   # batch id -> [done, total] of the batches running in this process
_live_lock = threading.Lock()


# --- checking ------------------------------------------------------------------------------------------

def check_rows(engine, rows: list[tuple[int, dict]]) -> list[Problem]:
    """Every problem of the rows (Excel row number, values): check_item's, and numbers that occur
    twice in the file or are taken already. Reads only."""
    problems: list[Problem] = []
    seen: dict[tuple, int] = {}
    today = engine.clock.today()
    with engine.db.read() as session:
        for number, values in rows:
            try:
                columns = check_item(session, values, today)
            except ItemInvalid as e:
                problems += problems_for_row(number, e.errors)
                continue
            key = (columns["item_type"], columns["session"], columns["item_no"])
            if key in seen:
                problems.append(Problem(number, FIELD_COLUMN["item_no"],
                                        f"与第 {seen[key]} 行重复：{item_label(*key)}。"))
            else:
                seen[key] = number
    return problems


# --- queueing and running --------------------------------------------------------------------------------

def queue_import(engine, filename: str, rows: list[tuple[int, dict]], actor) -> int:
    """Store checked rows as a batch about to run; returns its id (then `start_import`)."""
    with engine.db.write() as session:
        batch = ItemImport(filename=filename[:255], status="running", total=len(rows), done=0,
                           rows=[[number, _jsonable(values)] for number, values in rows], problems=[], item_ids=[],
                           message="", runner=uuid.uuid4().hex, created_by_id=getattr(actor, "id", None),
                           created_by=getattr(actor, "username", None), heartbeat_at=utcnow())
        session.add(batch)
        session.flush()
        return batch.id


def start_import(engine, import_id: int) -> threading.Thread:
    """Run the batch in a background thread of this process (see the module's notes)."""
    with engine.db.read() as session:
        batch = session.get(ItemImport, import_id)
        runner, total = batch.runner, batch.total
    with _live_lock:
        _live[import_id] = [0, total]
    thread = threading.Thread(target=_run_logged, args=(engine, import_id, runner), daemon=True,
                              name=f"item-import-{import_id}")
    thread.start()
    return thread


def restart_import(engine, import_id: int) -> threading.Thread | None:
    """Take over an interrupted batch and run it again; None when it is not interrupted."""
    status = import_status(engine, import_id)
    if status is None or status.status != "interrupted":
        return None
    runner = uuid.uuid4().hex
    with engine.db.write() as session:
        taken = session.execute(update(ItemImport).where(ItemImport.id == import_id, ItemImport.status == "running",
                                                         ItemImport.runner == status.runner)
                                .values(runner=runner, done=0, heartbeat_at=utcnow())).rowcount
    return start_import(engine, import_id) if taken else None


def _run_logged(engine, import_id: int, runner: str):
    try:
        run_import(engine, import_id, runner)
    except Exception:  # the thread has no one to tell but the log and the batch's row
        log.exception("item import %s failed", import_id)
        _finish(engine, import_id, runner, "failed", message="导入时发生系统错误，没有导入任何事项。请稍后重试或联系系统管理员。")
    finally:
        with _live_lock:
            _live.pop(import_id, None)


def run_import(engine, import_id: int, runner: str) -> bool:
    """Register every row of the batch in one transaction; True when they are all stored."""
    with engine.db.read() as session:
        batch = session.get(ItemImport, import_id)
        rows, actor = batch.rows or [], session.get(User, batch.created_by_id) if batch.created_by_id else None
    today = engine.clock.today()
    progress = _Progress(engine, import_id, runner, len(rows))
    number = None
    try:
        with engine.db.write() as session:
            ids = []
            for number, values in rows:
                ids.append(register_in(engine, session, values, actor, today).id)
                progress.step(len(ids))
            number = None
            done = session.execute(update(ItemImport).where(ItemImport.id == import_id, ItemImport.runner == runner)
                                   .values(status="done", done=len(ids), item_ids=ids, rows=None, problems=[],
                                           message="", heartbeat_at=utcnow(), finished_at=utcnow())).rowcount
            if not done:
                raise _TakenOver()
    except _TakenOver:
        log.warning("item import %s was taken over by another run; this run rolled back", import_id)
        return False
    except ItemInvalid as e:
        _finish(engine, import_id, runner, "failed", [p.as_dict() for p in problems_for_row(number, e.errors)],
                f"第 {number} 行在导入时未通过检查（可能刚刚有人登记了同一编号），没有导入任何事项。")
        return False
    except EngineError as e:
        where = f"第 {number} 行：" if number else ""
        _finish(engine, import_id, runner, "failed", message=f"{where}{e}。没有导入任何事项。")
        return False
    return True


class _TakenOver(Exception):
    pass


def _finish(engine, import_id: int, runner: str, status: str, problems: list | None = None, message: str = ""):
    with engine.db.write() as session:
        session.execute(update(ItemImport).where(ItemImport.id == import_id, ItemImport.runner == runner)
                        .values(status=status, problems=problems or [], message=message, rows=None, done=0,
                                finished_at=utcnow()))


class _Progress:
    """Counts rows in this process; on PostgreSQL also writes them (and a heartbeat) to the batch's row."""

    def __init__(self, engine, import_id: int, runner: str, total: int):
        self.engine, self.import_id, self.runner, self.total = engine, import_id, runner, total
        self.write_through = not engine.db.is_sqlite
        self.last_write = 0.0

    def step(self, done: int):
        with _live_lock:
            _live[self.import_id] = [done, self.total]
        now = time.monotonic()
        if self.write_through and (now - self.last_write >= HEARTBEAT_SECONDS or done == self.total):
            self.last_write = now
            with self.engine.db.write() as session:
                session.execute(update(ItemImport).where(ItemImport.id == self.import_id,
                                                         ItemImport.runner == self.runner)
                                .values(done=done, heartbeat_at=utcnow()))


def live_progress(import_id: int) -> tuple[int, int] | None:
    """(done, total) of a batch running in this process."""
    with _live_lock:
        found = _live.get(import_id)
        return tuple(found) if found else None


# --- reading --------------------------------------------------------------------------------------------

@dataclass
class ImportStatus:
    id: int
    filename: str
    status: str          # running | done | failed | interrupted
    total: int
    done: int
    problems: list
    message: str
    item_ids: list
    created_by: str | None
    created_at: datetime
    finished_at: datetime | None
    runner: str | None

    @property
    def label(self) -> str:
        return STATUS_LABELS.get(self.status, self.status)

    @property
    def percent(self) -> int:
        if self.status == "done":
            return 100
        return int(self.done * 100 / self.total) if self.total else 0

    @property
    def finished(self) -> bool:
        return self.status in ("done", "failed")


def import_status(engine, import_id: int) -> ImportStatus | None:
    """A batch as the status page shows it: progress from this process if it runs here, else from its row."""
    with engine.db.read() as session:
        batch = session.get(ItemImport, import_id)
        if batch is None:
            return None
        return _status(engine, batch)


def recent_imports(engine, limit: int = 10) -> list[ImportStatus]:
    with engine.db.read() as session:
        rows = session.scalars(select(ItemImport).order_by(ItemImport.id.desc()).limit(limit))
        return [_status(engine, batch) for batch in rows]


def _status(engine, batch: ItemImport) -> ImportStatus:
    status, done = batch.status, batch.done
    if status == "running":
        live = live_progress(batch.id)
        if live is not None:
            done = live[0]
        elif engine.db.is_sqlite or batch.heartbeat_at is None or \
                batch.heartbeat_at < utcnow() - timedelta(seconds=LEASE_SECONDS):
            status = "interrupted"
    return ImportStatus(batch.id, batch.filename, status, batch.total, done, list(batch.problems or []),
                        batch.message, list(batch.item_ids or []), batch.created_by, batch.created_at,
                        batch.finished_at, batch.runner)


def imported_items(engine, item_ids: list[int]) -> list[Item]:
    if not item_ids:
        return []
    with engine.db.read() as session:
        return list(session.scalars(select(Item).where(Item.id.in_(item_ids)).order_by(Item.id)))


def _jsonable(values: dict) -> dict:
    return {k: v.isoformat() if isinstance(v, (date, datetime)) else v for k, v in values.items()}
