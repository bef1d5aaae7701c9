"""Deploying BPMN and DMN files: versions only for what changed, and refusals that store nothing."""
import pytest
from sqlalchemy import func, select

from tests.conftest import diagram
from tests.support.bpmn import bpmn, dmn, linear
from webapp.engine.errors import DeployError
from webapp.models import DecisionVersion, DefinitionFile, Deployment, DeploymentFile, ProcessVersion

TABLES = (DefinitionFile, Deployment, DeploymentFile, ProcessVersion, DecisionVersion)


def counts(engine) -> dict[str, int]:
    with engine.db.read() as s:
        return {m.__tablename__: s.scalar(select(func.count()).select_from(m)) for m in TABLES}


def versions(engine, model=ProcessVersion) -> dict[str, int]:
    key = model.process_key if model is ProcessVersion else model.decision_key
    with engine.db.read() as s:
        return dict(s.execute(select(key, func.max(model.version)).group_by(key)).all())


def simple(process_id="simple", task_name="办理"):
    return linear(process_id, f'<bpmn:userTask id="do_it" name="{task_name}" camunda:candidateGroups="clerk" />')


# --- versions --------------------------------------------------------------------------------------

def test_first_deploy_creates_version_1(engine):
    result = engine.repository.deploy([diagram("approval.bpmn"), simple()], created_by="admin", source="web")
    assert result.changed is True
    assert sorted(result.new_processes) == [("approval", 1), ("simple", 1)]
    assert result.summary() == f"已部署（部署号 {result.deployment_id}）：流程 approval 第 1 版、流程 simple 第 1 版"
    with engine.db.read() as s:
        deployment = s.get(Deployment, result.deployment_id)
        assert (deployment.created_by, deployment.source, deployment.summary) == ("admin", "web", result.summary())
        assert sorted(f.filename for f in deployment.files) == ["approval.bpmn", "simple.bpmn"]
        version = s.scalars(select(ProcessVersion).filter_by(process_key="approval")).one()
        assert version.name == "测试审批"
        assert version.file.content == diagram("approval.bpmn").content


def test_deploying_the_same_files_again_changes_nothing(engine):
    engine.repository.deploy([diagram("approval.bpmn"), simple()])
    before = counts(engine)
    result = engine.repository.deploy([simple(), diagram("approval.bpmn")])  # order does not matter
    assert result.changed is False
    assert result.deployment_id is None
    assert result.new_processes == [] and result.new_decisions == []
    assert result.summary() == "没有变化：所有流程和决策表与当前版本相同，未创建新版本。"
    assert counts(engine) == before


def test_a_changed_file_gives_a_new_version_only_of_its_process(engine):
    engine.repository.deploy([diagram("approval.bpmn"), simple(), diagram("decision.bpmn"),
                              diagram("route_decision.dmn")])
    result = engine.repository.deploy([diagram("approval.bpmn"), simple(task_name="办理（新）"),
                                       diagram("decision.bpmn"), diagram("route_decision.dmn")])
    assert result.changed is True
    assert result.new_processes == [("simple", 2)]
    assert result.new_decisions == []
    assert result.summary() == f"已部署（部署号 {result.deployment_id}）：流程 simple 第 2 版"
    assert versions(engine) == {"approval": 1, "simple": 2, "decision": 1}
    with engine.db.read() as s:
        # unchanged files are shared by both deployments, not stored twice
        assert s.scalar(select(func.count()).select_from(DefinitionFile)) == 5
        assert len(s.get(Deployment, result.deployment_id).files) == 4


def test_a_changed_decision_table_gives_a_new_decision_version(engine):
    table = diagram("route_decision.dmn")
    engine.repository.deploy([diagram("decision.bpmn"), table])
    changed = type(table)("dmn", table.filename, table.content.replace('"boss"', '"admin"'))
    result = engine.repository.deploy([diagram("decision.bpmn"), changed])
    assert result.new_processes == []
    assert result.new_decisions == [("route_decision", 2)]
    assert result.summary().endswith("：决策表 route_decision 第 2 版")
    assert versions(engine, DecisionVersion) == {"route_decision": 2}


def test_a_changed_file_back_to_an_earlier_content_is_a_new_version_again(engine):
    engine.repository.deploy([simple()])
    engine.repository.deploy([simple(task_name="二")])
    result = engine.repository.deploy([simple()])
    assert result.new_processes == [("simple", 3)]
    with engine.db.read() as s:
        assert s.scalar(select(func.count()).select_from(DefinitionFile)) == 2  # content stored once


