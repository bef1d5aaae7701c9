"""webapp/modeling: element templates from the service topics, differences between versions, the deploy's
checks on drafts, trial runs of decision tables, and exporting the deployed files back to bpmn/ and dmn/."""
import shutil
from pathlib import Path

import pytest
from lxml import etree

from service_tasks import TOPICS, load_topics
from tests.support.bpmn import linear
from webapp.engine.errors import DeployError
from webapp.engine.repository import sources_from_dirs
from webapp.engine.validation import DefinitionSource
from webapp.modeling.diff import diff_definitions
from webapp.modeling.element_templates import element_templates, template_id
from webapp.modeling.export import export_definitions
from webapp.modeling.lint import lint_available
from webapp.modeling.service import Modeling

ROOT = Path(__file__).resolve().parent.parent
CAMUNDA = "http://camunda.org/schema/1.0/bpmn"


# --- element templates ------------------------------------------------------------------------------

def test_every_topic_becomes_a_camunda_7_element_template():
    load_topics()
    templates = {t["id"]: t for t in element_templates(TOPICS)}
    assert set(templates) == {template_id(name) for name in TOPICS}
    letter = templates[template_id("reply_letter")]
    assert letter["name"] == "生成答复函"
    assert letter["appliesTo"] == ["bpmn:ServiceTask", "bpmn:SendTask"]
    assert isinstance(letter["version"], int)
    bindings = {(p["binding"]["type"], p["binding"]["name"]): p for p in letter["properties"]}
    assert bindings[("property", "camunda:type")]["value"] == "external"
    assert bindings[("property", "camunda:topic")]["value"] == "reply_letter"
    for parameter in TOPICS["reply_letter"].parameters:
        prop = bindings[("camunda:inputParameter", parameter.name)]
        assert prop["label"].startswith(parameter.label)
        assert prop["type"] == "String"
        assert prop.get("constraints", {}).get("notEmpty", False) is parameter.required
    notify = templates[template_id("notify")]
    assert notify["name"] == TOPICS["notify"].label
    assert {p["binding"]["name"] for p in notify["properties"] if p["binding"]["type"] == "camunda:inputParameter"} \
        == {p.name for p in TOPICS["notify"].parameters}


def applied_template(topic: str, values: dict[str, str], task_id="service", name="服务") -> str:
    """The service task the modeler writes when a process owner picks `topic`'s template and fills in
    `values`: every parameter of the template as a camunda:inputParameter, the ones left alone empty."""
    template = next(t for t in element_templates(TOPICS) if t["id"] == template_id(topic))
    attributes, parameters = {}, []
    for prop in template["properties"]:
        binding = prop["binding"]
        if binding["type"] == "property":
            attributes[binding["name"]] = prop["value"]
        else:
            value = values.get(binding["name"], prop.get("value", ""))
            parameters.append(f'<camunda:inputParameter name="{binding["name"]}">{value}</camunda:inputParameter>'
                              if value else f'<camunda:inputParameter name="{binding["name"]}" />')
    attrs = " ".join(f'{k}="{v}"' for k, v in attributes.items())
    return (f'<bpmn:serviceTask id="{task_id}" name="{name}" {attrs}><bpmn:extensionElements><camunda:inputOutput>'
            + "".join(parameters) + "</camunda:inputOutput></bpmn:extensionElements></bpmn:serviceTask>")


def test_a_task_made_from_a_template_deploys(engine):
    # Every required parameter filled in (from the process data), the optional ones left empty.
    required = {p.name: "${" + p.name + "}" for p in TOPICS["reply_letter"].parameters if p.required}
    letter = applied_template("reply_letter", {**required, "unit_name": "市交通运输局"}, task_id="letter",
                              name="生成答复函")
    notice = applied_template("notify", {"subject": "${'已答复：' + title}", "group": "office"},
                              task_id="notice", name="发送通知")
    result = engine.repository.deploy([linear("from_templates", letter, notice)])
    assert result.new_processes == [("from_templates", 1)]
    spec, _ = engine.repository.specs.get(result.deployment_id, "from_templates")
    # Parameters left empty in the modeler are not set (the topic's defaults apply), filled ones are.
    ext = spec.task_specs["notice"].extensions
    assert ext.topic == "notify" and ext.implementation == "external"
    assert ext.input_parameters == {"subject": "${'已答复：' + title}", "group": "office"}
    assert spec.task_specs["letter"].extensions.input_parameters == {**required, "unit_name": "市交通运输局"}


def test_a_typo_in_a_template_parameter_or_an_empty_required_one_is_refused(engine):
    typo = applied_template("notify", {"subject": "你好", "group": "office"}).replace('name="group"', 'name="gruop"')
    with pytest.raises(DeployError) as refused:
        engine.repository.deploy([linear("typo", typo)])
    assert [(p.element_id, p.reason) for p in refused.value.problems] == [
        ("service", "服务主题“notify”没有参数“gruop”")]
    empty = applied_template("reply_letter", {"unit_name": "市交通运输局"})
    with pytest.raises(DeployError) as refused:
        engine.repository.deploy([linear("empty", empty)])
    assert any("缺少必填参数“doc_prefix”" in p.reason for p in refused.value.problems)


