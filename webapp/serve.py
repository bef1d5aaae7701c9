"""`make run`: set everything up from nothing and serve the product with its worker.

Creates the schema, deploys bpmn/ and dmn/, seeds the demo city (people and ~200 items, see
webapp/demo/) on a database without users, starts a worker process beside the web server (waitress)
and prints the URL and the demo logins.
"""
import argparse
import os
import signal
import subprocess
import sys

from waitress import serve

from . import create_app
from .db import upgrade_schema
from .demo import DEMO_PASSWORD, logins, seed_demo
from .demo.flow import DemoError
from .engine.errors import DeployError
from .engine.repository import sources_from_dirs


def main():
    parser = argparse.ArgumentParser(description="建议提案办理系统")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5000)
    args = parser.parse_args()

    app = create_app()
    engine = app.extensions["engine"]
    upgrade_schema(engine.db)
    try:
        print(engine.repository.deploy(sources_from_dirs(engine.settings.bpmn_dir, engine.settings.dmn_dir),
                                       created_by="make run").summary())
    except DeployError as e:
        sys.exit(str(e))
    try:
        seeded = seed_demo(engine, progress=lambda message: print(message, flush=True))
    except DemoError as e:  # the people are there; serve what was made and say what went wrong
        print(f"演示数据未能全部生成：{e}", file=sys.stderr)
    else:
        if seeded:
            print(f"演示数据已生成：{seeded.users} 个用户，{seeded.items} 件建议提案（{seeded.seconds:.0f} 秒）。")

    worker = subprocess.Popen([sys.executable, "-m", "flask", "--app", "webapp", "worker"], env=os.environ.copy())
    url = f"http://{args.host}:{args.port}/"
    print("\n" + "=" * 60)
    print(f"  建议提案办理系统已启动：{url}")
    print(f"  演示账号（密码均为 {DEMO_PASSWORD}）：")
    for username, name, role in logins():
        print(f"    {username:<15} {name:<5} {role}")
    print("  数据库：" + engine.settings.database_url)
    print("  按 Ctrl+C 停止。")
    print("=" * 60 + "\n", flush=True)
    # Stopped with SIGTERM (a service manager, `kill`) as with Ctrl+C: the worker is stopped too.
    signal.signal(signal.SIGTERM, lambda _signum, _frame: sys.exit(0))
    try:
        serve(app, host=args.host, port=args.port, threads=8)
    finally:
        worker.terminate()
        worker.wait(timeout=10)


if __name__ == "__main__":
    main()
