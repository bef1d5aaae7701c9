"""Errors the engine reports to people, with messages in Chinese."""
from dataclasses import dataclass


class EngineError(Exception):
    """Base class: `str(error)` is a message a user can read."""


class NotFound(EngineError):
    pass


class NotAllowed(EngineError):
    pass


class TaskNotOpen(EngineError):
    """The task was completed, cancelled or moved on by someone else."""


class ConcurrentUpdate(EngineError):
    """Another writer changed the instance first; nothing of this attempt was stored."""

    def __init__(self, message="该事项刚被其他人更新，本次操作未保存，请刷新后重试。"):
        super().__init__(message)


class InstanceNotRunning(EngineError):
    pass


class DeadlineError(EngineError):
    """A due date or timer in a diagram could not be computed (unknown rule, bad date)."""


@dataclass
class Problem:
    file: str
    element_id: str | None
    reason: str

    def __str__(self):
        where = f"{self.file}" + (f" · {self.element_id}" if self.element_id else "")
        return f"{where}: {self.reason}"


class DeployError(EngineError):
    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("部署被拒绝，未保存任何内容：\n" + "\n".join(f"  - {p}" for p in problems))