# --- differences ------------------------------------------------------------------------------------

def item_handling() -> str:
    return (ROOT / "bpmn" / "item_handling.bpmn").read_text(encoding="utf-8")


def with_new_field(xml: str) -> str:
    """intake_review with one more form field (what a process owner adds in the properties panel)."""
    marker = '<camunda:formField id="intake_decision"'
    assert marker in xml
    return xml.replace(marker, '<camunda:formField id="contact_note" label="联系情况备注" type="string" />\n          '
                       + marker, 1)


def test_an_unchanged_diagram_has_no_differences_whatever_its_layout():
    xml = item_handling()
    root = etree.fromstring(xml.encode("utf-8"))
    # Moving a shape and re-serializing with other whitespace is not a change of the process.
    bounds = root.find(".//{http://www.omg.org/spec/DD/20100524/DC}Bounds")
    bounds.set("x", str(float(bounds.get("x")) + 40))
    moved = etree.tostring(root, encoding="unicode", pretty_print=False)
    assert diff_definitions(xml, moved).empty


def test_a_new_form_field_changes_only_its_task():
    diff = diff_definitions(item_handling(), with_new_field(item_handling()))
    assert [(c.id, c.kind, c.type, c.name) for c in diff.changed] == [
        ("intake_review", "changed", "userTask", "分类甄选／快速审查")]
    assert diff.changed[0].details == ["表单字段有变化"]
    assert diff.added == [] and diff.removed == []


def test_added_removed_and_changed_attributes_are_named():
    old = linear("p", '<bpmn:userTask id="a" name="甲" camunda:candidateGroups="clerk" />',
                 '<bpmn:userTask id="b" name="乙" />').content
    new = linear("p", '<bpmn:userTask id="a" name="甲" camunda:candidateGroups="office" />',
                 '<bpmn:userTask id="c" name="丙" />').content
    diff = diff_definitions(old, new)
    assert [c.id for c in diff.added] == ["c"]
    assert [c.id for c in diff.removed] == ["b"]
    changed = {c.id: c.details for c in diff.changed}
    assert changed["a"] == ["候选组：clerk → office"]
    # The flows into b and c were replaced: flow_1 now ends at c, flow_2 starts there.
    assert "flow_1" in changed and "终点：b → c" in changed["flow_1"]


def test_a_decision_table_cell_change_names_its_rule():
    xml = (ROOT / "dmn" / "face_to_face.dmn").read_text(encoding="utf-8")
    changed = xml.replace('<outputEntry id="rule_feasible_blocks"><text>False</text>',
                          '<outputEntry id="rule_feasible_blocks"><text>True</text>')
    diff = diff_definitions(xml, changed)
    assert [(c.id, c.type, c.name) for c in diff.changed] == [
        ("rule_feasible_blocks", "outputEntry", "有条件开展面商的力争面商")]


# --- drafts: the deploy's checks, deploy, trial runs -------------------------------------------------

@pytest.fixture
def product(engine):
    engine.repository.deploy(sources_from_dirs(ROOT / "bpmn", ROOT / "dmn"), created_by="cli")
    return Modeling(engine)


def test_a_draft_is_checked_with_the_whole_deployed_set(product):
    xml = item_handling().replace('camunda:decisionRef="unit_suggestion"', 'camunda:decisionRef="unit_sugestion"')
    assert xml != item_handling()
    result = product.check("bpmn", "item_handling", xml)
    assert [(p.file, p.element_id) for p in result.problems if "unit_sugestion" in p.reason] == [
        ("item_handling.bpmn", "suggest_units")]
    assert product.check("bpmn", "item_handling", with_new_field(item_handling())).problems == []


@pytest.mark.skipif(not lint_available(), reason="Node.js or bpmnlint is not installed (npm ci)")
def test_bpmnlint_problems_of_a_draft_name_the_element(product):
    # A task with no incoming or outgoing flow: the deploy accepts it, bpmnlint does not.
    xml = item_handling().replace(
        '<bpmn:userTask id="intake_review"',
        '<bpmn:userTask id="stray_task" name="游离任务" camunda:candidateGroups="office" />\n    '
        '<bpmn:userTask id="intake_review"', 1)
    result = product.check("bpmn", "item_handling", xml)
    assert result.lint_available
    lint = [(p.element_id, p.reason) for p in result.lint_problems]
    assert any(e == "stray_task" and r.startswith("元素没有连接到流程中（bpmnlint no-disconnected") for e, r in lint), lint
    with pytest.raises(DeployError) as refused:
        product.deploy("bpmn", "item_handling", xml, "owner")
    assert "stray_task" in {p.element_id for p in refused.value.problems}