# --- refusals: each leaves the database exactly as it was ---------------------------------------------

@pytest.fixture
def deployed(engine):
    """The database already holds one deployment; a refused deploy must add nothing to it."""
    engine.repository.deploy([diagram("approval.bpmn")])
    return counts(engine)


def refused(engine, before, *sources):
    with pytest.raises(DeployError) as info:
        engine.repository.deploy([diagram("approval.bpmn"), *sources])
    assert counts(engine) == before, "a refused deploy must not store anything"
    message = str(info.value)
    assert message.startswith("部署被拒绝，未保存任何内容：")
    return info.value.problems


def assert_problem(problems, file, element_id, *reason_parts):
    matching = [p for p in problems if p.file == file and p.element_id == element_id]
    assert matching, f"no problem for {file} · {element_id} in {problems}"
    assert any(all(part in p.reason for part in reason_parts) for p in matching), matching


def service(topic, params=""):
    return linear("svc_proc", f'<bpmn:serviceTask id="svc" name="服务" camunda:type="external" camunda:topic="{topic}">'
                  f'<bpmn:extensionElements><camunda:inputOutput>{params}</camunda:inputOutput>'
                  f'</bpmn:extensionElements></bpmn:serviceTask>')


def test_refused_unknown_service_topic(engine, deployed):
    problems = refused(engine, deployed, service("send_fax"))
    assert_problem(problems, "svc_proc.bpmn", "svc", "未知的服务主题“send_fax”", "notify")


def test_refused_unknown_topic_parameter(engine, deployed):
    params = ('<camunda:inputParameter name="subject">你好</camunda:inputParameter>'
              '<camunda:inputParameter name="colour">red</camunda:inputParameter>')
    problems = refused(engine, deployed, service("notify", params))
    assert_problem(problems, "svc_proc.bpmn", "svc", "服务主题“notify”没有参数“colour”")


def test_refused_missing_required_topic_parameter(engine, deployed):
    problems = refused(engine, deployed, service("test_echo", '<camunda:inputParameter name="number">1</camunda:inputParameter>'))
    assert_problem(problems, "svc_proc.bpmn", "svc", "服务主题“test_echo”缺少必填参数“text”（文本）")


def test_refused_notify_without_subject_or_template(engine, deployed):
    problems = refused(engine, deployed, service("notify", '<camunda:inputParameter name="users">boss</camunda:inputParameter>'))
    assert_problem(problems, "svc_proc.bpmn", "svc", "服务主题“notify”需要参数“subject”（标题）或“template”（通知模板）")


def test_refused_service_task_that_is_not_external(engine, deployed):
    src = linear("svc_proc", '<bpmn:serviceTask id="svc" camunda:class="org.example.Delegate" />')
    problems = refused(engine, deployed, src)
    assert_problem(problems, "svc_proc.bpmn", "svc", "实现方式“class”不受支持")


def test_refused_unknown_form_field_type(engine, deployed):
    src = linear("form_proc", '<bpmn:userTask id="fill" name="填写"><bpmn:extensionElements><camunda:formData>'
                              '<camunda:formField id="count" label="数量" type="integer" />'
                              '</camunda:formData></bpmn:extensionElements></bpmn:userTask>')
    problems = refused(engine, deployed, src)
    assert_problem(problems, "form_proc.bpmn", "fill", "表单字段 count", "未知的表单字段类型“integer”")


@pytest.mark.parametrize("field_id", ["deadline", "len"])
def test_refused_form_field_named_like_an_expression_function(engine, deployed, field_id):
    src = linear("form_proc", '<bpmn:userTask id="fill" name="填写"><bpmn:extensionElements><camunda:formData>'
                              f'<camunda:formField id="{field_id}" label="期限" type="string" />'
                              '</camunda:formData></bpmn:extensionElements></bpmn:userTask>')
    problems = refused(engine, deployed, src)
    assert_problem(problems, "form_proc.bpmn", "fill", f"表单字段 {field_id}", "与表达式函数")


