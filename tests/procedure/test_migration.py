"""Items of the deployed procedure move to a changed `unit_handling` (版本迁移): a new field on a later
task, and a removed step. Items that have not reached the removed step move and continue on the new
version; an item that has passed it is refused and goes on in its own version."""
import re

from tests.procedure.driver import ROOT, accept, consult, dispatch, draft, handle, register, unit_review
from tests.support.helpers import audit, instance
from webapp.engine.migration import Migration
from webapp.engine.repository import sources_from_dirs
from webapp.engine.validation import DefinitionSource

NEW_FIELD = ('<camunda:formField id="leader_decision" label="审核意见" type="enum">',
             '<camunda:formField id="leader_note" label="补充说明" type="string" />\n'
             '            <camunda:formField id="leader_decision" label="审核意见" type="enum">')


def changed_unit_handling() -> list[DefinitionSource]:
    """bpmn/ and dmn/ with `unit_handling` changed: `leader_review` asks for a note, and the script
    `record_consult_before` (记入协商记录（办前）) is gone — the consultation goes straight on to
    登记协商记录（办前）."""
    sources = []
    for src in sources_from_dirs(ROOT / "bpmn", ROOT / "dmn"):
        content = src.content
        if src.filename == "unit_handling.bpmn":
            content = content.replace(*NEW_FIELD)
            content = re.sub(r'\s*<bpmn:scriptTask id="record_consult_before".*?</bpmn:scriptTask>', "", content,
                             flags=re.S)
            content = re.sub(r'\s*<bpmn:sequenceFlow id="flow_record_consult_before_register_consult_before"[^>]*/>', "",
                             content)
            content = content.replace('sourceRef="consult_before" targetRef="record_consult_before"',
                                      'sourceRef="consult_before" targetRef="register_consult_before"')
            content = content.replace(
                "<bpmn:incoming>flow_record_consult_before_register_consult_before</bpmn:incoming>",
                "<bpmn:incoming>flow_consult_before_record_consult_before</bpmn:incoming>")
            for element in ("record_consult_before", "flow_record_consult_before_register_consult_before"):
                shape = r'\s*<bpmndi:BPMN(Shape|Edge) id="[^"]*" bpmnElement="%s".*?</bpmndi:BPMN\1>' % element
                content = re.sub(shape, "", content, flags=re.S)
            assert 'id="record_consult_before"' not in content and "leader_note" in content
        sources.append(DefinitionSource(src.kind, src.filename, content))
    return sources


def test_items_move_to_a_changed_unit_handling_and_continue_on_it(proc, engine):
    items = {}
    proc.start(item_no=1)
    items["intake"] = proc.instance_id
    proc.start(item_no=2)
    register(proc)
    accept(proc, "jtj")
    items["dispatch"] = proc.instance_id
    proc.start(item_no=3)
    register(proc)
    accept(proc, "jtj")
    dispatch(proc, "jtj")
    items["consult"] = proc.instance_id
    consult_row = proc.task("consult_before", "jtj").id
    proc.start(item_no=4)
    register(proc)
    accept(proc, "jtj")
    dispatch(proc, "jtj")
    consult(proc, "jtj")
    handle(proc, "jtj")
    draft(proc, "jtj")
    items["review"] = proc.instance_id

    result = engine.repository.deploy(changed_unit_handling(), created_by="owner", source="browser")
    assert result.new_processes == [("unit_handling", 2)]
    migration = Migration(engine)

    plan = migration.plan("item_handling", 1)
    assert (plan.source.deployment_id, plan.target.deployment_id) == (1, result.deployment_id)
    verdicts = {c.instance_id: (c.current, c.reasons) for c in plan.checks}
    assert verdicts == {
        items["intake"]: (["分类甄选／快速审查"], []),
        items["dispatch"]: (["内部交办（五定）"], []),
        items["consult"]: (["办前协商：了解意图诉求"], []),
        items["review"]: (["分管领导审核"], ["已办理的环节“记入协商记录（办前）”在新版本中已删除（迁移后无法保留其办理记录）"]),
    }
    assert [c.changes for c in plan.checks if c.instance_id == items["consult"]] == [
        ["“办前协商：了解意图诉求”之后的流程按新版本办理"]]

    moved = migration.migrate("item_handling", 1, actor=proc.user("office"))
    assert sorted(c.instance_id for c in moved.moved) == sorted([items["intake"], items["dispatch"], items["consult"]])
    assert [c.instance_id for c in moved.refused] == [items["review"]]
    assert {k: instance(engine, i).deployment_id for k, i in items.items()} == {
        "intake": 2, "dispatch": 2, "consult": 2, "review": 1}
    assert [a.detail["to_version"] for a in audit(engine, items["consult"], "instance_migrated")] == ["第 1 版（部署 2）"]

    # The item waiting for its consultation goes on without the removed script, on the same task row.
    proc.instance_id = items["consult"]
    assert proc.task("consult_before", "jtj").id == consult_row
    consult(proc, "jtj")
    assert proc.open_summary() == [("handle_item", "jtj")]
    assert proc.data()["consultations"] == []  # 记入协商记录（办前） did not run
    handle(proc, "jtj")
    draft(proc, "jtj")
    review = proc.task("leader_review", "jtj")
    assert "leader_note" in [f.id for f in engine.tasks.form(review).fields]  # the new field shows
    proc.do("leader_review", "jtj_leader", unit="jtj", leader_decision="approve", leader_note="已核")
    assert proc.open_summary() == [("head_sign", "jtj")]

    # The item dispatched later runs the new version from the start of its handling.
    proc.instance_id = items["dispatch"]
    dispatch(proc, "jtj")
    consult(proc, "jtj")
    assert proc.open_summary() == [("handle_item", "jtj")]

    # The refused item stays on its version: the old form, the old path.
    proc.instance_id = items["review"]
    review = proc.task("leader_review", "jtj")
    assert "leader_note" not in [f.id for f in engine.tasks.form(review).fields]
    unit_review(proc, "jtj")
    assert proc.open_summary() == [("office_review", None)]
    assert len(proc.data()["consultations"]) >= 1