def test_deploying_a_draft_makes_a_new_version_of_its_process_only(product, engine):
    product.save_draft("bpmn", "item_handling", with_new_field(item_handling()), 1, "owner")
    assert product.draft("bpmn", "item_handling").updated_by == "owner"
    result = product.deploy("bpmn", "item_handling", with_new_field(item_handling()), "owner")
    assert result.new_processes == [("item_handling", 2)] and result.new_decisions == []
    assert product.draft("bpmn", "item_handling") is None  # deployed: the draft is gone
    definition = product.definition("bpmn", "item_handling")
    assert [v.version for v in definition.versions] == [2, 1]
    assert (definition.current.created_by, definition.current.source) == ("owner", "browser")
    xml, version = product.version_xml("bpmn", "item_handling")
    assert version == 2 and xml == with_new_field(item_handling())
    assert product.diff("bpmn", "item_handling", xml)[0].empty


def test_trial_run_of_a_draft_table_beside_the_deployed_one(product):
    xml = (ROOT / "dmn" / "face_to_face.dmn").read_text(encoding="utf-8")
    draft = xml.replace('<outputEntry id="rule_feasible_blocks"><text>False</text>',
                        '<outputEntry id="rule_feasible_blocks"><text>True</text>')
    assert [(i.name, i.type) for i in product.decision_inputs(draft)] == [
        ("is_key", "boolean"), ("proposer_requested_face_to_face", "boolean"),
        ("face_to_face_beneficial", "boolean"), ("face_to_face_feasible", "boolean")]
    inputs = {"is_key": False, "proposer_requested_face_to_face": False, "face_to_face_beneficial": False,
              "face_to_face_feasible": True}
    new = product.evaluate_draft("face_to_face", draft, inputs)
    old = product.evaluate_deployed("face_to_face", inputs)
    assert new["outputs"]["face_to_face_required"] is True and new["rules"][0] == "rule_feasible"
    assert old["outputs"]["face_to_face_required"] is False
    assert old["outputs"]["face_to_face_level"] == new["outputs"]["face_to_face_level"] == "feasible"
    with pytest.raises(DeployError):
        product.evaluate_draft("face_to_face", draft.replace("<text>True</text>", "<text>True ==</text>", 1), inputs)


# --- export back to files ---------------------------------------------------------------------------

def test_deploy_then_export_writes_the_unchanged_files_back_byte_for_byte(engine, tmp_path):
    engine.repository.deploy(sources_from_dirs(ROOT / "bpmn", ROOT / "dmn"))
    written = export_definitions(engine.db, tmp_path)
    originals = sorted([*(ROOT / "bpmn").glob("*.bpmn"), *(ROOT / "dmn").glob("*.dmn")])
    assert sorted(p.path.relative_to(tmp_path) for p in written) == sorted(
        p.relative_to(ROOT) for p in originals)
    for original in originals:
        assert (tmp_path / original.relative_to(ROOT)).read_bytes() == original.read_bytes(), original.name


def test_export_after_a_browser_deploy_updates_only_the_changed_file(engine, tmp_path):
    for folder in ("bpmn", "dmn"):
        shutil.copytree(ROOT / folder, tmp_path / folder)
    engine.repository.deploy(sources_from_dirs(tmp_path / "bpmn", tmp_path / "dmn"))
    Modeling(engine).deploy("bpmn", "item_handling", with_new_field(item_handling()), "owner")
    written = {p.path.name: p.changed for p in export_definitions(engine.db, tmp_path)}
    assert [name for name, changed in written.items() if changed] == ["item_handling.bpmn"]
    assert (tmp_path / "bpmn" / "item_handling.bpmn").read_text(encoding="utf-8") == with_new_field(item_handling())


def test_export_refuses_a_file_name_that_is_a_path(engine, tmp_path):
    engine.repository.deploy([DefinitionSource("bpmn", "../evil.bpmn", linear("evil").content)])
    with pytest.raises(ValueError):
        export_definitions(engine.db, tmp_path / "project")
    assert not (tmp_path / "evil.bpmn").exists()


def test_export_cli(engine, settings, tmp_path):
    from webapp import create_app
    engine.repository.deploy(sources_from_dirs(ROOT / "bpmn", ROOT / "dmn"))
    app = create_app(settings, engine)
    count = len([*(ROOT / "bpmn").glob("*.bpmn"), *(ROOT / "dmn").glob("*.dmn")])
    result = app.test_cli_runner().invoke(args=["export-diagrams", "--dir", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert f"共 {count} 个文件，{count} 个有变化。" in result.output
    again = app.test_cli_runner().invoke(args=["export-diagrams", "--dir", str(tmp_path)])
    assert f"共 {count} 个文件，0 个有变化。" in again.output
