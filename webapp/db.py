"""Database connection: one SQLAlchemy engine and session factory, free of Flask.

SQLite is the embedded default; PostgreSQL is used when several processes run side by side.
Write transactions on SQLite start with BEGIN IMMEDIATE so two writers queue on the database
lock instead of failing when a read lock is upgraded.
"""
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path

from sqlalchemy import create_engine, event
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker


_WRITE_SESSION: ContextVar = ContextVar("write_session", default=None)


class Base(DeclarativeBase):
    pass


class Database:
    def __init__(self, url: str):
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        if self.is_sqlite:
            path = url.split("///", 1)[-1]
            if path and path != ":memory:":
                Path(path).parent.mkdir(parents=True, exist_ok=True)
            self.engine = create_engine(url, connect_args={"timeout": 30, "isolation_level": None})
            self._configure_sqlite()
        else:
            self.engine = create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=10)
        self.Session = sessionmaker(self.engine, expire_on_commit=False)

    def _configure_sqlite(self):
        @event.listens_for(self.engine, "connect")
        def on_connect(dbapi_conn, _record):
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()

        @event.listens_for(self.engine, "begin")
        def on_begin(conn):
            immediate = conn.get_execution_options().get("write", False)
            conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    @contextmanager
    def write(self):
        """A session whose transaction is meant to write: committed on success, rolled back on error.
        While it is open, `current_write_session()` returns it (for lookups deep inside the engine
        that must see what this transaction wrote so far)."""
        session = self.Session()
        token = _WRITE_SESSION.set(session)
        try:
            session.connection(execution_options={"write": True})
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            _WRITE_SESSION.reset(token)
            session.close()

    @staticmethod
    def current_write_session():
        return _WRITE_SESSION.get()

    @contextmanager
    def read(self):
        session = self.Session()
        try:
            yield session
        finally:
            session.close()  # detaches objects with their loaded values (a rollback would expire them)

    def dispose(self):
        self.engine.dispose()


def upgrade_schema(db: Database) -> None:
    """Bring the schema to the newest migration (Alembic)."""
    from alembic import command
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(Path(__file__).parent / "migrations"))
    with db.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
