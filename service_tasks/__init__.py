"""Service tasks: Python functions that `camunda:type="external"` tasks name by `camunda:topic`.

Each module in this package registers its topics with `@topic`. A topic function receives a
`JobContext` and the task's evaluated input parameters, and returns a dict of output variables (or
None). It runs in the worker, outside the instance lock, and may run again after a crash or a
failure, so anything with an outside effect goes through `ctx.once(key)` to happen once per job.
"""
import importlib
import pkgutil
from dataclasses import dataclass, field
from typing import Callable


@dataclass
class Parameter:
    name: str
    label: str
    required: bool = False
    description: str = ""


@dataclass
class ServiceTopic:
    name: str
    label: str
    function: Callable
    parameters: list[Parameter] = field(default_factory=list)
    description: str = ""
    # Deploy-time check of a task's input parameters (name -> literal text or `${…}`) beyond required
    # and known names: returns Chinese problems, empty when fine.
    check: Callable[[dict[str, str]], list[str]] | None = None

    def parameter(self, name: str) -> Parameter | None:
        return next((p for p in self.parameters if p.name == name), None)


TOPICS: dict[str, ServiceTopic] = {}


def topic(name: str, label: str, parameters: list[Parameter] | None = None, description: str = "",
          check: Callable[[dict[str, str]], list[str]] | None = None):
    """Register a function as the handler of a service-task topic."""
    def register(fn):
        TOPICS[name] = ServiceTopic(name, label, fn, parameters or [], description or (fn.__doc__ or "").strip(),
                                    check)
        return fn
    return register


def load_topics(extra_modules: list[str] | None = None) -> dict[str, ServiceTopic]:
    """Import every module of this package (and any extra ones) so their topics are registered."""
    for info in pkgutil.iter_modules(__path__):
        importlib.import_module(f"{__name__}.{info.name}")
    for module in extra_modules or []:
        importlib.import_module(module)
    return TOPICS
