"""A throw-away PostgreSQL server for the tests: initdb into a temporary directory, listen on
127.0.0.1 on a free port (and on a unix socket in the same directory), one database per test.

PostgreSQL refuses to run as root; as root the data directory belongs to the `postgres` system user
(created by the Debian package) and initdb / pg_ctl run through `runuser -u postgres --`.
"""
import glob
import itertools
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

import psycopg

SUPERUSER = "postgres"


class PostgresUnavailable(RuntimeError):
    pass


def find_binaries() -> tuple[str, str]:
    """initdb and pg_ctl: from PATH, else the newest /usr/lib/postgresql/*/bin (Debian)."""
    initdb, pg_ctl = shutil.which("initdb"), shutil.which("pg_ctl")
    if initdb and pg_ctl:
        return initdb, pg_ctl

    def version(path):
        part = Path(path).parts[-3]
        return int(part) if part.isdigit() else 0

    for bindir in sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=version, reverse=True):
        initdb, pg_ctl = os.path.join(bindir, "initdb"), os.path.join(bindir, "pg_ctl")
        if os.access(initdb, os.X_OK) and os.access(pg_ctl, os.X_OK):
            return initdb, pg_ctl
    raise PostgresUnavailable("initdb/pg_ctl not found on PATH nor in /usr/lib/postgresql/*/bin")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PostgresServer:
    def __init__(self, initdb: str, pg_ctl: str, base: Path, port: int, run_as: str | None):
        self.initdb, self.pg_ctl = initdb, pg_ctl
        self.base, self.port, self.run_as = base, port, run_as
        self.data = base / "data"
        self.socket_dir = base / "sock"
        self._names = itertools.count(1)
        self._created: set[str] = set()
        self._seeds: dict[str, dict] = {}

    @classmethod
    def start(cls) -> "PostgresServer":
        initdb, pg_ctl = find_binaries()
        run_as = None
        if os.geteuid() == 0:
            try:
                owner = pwd.getpwnam("postgres")
            except KeyError:
                raise PostgresUnavailable("running as root but there is no `postgres` system user") from None
            if not shutil.which("runuser"):
                raise PostgresUnavailable("running as root but `runuser` is missing")
            run_as = owner.pw_name
        base = Path(tempfile.mkdtemp(prefix="pgtest-"))
        server = cls(initdb, pg_ctl, base, _free_port(), run_as)
        server.socket_dir.mkdir()
        if run_as:
            owner = pwd.getpwnam(run_as)
            for path in (base, server.socket_dir):
                os.chown(path, owner.pw_uid, owner.pw_gid)
        try:
            server._init_and_start()
        except Exception:
            server.stop()
            raise
        return server

    def _run(self, *args, check=True, timeout=120):
        cmd = list(args)
        if self.run_as:
            cmd = ["runuser", "-u", self.run_as, "--", *cmd]
        env = {**os.environ, "LC_ALL": "C.UTF-8", "LANG": "C.UTF-8"}
        result = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env, cwd=self.base)
        if check and result.returncode != 0:
            raise PostgresUnavailable(f"{' '.join(cmd)} failed ({result.returncode}): "
                                      f"{result.stdout[-1500:]} {result.stderr[-1500:]}")
        return result

    def _init_and_start(self):
        self._run(self.initdb, "-D", str(self.data), "-U", SUPERUSER, "--auth=trust", "-E", "UTF8",
                  "--locale=C.UTF-8", "--no-sync")
        options = (f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.socket_dir} "
                   "-c fsync=off -c synchronous_commit=off -c full_page_writes=off "
                   "-c max_connections=300 -c shared_buffers=64MB")
        self._run(self.pg_ctl, "-D", str(self.data), "-l", str(self.base / "server.log"), "-o", options,
                  "-w", "-t", "60", "start")

    def admin_connection(self):
        return psycopg.connect(host="127.0.0.1", port=self.port, user=SUPERUSER, dbname="postgres",
                               autocommit=True)

    def url(self, dbname: str = "engine_tests") -> str:
        return f"postgresql+psycopg://{SUPERUSER}@127.0.0.1:{self.port}/{dbname}"

    def create_database(self, name: str | None = None) -> str:
        name = name or f"test_{os.getpid()}_{next(self._names)}"
        with self.admin_connection() as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return name

    def drop_database(self, name: str) -> None:
        try:
            with self.admin_connection() as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        except psycopg.Error:
            pass  # the whole server is thrown away at the end anyway

    def reset_database(self, name: str = "engine_tests") -> str:
        """The shared test database as the migrations leave it: every table but Alembic's emptied
        and refilled with the rows the migrations seed (e.g. the default deadline rules), ids from 1.

        Much faster than CREATE DATABASE per test (which waits for a checkpoint); the schema is
        migrated once, when the database is created, and stays. Leftover connections (a killed
        worker) are ended.
        """
        if name not in self._created:
            self.create_database(name)
            self._created.add(name)
            self._seeds[name] = self._migrate(name)
        with psycopg.connect(host="127.0.0.1", port=self.port, user=SUPERUSER, dbname=name,
                             autocommit=True) as conn:
            conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                         "WHERE datname = current_database() AND pid <> pg_backend_pid()")
            tables = [r[0] for r in conn.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'alembic_version'")]
            # DELETE is much quicker than TRUNCATE on tables this small; foreign keys are not
            # checked meanwhile (session_replication_role), and the id sequences start again at 1.
            with conn.transaction():
                conn.execute("SET LOCAL session_replication_role = replica")
                for table in tables:
                    conn.execute(f'DELETE FROM "{table}"')
                for (seq,) in conn.execute("SELECT sequencename FROM pg_sequences WHERE schemaname = 'public'").fetchall():
                    conn.execute(f'ALTER SEQUENCE "{seq}" RESTART')
                for table, (columns, rows) in self._seeds[name].items():
                    names = ", ".join(f'"{c}"' for c in columns)
                    marks = ", ".join(["%s"] * len(columns))
                    conn.cursor().executemany(f'INSERT INTO "{table}" ({names}) VALUES ({marks})', rows)
                    if "id" in columns:
                        conn.execute(f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), "
                                     f'(SELECT max(id) FROM "{table}"))')
        return self.url(name)

    def _migrate(self, name: str) -> dict[str, tuple[list[str], list[tuple]]]:
        """Migrate the new database and return the rows the migrations seeded, by table."""
        from webapp.db import Database, upgrade_schema
        db = Database(self.url(name))
        try:
            upgrade_schema(db)
        finally:
            db.dispose()
        seeds = {}
        with psycopg.connect(host="127.0.0.1", port=self.port, user=SUPERUSER, dbname=name) as conn:
            tables = [r[0] for r in conn.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'alembic_version'")]
            for table in tables:
                cur = conn.execute(f'SELECT * FROM "{table}"')
                rows = cur.fetchall()
                if rows:
                    seeds[table] = ([d.name for d in cur.description], rows)
        return seeds

    def stop(self):
        if (self.data / "postmaster.pid").exists():
            self._run(self.pg_ctl, "-D", str(self.data), "-m", "immediate", "-w", "stop", check=False)
        shutil.rmtree(self.base, ignore_errors=True)
