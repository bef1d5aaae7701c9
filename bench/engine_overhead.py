"""What the project's runtime costs on top of bare SpiffWorkflow, per completed human task.

(a) bare SpiffWorkflow: deserialize the stored JSON (stock serializer), complete the ready user task
    with its form values, run engine steps, serialize again — the minimum any persistent use does;
(b) the project's runtime: `engine.tasks.complete(...)` on SQLite — permission check, form
    validation, load, run, engine steps, save of state + task index + timers + jobs + audit, commit.

Both complete the same tasks of the same diagram (bench/bench_chain.bpmn) in the same run.
Prints per-task medians, their ratio (target <= 1.5) and the medians of early vs late steps, which
show whether a step's cost grows with the instance's history.

    .venv/bin/python bench/engine_overhead.py [--instances 30]
"""
import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer  # noqa: E402
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow  # noqa: E402
from SpiffWorkflow.camunda.parser import CamundaParser  # noqa: E402
from SpiffWorkflow.camunda.serializer.config import CAMUNDA_CONFIG  # noqa: E402
from SpiffWorkflow.util.task import TaskState  # noqa: E402
from sqlalchemy import select  # noqa: E402

from webapp.config import Settings  # noqa: E402
from webapp.db import upgrade_schema  # noqa: E402
from webapp.engine import Engine  # noqa: E402
from webapp.engine.validation import DefinitionSource  # noqa: E402
from webapp.models import HumanTask, Instance, Role, RoleAssignment, User  # noqa: E402

DIAGRAM = Path(__file__).with_name("bench_chain.bpmn")
STEPS = 8


def values(step: int) -> dict:
    return {f"opinion{step}": f"第{step}步意见：同意办理", f"score{step}": str(step * 10), f"ok{step}": "on"}


def typed(step: int) -> dict:
    return {f"opinion{step}": f"第{step}步意见：同意办理", f"score{step}": step * 10, f"ok{step}": True}


def bench_bare(instances: int) -> list[list[float]]:
    parser = CamundaParser()
    parser.add_bpmn_file(str(DIAGRAM))
    spec = parser.get_spec("bench_chain")
    serializer = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(CAMUNDA_CONFIG))
    per_step = [[] for _ in range(STEPS)]
    for _ in range(instances):
        workflow = BpmnWorkflow(spec)
        workflow.do_engine_steps()
        stored = serializer.serialize_json(workflow)
        for step in range(1, STEPS + 1):
            t0 = time.perf_counter()
            workflow = serializer.deserialize_json(stored)
            task = workflow.get_next_task(state=TaskState.READY, manual=True)
            task.data.update(typed(step))
            task.run()
            workflow.do_engine_steps()
            stored = serializer.serialize_json(workflow)
            per_step[step - 1].append(time.perf_counter() - t0)
    return per_step


def bench_runtime(instances: int, workdir: Path) -> tuple[list[list[float]], int]:
    settings = Settings(database_url=f"sqlite:///{workdir / 'bench.db'}", secret_key="bench")
    engine = Engine(settings)
    upgrade_schema(engine.db)
    with engine.db.write() as s:
        s.add(Role(code="clerk", name="经办人"))
        user = User(username="bench", display_name="基准用户")
        user.set_password("bench")
        s.add(user)
        s.flush()
        s.add(RoleAssignment(user_id=user.id, role_code="clerk"))
    engine.repository.deploy([DefinitionSource("bpmn", DIAGRAM.name, DIAGRAM.read_text(encoding="utf-8"))])
    with engine.db.read() as s:
        user = s.scalars(select(User)).one()
    per_step = [[] for _ in range(STEPS)]
    state_size = 0
    for n in range(instances):
        instance_id = engine.runtime.start("bench_chain", f"B{n}", actor=user)
        for step in range(1, STEPS + 1):
            with engine.db.read() as s:
                task_id = s.scalar(select(HumanTask.id).where(HumanTask.instance_id == instance_id,
                                                              HumanTask.status == "open"))
            t0 = time.perf_counter()
            engine.tasks.complete(task_id, user, values(step))
            per_step[step - 1].append(time.perf_counter() - t0)
        with engine.db.read() as s:
            state_size = len(s.get(Instance, instance_id).state)
    engine.db.dispose()
    return per_step, state_size


def median_ms(samples) -> float:
    return statistics.median(samples) * 1000


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--instances", type=int, default=30)
    args = ap.parse_args()
    bench_bare(3)  # warm up imports and caches for both sides
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "warm").mkdir()
        bench_runtime(2, Path(tmp) / "warm")
        bare = bench_bare(args.instances)
        ours, state_size = bench_runtime(args.instances, Path(tmp))
    all_bare = [x for step in bare for x in step]
    all_ours = [x for step in ours for x in step]
    ratio = median_ms(all_ours) / median_ms(all_bare)
    print(f"diagram: {DIAGRAM.name}, {args.instances} instances x {STEPS} human tasks")
    print(f"(a) bare SpiffWorkflow   median per task: {median_ms(all_bare):7.2f} ms")
    print(f"(b) project runtime      median per task: {median_ms(all_ours):7.2f} ms   (SQLite, committed)")
    print(f"ratio (b)/(a): {ratio:.2f}   (target <= 1.5; above 2.0 fails)")
    print(f"first step vs last step, bare: {median_ms(bare[0]):.2f} / {median_ms(bare[-1]):.2f} ms;"
          f" runtime: {median_ms(ours[0]):.2f} / {median_ms(ours[-1]):.2f} ms")
    print(f"stored state of a finished instance: {state_size} bytes")


if __name__ == "__main__":
    main()
