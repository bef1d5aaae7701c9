"""The modeler pages through the Flask client: who may, drafts, checks, deploys, trial runs, the
element templates, and the browser libraries served from node_modules."""
import json
from pathlib import Path

import pytest

from webapp.web import vendor

ROOT = Path(__file__).resolve().parents[3]


def item_handling() -> str:
    return (ROOT / "bpmn" / "item_handling.bpmn").read_text(encoding="utf-8")


def face_to_face() -> str:
    return (ROOT / "dmn" / "face_to_face.dmn").read_text(encoding="utf-8")


def editor_config(page: str) -> dict:
    return json.loads(page.split('id="modeler-config">', 1)[1].split("</script>", 1)[0])


def editor_xml(page: str) -> str:
    return editor_config(page)["xml"]


ENDPOINTS = [
    ("get", "/modeler/"), ("get", "/modeler/processes/item_handling"), ("get", "/modeler/decisions/face_to_face"),
    ("get", "/modeler/element-templates.json"), ("get", "/modeler/processes/item_handling/versions/1.xml"),
    ("post", "/modeler/processes/item_handling/draft"), ("post", "/modeler/processes/item_handling/check"),
    ("post", "/modeler/processes/item_handling/deploy"), ("post", "/modeler/decisions/face_to_face/evaluate"),
    ("post", "/modeler/processes/item_handling/draft/discard"),
]


@pytest.mark.parametrize("method,url", ENDPOINTS)
def test_only_process_owners_and_administrators_may(product, login, method, url):
    client = login("clerk1")
    response = getattr(client, method)(url, json={"xml": item_handling()})
    assert response.status_code == 403
    if method == "get" and not url.endswith((".json", ".xml")):
        assert "只有流程管理员和系统管理员可以修改流程和决策表" in response.get_data(as_text=True)
    inbox = client.get("/").get_data(as_text=True)
    assert "流程建模" not in inbox


