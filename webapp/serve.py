"""`make run`: set everything up from nothing and serve the product with its worker.

Creates the schema, deploys bpmn/ and dmn/, seeds demo people on an empty database, starts a
worker process beside the web server (waitress) and prints the URL and the demo logins.
"""
import argparse
import os
import subprocess
import sys

from waitress import serve

from . import create_app
from .cli import DEMO_PASSWORD, demo_logins, seed_demo_people
from .db import upgrade_schema
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
    seed_demo_people(engine)

    worker = subprocess.Popen([sys.executable, "-m", "flask", "--app", "webapp", "worker"], env=os.environ.copy())
    url = f"http://{args.host}:{args.port}/"
    print("\n" + "=" * 60)
    print(f"  建议提案办理系统已启动：{url}")
    print(f"  演示账号（密码均为 {DEMO_PASSWORD}）：")
    for username, name in demo_logins():
        print(f"    {username:<14} {name}")
    print("  数据库：" + engine.settings.database_url)
    print("  按 Ctrl+C 停止。")
    print("=" * 60 + "\n", flush=True)
    try:
        serve(app, host=args.host, port=args.port, threads=8)
    finally:
        worker.terminate()
        worker.wait(timeout=10)


if __name__ == "__main__":
    main()
