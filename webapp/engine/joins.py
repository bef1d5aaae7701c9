"""Parallel joins that keep the work of every branch.

At a parallel split each branch gets a copy of the process data. SpiffWorkflow's join merges the
branches' data and then lets the branch that arrives last overwrite everything with its copy, so a
value one branch changed is put back to its old value by any later branch that did not touch it (a lead
unit's 四个一 face-to-face meeting forgotten because the co-unit's branch finished after it; a
co-unit's signed opinion lost because it finished first). This join merges three ways instead: it starts
from the data at the split and applies, branch by branch in the order they arrived, only what each
branch changed. Two branches changing the same value still resolve to the later one.
"""
import copy

from SpiffWorkflow.bpmn.specs.defaults import ParallelGateway
from SpiffWorkflow.util.task import TaskState


class MergingParallelGateway(ParallelGateway):

    def _run_hook(self, my_task):
        arrived = sorted((t for t in my_task.workflow.tasks.values()
                          if t.task_spec == self and t != my_task and t.has_state(TaskState.FINISHED_MASK)
                          and not my_task.is_descendant_of(t)),  # not an earlier pass of a loop
                         key=lambda t: t.last_state_change)
        branches = [t.parent for t in arrived if t.parent is not None] + [my_task.parent]
        split = common_ancestor(branches)
        base = split.data if split is not None else {}
        merged = copy.deepcopy(base)
        for branch in branches:
            apply_changes(merged, base, branch.data)
        for task in arrived:  # as SpiffWorkflow's join: the other arrivals' successors are dropped
            if task.has_state(TaskState.COMPLETED):
                task._drop_children(force=True)
        my_task.data = merged
        return True


def common_ancestor(tasks):
    """The nearest task that every one of `tasks` descends from (or is), e.g. the split gateway."""
    if not tasks:
        return None
    others = [_lineage(t) for t in tasks[1:]]
    task = tasks[0]
    while task is not None:
        if all(task.id in lineage for lineage in others):
            return task
        task = task.parent
    return None


def _lineage(task) -> set:
    ids = set()
    while task is not None:
        ids.add(task.id)
        task = task.parent
    return ids


def apply_changes(merged: dict, base: dict, branch: dict) -> None:
    """Apply to `merged` what `branch` changed relative to `base`: new or changed keys (dicts key by key)
    and removed keys."""
    for key, value in branch.items():
        if key in base and base[key] == value:
            continue
        if isinstance(value, dict) and isinstance(base.get(key), dict) and isinstance(merged.get(key), dict):
            apply_changes(merged[key], base[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    for key in base:
        if key not in branch:
            merged.pop(key, None)