def test_anonymous_visitors_are_sent_to_the_login(product, app):
    response = app.test_client().get("/modeler/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_the_list_of_processes_and_decisions(product, owner, login):
    client = login(owner)
    page = client.get("/modeler/").get_data(as_text=True)
    assert "流程建模" in page
    for key in ("item_handling", "unit_handling", "face_to_face", "unit_suggestion"):
        assert f'data-key="{key}"' in page
    assert "建议提案办理（主流程）" in page and "第 1 版" in page
    admin = login("admin").get("/modeler/")
    assert admin.status_code == 200


def test_an_editor_page_carries_the_deployed_xml_and_the_libraries(product, owner, login):
    if not vendor.available():
        pytest.skip("node_modules is not installed (npm ci)")
    page = login(owner).get("/modeler/processes/item_handling").get_data(as_text=True)
    config = json.loads(page.split('id="modeler-config">', 1)[1].split("</script>", 1)[0])
    assert config["xml"] == item_handling()
    assert (config["kind"], config["baseVersion"], config["currentVersion"]) == ("bpmn", 1, 1)
    version = vendor.installed_version("camunda-bpmn-js")
    assert f"/vendor/camunda-bpmn-js/{version}/dist/camunda-platform-modeler.development.js" in page
    assert "bpmn-js-i18n" in page and "正在查看第 1 版（现行版本）" in page
    dmn = login(owner).get("/modeler/decisions/face_to_face").get_data(as_text=True)
    config = json.loads(dmn.split('id="modeler-config">', 1)[1].split("</script>", 1)[0])
    assert [i["name"] for i in config["inputs"]] == ["is_key", "proposer_requested_face_to_face",
                                                     "face_to_face_beneficial", "face_to_face_feasible"]
    assert "试算" in dmn


def test_without_node_modules_the_pages_say_so(product, owner, login, monkeypatch, tmp_path):
    monkeypatch.setattr(vendor, "NODE_MODULES", tmp_path / "none")
    vendor.installed_version.cache_clear()
    try:
        client = login(owner)
        for url in ("/modeler/", "/modeler/processes/item_handling", "/modeler/decisions/face_to_face"):
            page = client.get(url).get_data(as_text=True)
            assert "浏览器建模器未安装" in page and "Node.js" in page, url
            assert "camunda-platform-modeler" not in page
        assert client.get("/modeler/processes/item_handling/versions/1.xml").get_data(as_text=True) == item_handling()
    finally:
        vendor.installed_version.cache_clear()


def test_drafts_are_kept_until_discarded(product, owner, login):
    client = login(owner)
    xml = item_handling().replace('name="分类甄选／快速审查"', 'name="分类甄选／快速审查（草稿）"', 1)
    saved = client.post("/modeler/processes/item_handling/draft", json={"xml": xml, "baseVersion": 1}).get_json()
    assert saved["ok"] and saved["updated_by"] == owner
    page = client.get("/modeler/processes/item_handling").get_data(as_text=True)
    assert "正在编辑<strong>草稿</strong>（基于第 1 版" in page and editor_xml(page) == xml
    assert "有草稿" in client.get("/modeler/").get_data(as_text=True)
    # The version itself is still one click away, and the draft can be dropped.
    assert editor_xml(client.get("/modeler/processes/item_handling?version=1").get_data(as_text=True)) != xml
    assert client.post("/modeler/processes/item_handling/draft/discard").status_code == 302
    assert editor_xml(client.get("/modeler/processes/item_handling").get_data(as_text=True)) == item_handling()
    broken = client.post("/modeler/processes/item_handling/draft", json={"xml": "<bpmn:definitions"})
    assert broken.status_code == 422 and "XML 格式错误" in broken.get_json()["problems"][0]["reason"]


def test_check_reports_problems_by_element_and_the_differences(product, owner, login):
    client = login(owner)
    xml = item_handling().replace('camunda:candidateGroups="office" camunda:dueDate="${deadline(&#39;intake_review&#39;',
                                  'camunda:candidateGroups="office" camunda:dueDate="${deadline(&#39;intake_reviw&#39;', 1)
    assert xml != item_handling()
    answer = client.post("/modeler/processes/item_handling/check", json={"xml": xml}).get_json()
    assert answer["ok"] is False
    problems = [(p["element_id"], p["in_draft"]) for p in answer["problems"]]
    assert ("intake_review", True) in problems
    assert any("期限规则“intake_reviw”不存在" in p["reason"] for p in answer["problems"])
    assert [c["id"] for c in answer["diff"]["changed"]] == ["intake_review"]
    assert answer["diff"]["changed"][0]["details"][0].startswith("到期时间：")
    unchanged = client.post("/modeler/processes/item_handling/check", json={"xml": item_handling()}).get_json()
    assert unchanged["ok"] is True and unchanged["diff"]["empty"] is True and unchanged["problems"] == []


def test_a_refused_deploy_stores_nothing(product, owner, login, engine):
    client = login(owner)
    xml = item_handling().replace('camunda:decisionRef="unit_suggestion"', 'camunda:decisionRef="nope"')
    response = client.post("/modeler/processes/item_handling/deploy", json={"xml": xml})
    assert response.status_code == 422
    answer = response.get_json()
    assert answer["message"].startswith("部署被拒绝")
    assert {"element_id": "suggest_units", "in_draft": True, "file": "item_handling.bpmn",
            "reason": answer["problems"][0]["reason"]} in answer["problems"]
    assert "nope" in answer["problems"][0]["reason"]
    from webapp.modeling.service import Modeling
    assert [v.version for v in Modeling(engine).definition("bpmn", "item_handling").versions] == [1]


def test_deploy_from_the_browser(product, owner, login, engine):
    client = login(owner)
    xml = item_handling().replace('name="分类甄选／快速审查"', 'name="分类甄选与快速审查"', 1)
    answer = client.post("/modeler/processes/item_handling/deploy", json={"xml": xml}).get_json()
    assert answer["ok"] and answer["changed"] and answer["version"] == 2
    assert "流程 item_handling 第 2 版" in answer["message"]
    assert answer["redirect"] == "/modeler/processes/item_handling"
    page = client.get(answer["redirect"]).get_data(as_text=True)
    assert "正在查看第 2 版（现行版本）" in page and "办理中的事项仍按原版本办理" in page
    assert client.get("/modeler/processes/item_handling/versions/2.xml").get_data(as_text=True) == xml
    again = client.post("/modeler/processes/item_handling/deploy", json={"xml": xml}).get_json()
    assert again["ok"] and again["changed"] is False and "没有变化" in again["message"]


def test_trial_run_of_the_draft_and_the_deployed_table(product, owner, login):
    client = login(owner)
    draft = face_to_face().replace('<outputEntry id="rule_feasible_label"><text>"力争面商"</text>',
                                   '<outputEntry id="rule_feasible_label"><text>"应当面商"</text>')
    answer = client.post("/modeler/decisions/face_to_face/evaluate", json={"xml": draft, "inputs": {
        "is_key": "false", "proposer_requested_face_to_face": "", "face_to_face_beneficial": "false",
        "face_to_face_feasible": "true"}}).get_json()
    assert answer["ok"]
    assert answer["draft"]["outputs"]["face_to_face_label"] == "应当面商"
    assert answer["deployed"]["outputs"]["face_to_face_label"] == "力争面商"
    assert answer["draft"]["rules"] == answer["deployed"]["rules"] == ["rule_feasible"]
    broken = draft.replace("<text>True</text>", "<text>True and</text>", 1)
    answer = client.post("/modeler/decisions/face_to_face/evaluate", json={"xml": broken, "inputs": {}}).get_json()
    assert "无法编译" in answer["draft"]["error"] and "outputs" in answer["deployed"]


def test_element_templates_for_every_topic(product, owner, login):
    from service_tasks import TOPICS
    templates = login(owner).get("/modeler/element-templates.json").get_json()
    assert {t["name"] for t in templates} == {t.label for t in TOPICS.values()}
    assert "生成答复函" in {t["name"] for t in templates}


def test_vendor_files_come_from_a_fixed_list_with_long_caching(app):
    if not vendor.available():
        pytest.skip("node_modules is not installed (npm ci)")
    client = app.test_client()  # no login: like /static
    with app.test_request_context():
        url = vendor.vendor_url("camunda-bpmn-js", "dist/assets/camunda-platform-modeler.css")
        i18n = vendor.vendor_url("bpmn-js-i18n", "translations/zn.js")
    response = client.get(url)
    assert response.status_code == 200 and response.mimetype == "text/css"
    assert "max-age=31536000" in response.headers["Cache-Control"] and "immutable" in response.headers["Cache-Control"]
    assert client.get(i18n).mimetype == "text/javascript"
    version = vendor.installed_version("camunda-bpmn-js")
    for bad in (f"/vendor/camunda-bpmn-js/{version}/package.json",
                f"/vendor/camunda-bpmn-js/{version}/dist/../package.json",
                f"/vendor/camunda-bpmn-js/{version}/dist/assets/..%2f..%2fpackage.json",
                f"/vendor/camunda-bpmn-js/0.0.1/dist/assets/camunda-platform-modeler.css",
                f"/vendor/bpmnlint/{vendor.installed_version('bpmnlint') or 'x'}/bin/bpmnlint.js",
                "/vendor/..%2fpackage.json/1/x"):
        assert client.get(bad).status_code == 404, bad
