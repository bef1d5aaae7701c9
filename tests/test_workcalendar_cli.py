"""`flask --app webapp calendar …`: results on stdout only, provisional marks on stderr, the same
database overrides and rules as the engine (SQLite and PostgreSQL).

Expected dates are counted by hand from the State Council notices (see test_workcalendar.py).
"""
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.calendar import SCHEDULE_2027, package_until_2026  # noqa: F401 (fixture)
from webapp import create_app

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def cli(settings, engine):
    app = create_app(settings, engine)
    runner = app.test_cli_runner()

    def run(*args, ok=True):
        result = runner.invoke(args=["calendar", *map(str, args)])
        if ok:
            assert result.exit_code == 0, (result.output, result.exception)
        return result
    return run


@pytest.mark.parametrize("args, out", [
    (("add-workdays", "2024-09-27", 7), "2024-10-12"),   # National Day 2024: 9/29 (Sun), 10/12 (Sat) worked
    (("add-workdays", "2025-01-24", 7), "2025-02-10"),   # Spring Festival 2025
    (("add-workdays", "2024-10-01", 1), "2024-10-08"),   # a start day that is a holiday
    (("add-workdays", "2024-10-12", -5), "2024-09-30"),  # backwards, for reminders
    (("add-months", "2024-01-31", 1), "2024-02-29"),
    (("add-months", "2021-01-31", 1), "2021-03-01"),     # 2021-02-28 is a Sunday
    (("add-months", "2025-11-30", 3), "2026-02-28"),     # a make-up Saturday (Spring Festival 2026)
    (("add-days", "2024-09-24", 7), "2024-10-08"),
    (("workdays-between", "2024-09-27", "2024-10-12"), "7"),
    (("is-workday", "2024-02-18"), "true"),              # make-up Sunday
    (("is-workday", "2024-10-07"), "false"),
    (("is-workday", "2024-03-02"), "false"),             # ordinary Saturday
    (("deadline", "handling", "--from", "2024-07-01"), "2024-10-08"),
])
def test_results_on_stdout_alone(cli, args, out):
    result = cli(*args)
    assert result.stdout == out + "\n"
    assert result.stderr == ""


def test_a_provisional_result_is_marked_on_stderr_then_final_after_import(cli, tmp_path, package_until_2026):
    result = cli("add-workdays", "2026-12-25", 7)
    assert result.stdout == "2027-01-05\n"
    assert "2027 年的节假日安排尚未录入" in result.stderr
    result = cli("is-workday", "2027-01-01")
    assert (result.stdout, "临时" in result.stderr) == ("true\n", True)

    schedule = tmp_path / "2027.txt"
    schedule.write_text(SCHEDULE_2027, encoding="utf-8")
    result = cli("import-year", 2027, schedule, "--note", "测试安排", "--by", "admin")
    assert "已导入 2027 年安排：9 天" in result.stdout

    result = cli("add-workdays", "2026-12-25", 7)
    assert (result.stdout, result.stderr) == ("2027-01-06\n", "")
    assert cli("is-workday", "2027-02-20").stdout == "true\n"   # the entered make-up Saturday
    assert cli("is-workday", "2027-01-01").stdout == "false\n"
    assert "管理员录入：2027 年（admin" in cli("status").stdout


def test_a_bad_schedule_file_is_refused_with_line_numbers(cli, engine, tmp_path):
    bad = tmp_path / "bad.txt"
    bad.write_text("2027-01-01 休\n2027-02-30 休\n", encoding="utf-8")
    result = cli("import-year", 2027, bad, ok=False)
    assert result.exit_code == 1
    assert "第 2 行的日期不存在" in result.stderr
    assert engine.clock.days() == [] and engine.clock.years() == []


def test_bad_dates_and_unknown_rules_fail_with_a_message(cli):
    result = cli("add-workdays", "2024-13-01", 1, ok=False)
    assert result.exit_code == 2 and "无法识别的日期" in result.stderr
    result = cli("deadline", "nope", ok=False)
    assert result.exit_code == 1 and "期限规则“nope”不存在" in result.stderr


def test_local_closures_and_rule_changes(cli, engine):
    assert "2024-10-14 已设为休息日" in cli("set-day", "2024-10-14", "休", "--note", "台风停工").stdout
    assert cli("add-workdays", "2024-10-11", 2).stdout == "2024-10-15\n"
    assert not engine.clock.calendar().is_workday("2024-10-14")  # the engine sees it too
    cli("remove-day", "2024-10-14")
    assert cli("add-workdays", "2024-10-11", 2).stdout == "2024-10-14\n"

    result = cli("set-rule", "handling", 2, "--from", "2024-07-01", "--reason", "本市规定", "--by", "admin")
    assert "handling：3 个月 → 2 个月，自 2024-07-01 起生效" in result.stdout
    assert cli("deadline", "handling", "--from", "2024-07-01").stdout == "2024-09-02\n"
    assert engine.clock.deadline("handling", "2024-07-01").isoformat() == "2024-09-02"
    assert "handling\t2 个月" in cli("rules").stdout
    assert cli("set-rule", "handling", 2).stdout == "没有变化。\n"


def test_the_real_command_line(settings, engine):
    """The installed `flask --app webapp calendar` entry point, in its own process."""
    env = {**os.environ, "DATABASE_URL": settings.database_url}
    result = subprocess.run([str(Path(sys.executable).parent / "flask"), "--app", "webapp", "calendar",
                             "add-workdays", "2024-09-27", "7"],
                            capture_output=True, text=True, env=env, cwd=ROOT, timeout=60)
    assert (result.returncode, result.stdout, result.stderr) == (0, "2024-10-12\n", "")