def test_refused_unknown_deadline_rule(engine, deployed):
    src = linear("rule_proc", '<bpmn:userTask id="handle" name="办理" camunda:dueDate="${deadline(\'handlng\')}" />')
    problems = refused(engine, deployed, src)
    assert_problem(problems, "rule_proc.bpmn", "handle", "期限规则“handlng”不存在")


def test_refused_bad_form_constraint(engine, deployed):
    src = linear("form_proc", '<bpmn:userTask id="fill"><bpmn:extensionElements><camunda:formData>'
                              '<camunda:formField id="n" type="long"><camunda:validation>'
                              '<camunda:constraint name="max" config="lots" /></camunda:validation></camunda:formField>'
                              '</camunda:formData></bpmn:extensionElements></bpmn:userTask>')
    problems = refused(engine, deployed, src)
    assert_problem(problems, "form_proc.bpmn", "fill", "表单字段 n", "约束“max”的参数应为数字")


TABLE = '''      <input id="i1" label="金额"><inputExpression id="ie1" typeRef="integer"><text>amount</text></inputExpression></input>
      <output id="o1" name="reviewer" typeRef="string" />
      <rule id="r1"><inputEntry id="e1"><text>&gt; 1000</text></inputEntry><outputEntry id="oe1"><text>"boss"</text></outputEntry></rule>
      <rule id="r2"><inputEntry id="e2"><text>-</text></inputEntry><outputEntry id="oe2"><text>"clerk1"</text></outputEntry></rule>'''


def test_refused_dmn_file_with_two_decisions(engine, deployed):
    second = ('  <decision id="other" name="其他"><decisionTable id="t_other">'
              '<output id="o2" name="x" typeRef="string" /></decisionTable></decision>\n')
    problems = refused(engine, deployed, dmn("two", TABLE, extra_decisions=second))
    assert_problem(problems, "two.dmn", None, "每个 DMN 文件只能包含一个决策（本文件有 2 个）")


@pytest.mark.parametrize("policy", ["PRIORITY", "RULE ORDER", "OUTPUT ORDER", "ANY"])
def test_refused_dmn_unsupported_hit_policy(engine, deployed, policy):
    problems = refused(engine, deployed, dmn("pick", TABLE, hit_policy=policy))
    assert_problem(problems, "pick.dmn", "pick", f"不支持的命中策略“{policy}”", "UNIQUE、FIRST、COLLECT")


def test_refused_dmn_rule_that_does_not_compile(engine, deployed):
    problems = refused(engine, deployed, dmn("pick", TABLE.replace('"boss"', '"boss" +')))
    assert_problem(problems, "pick.dmn", "r1", "规则结果无法编译")


def test_refused_condition_that_does_not_compile(engine, deployed):
    body = '''    <bpmn:startEvent id="start" />
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="gw" />
    <bpmn:exclusiveGateway id="gw" name="金额大？" default="f_small" />
    <bpmn:sequenceFlow id="f_big" sourceRef="gw" targetRef="end">
      <bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">${amount &gt;}</bpmn:conditionExpression>
    </bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="f_small" sourceRef="gw" targetRef="end" />
    <bpmn:endEvent id="end" />'''
    problems = refused(engine, deployed, bpmn("cond_proc", body))
    # The problem is reported on the gateway whose outgoing flow carries the condition.
    assert_problem(problems, "cond_proc.bpmn", "gw", "流转条件", "表达式无法编译", "amount >")


@pytest.mark.parametrize("definition", ["<bpmn:timeDuration>${days *}</bpmn:timeDuration>",
                                        "<bpmn:timeDate>${deadline(}</bpmn:timeDate>"])
def test_refused_timer_that_does_not_compile(engine, deployed, definition):
    src = linear("timer_proc", '<bpmn:intermediateCatchEvent id="wait" name="等待"><bpmn:timerEventDefinition>'
                               f'{definition}</bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>')
    problems = refused(engine, deployed, src)
    assert_problem(problems, "timer_proc.bpmn", "wait", "定时器", "表达式无法编译")


@pytest.mark.parametrize("definition", ["<bpmn:timeDuration>P3X</bpmn:timeDuration>",
                                        "<bpmn:timeDate>2026-13-45T09:00:00</bpmn:timeDate>"])
def test_refused_timer_literal_that_is_not_iso_8601(engine, deployed, definition):
    src = linear("timer_proc", '<bpmn:intermediateCatchEvent id="wait" name="等待"><bpmn:timerEventDefinition>'
                               f'{definition}</bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>')
    problems = refused(engine, deployed, src)
    assert_problem(problems, "timer_proc.bpmn", "wait", "不是有效的 ISO 8601")


