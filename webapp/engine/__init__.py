"""The engine facade: SpiffWorkflow plus what it lacks (persistence, task index, timers, jobs, audit).

Split like Camunda 7's services, each with one obvious entry point:
    repository  deploy BPMN/DMN, versions, parsed specs        (repository.py)
    runtime     start instances, load/save in one transaction   (runtime.py)
    tasks       inbox, claim, complete with form validation     (tasks.py)
    history     the audit trail                                 (history.py)
    management  timers, jobs, incidents, the worker loop        (management.py)
    clock       working days, deadlines, deadline rules         (webapp/clock)
Free of Flask: the web app, the worker and the command line all use this same object.
"""
from service_tasks import load_topics

from .. import clock
from ..config import Settings
from ..db import Database
from . import history, lookups
from .management import Management
from .repository import Repository
from .runtime import Runtime
from .tasks import Tasks


class Engine:
    def __init__(self, settings: Settings | None = None, db: Database | None = None):
        self.settings = settings or Settings()
        self.db = db or Database(self.settings.database_url)
        # The work calendar and deadline rules; diagram expressions reach it through clock.current().
        self.clock = clock.Clock(self.db)
        clock.bind(self.clock)
        lookups.bind(self.db)  # unit names and long texts for expressions
        load_topics(self.settings.service_task_modules)
        self.repository = Repository(self.db)
        self.runtime = Runtime(self.db, self.repository, self.settings)
        self.tasks = Tasks(self.db, self.runtime)
        self.history = history
        self.management = Management(self.db, self.runtime, self.settings)
        # Workers keep the statistics snapshot fresh (the statistics page never reads process data).
        from ..reports.snapshot import StatisticsRefresh
        self.management.periodic.append(StatisticsRefresh(self.db, self.runtime))
