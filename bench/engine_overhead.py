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


class Bare:
    """(a): the stock serializer round trip around each completed task."""

    def __init__(self):
        parser = CamundaParser()
        parser.add_bpmn_file(str(DIAGRAM))
        self.spec = parser.get_spec("bench_chain")
        self.serializer = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(CAMUNDA_CONFIG))

    def run_instance(self, n: int) -> list[float]:
        workflow = BpmnWorkflow(self.spec)
        workflow.do_engine_steps()
        stored = self.serializer.serialize_json(workflow)
        times = []
        for step in range(1, STEPS + 1):
            t0 = time.perf_counter()
            workflow = self.serializer.deserialize_json(stored)
            task = workflow.get_next_task(state=TaskState.READY, manual=True)
            task.data.update(typed(step))
            task.run()
            workflow.do_engine_steps()
            stored = self.serializer.serialize_json(workflow)
            times.append(time.perf_counter() - t0)
        return times


class Runtime:
    """(b): the project's runtime on a fresh SQLite database."""

    def __init__(self, workdir: Path):
        self.engine = Engine(Settings(database_url=f"sqlite:///{workdir / 'bench.db'}", secret_key="bench"))
        upgrade_schema(self.engine.db)
        with self.engine.db.write() as s:
            s.add(Role(code="clerk", name="经办人"))
            user = User(username="bench", display_name="基准用户", password_hash="-")
            s.add(user)
            s.flush()
            s.add(RoleAssignment(user_id=user.id, role_code="clerk"))
        self.engine.repository.deploy([DefinitionSource("bpmn", DIAGRAM.name, DIAGRAM.read_text(encoding="utf-8"))])
        with self.engine.db.read() as s:
            self.user = s.scalars(select(User)).one()
        self.state_size = 0

    def run_instance(self, n: int) -> list[float]:
        engine = self.engine
        instance_id = engine.runtime.start("bench_chain", f"B{n}", actor=self.user)
        times = []
        for step in range(1, STEPS + 1):
            with engine.db.read() as s:
                task_id = s.scalar(select(HumanTask.id).where(HumanTask.instance_id == instance_id,
                                                              HumanTask.status == "open"))
            t0 = time.perf_counter()
            engine.tasks.complete(task_id, self.user, values(step))
            times.append(time.perf_counter() - t0)
        with engine.db.read() as s:
            self.state_size = len(s.get(Instance, instance_id).state)
        return times


def median_ms(samples) -> float:
    return statistics.median(samples) * 1000


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--instances", type=int, default=40)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        bare, ours = Bare(), Runtime(Path(tmp))
        for n in range(3):  # warm up imports and caches on both sides
            bare.run_instance(n), ours.run_instance(-1 - n)
        bare_steps, our_steps = [], []
        for n in range(args.instances):  # interleaved, so drifts of a noisy machine hit both alike
            bare_steps.append(bare.run_instance(n))
            our_steps.append(ours.run_instance(n))
        ours.engine.db.dispose()
    all_bare = [x for inst in bare_steps for x in inst]
    all_ours = [x for inst in our_steps for x in inst]
    first = lambda runs: [r[0] for r in runs]  # noqa: E731
    last = lambda runs: [r[-1] for r in runs]  # noqa: E731
    ratio = median_ms(all_ours) / median_ms(all_bare)
    print(f"diagram: {DIAGRAM.name}, {args.instances} instances x {STEPS} human tasks")
    print(f"(a) bare SpiffWorkflow   median per task: {median_ms(all_bare):7.2f} ms")
    print(f"(b) project runtime      median per task: {median_ms(all_ours):7.2f} ms   (SQLite, committed)")
    print(f"ratio (b)/(a): {ratio:.2f}   (target <= 1.5; above 2.0 fails)")
    print(f"first step vs last step, bare: {median_ms(first(bare_steps)):.2f} / {median_ms(last(bare_steps)):.2f} ms;"
          f" runtime: {median_ms(first(our_steps)):.2f} / {median_ms(last(our_steps)):.2f} ms")
    print(f"stored state of a finished instance: {ours.state_size} bytes")


if __name__ == "__main__":
    main()