@pytest.mark.parametrize("attribute, label", [("dueDate", "到期时间"), ("followUpDate", "跟进时间"),
                                              ("assignee", "办理人"), ("candidateGroups", "候选组"),
                                              ("priority", "优先级")])
def test_refused_task_attribute_expression_that_does_not_compile(engine, deployed, attribute, label):
    src = linear("due_proc", f'<bpmn:userTask id="t" camunda:{attribute}="${{add_days(today(), }}" />')
    problems = refused(engine, deployed, src)
    assert_problem(problems, "due_proc.bpmn", "t", f"{label}：表达式无法编译")


def test_refused_due_date_that_is_neither_iso_nor_expression(engine, deployed):
    problems = refused(engine, deployed, linear("due_proc", '<bpmn:userTask id="t" camunda:dueDate="next week" />'))
    assert_problem(problems, "due_proc.bpmn", "t", "到期时间“next week”既不是 ISO 8601 日期/期间，也不是 ${表达式}")


def test_refused_script_that_does_not_compile(engine, deployed):
    src = linear("script_proc", '<bpmn:scriptTask id="calc" scriptFormat="python">'
                                '<bpmn:script>total = = 1</bpmn:script></bpmn:scriptTask>')
    problems = refused(engine, deployed, src)
    assert_problem(problems, "script_proc.bpmn", "calc", "脚本", "表达式无法编译")


def test_refused_script_reaching_for_private_names(engine, deployed):
    src = linear("script_proc", '<bpmn:scriptTask id="calc" scriptFormat="python">'
                                '<bpmn:script>x = ().__class__.__bases__</bpmn:script></bpmn:scriptTask>')
    problems = refused(engine, deployed, src)
    assert_problem(problems, "script_proc.bpmn", "calc", "不允许使用以下划线开头的名称")


def test_refused_missing_decision_ref_target(engine, deployed):
    src = linear("rule_proc", '<bpmn:businessRuleTask id="decide" camunda:decisionRef="no_such_table" '
                              'camunda:resultVariable="r" />')
    problems = refused(engine, deployed, src, diagram("route_decision.dmn"))
    assert_problem(problems, "rule_proc.bpmn", "decide", "引用的决策表“no_such_table”不存在", "route_decision")


def test_refused_business_rule_task_without_decision_ref(engine, deployed):
    problems = refused(engine, deployed, linear("rule_proc", '<bpmn:businessRuleTask id="decide" />'))
    assert_problem(problems, "rule_proc.bpmn", "decide", "缺少 camunda:decisionRef")


def test_refused_call_activity_to_a_missing_process(engine, deployed):
    src = linear("caller", '<bpmn:callActivity id="call_sub" name="子流程" calledElement="no_such_process" />')
    problems = refused(engine, deployed, src)
    assert_problem(problems, "caller.bpmn", "call_sub", "调用的流程“no_such_process”不存在")


def test_refused_malformed_xml(engine, deployed):
    src = bpmn("broken", '    <bpmn:startEvent id="start">')  # never closed
    problems = refused(engine, deployed, src)
    assert_problem(problems, "broken.bpmn", None, "XML 格式错误")


def test_refused_file_that_is_not_bpmn(engine, deployed):
    from webapp.engine.validation import DefinitionSource
    problems = refused(engine, deployed, DefinitionSource("bpmn", "notes.bpmn", "<notes><note>hi</note></notes>"))
    assert_problem(problems, "notes.bpmn", None, "不是 BPMN 2.0 文件")


def test_refused_duplicate_file_names(engine, deployed):
    problems = refused(engine, deployed, diagram("approval.bpmn"))
    assert_problem(problems, "approval.bpmn", None, "文件名重复")


def test_every_problem_is_reported_at_once(engine, deployed):
    problems = refused(engine, deployed, service("send_fax"), linear("caller", '<bpmn:callActivity id="c" calledElement="x" />'),
                       dmn("pick", TABLE, hit_policy="PRIORITY"))
    assert {(p.file, p.element_id) for p in problems} >= {("svc_proc.bpmn", "svc"), ("caller.bpmn", "c"),
                                                          ("pick.dmn", "pick")}
