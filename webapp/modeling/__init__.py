"""Changing the procedure in the browser, free of Flask (the modeler pages in webapp/web/modeler.py).

    service.py            versions, drafts, the deploy's checks on a draft, deploy, decision trial runs
    diff.py               which elements differ from the version in service
    lint.py               bpmnlint over a draft (Node.js, when installed)
    element_templates.py  Camunda 7 element templates from the service topics
    export.py             the deployed XML written back to bpmn/ and dmn/
"""
