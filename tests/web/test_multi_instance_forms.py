"""The task page of a multi-instance user task (one evaluation per proposer) shows its form."""
from tests.procedure.driver import accept, register, to_reply


def test_each_proposer_opens_and_completes_his_evaluation(procedure, login):
    proc = procedure
    proc.start(co_signers=["cosigner"])
    register(proc, lead="jtj")
    accept(proc, "jtj")
    to_reply(proc, "jtj")
    tasks = {next(u for u in ("deputy", "cosigner") if u in proc.claimants_of(t)): t
             for t in proc.open_tasks() if t.element_id == "evaluate_reply"}
    assert set(tasks) == {"deputy", "cosigner"}
    for username, task in tasks.items():
        client = login(username)
        page = client.get(f"/tasks/{task.id}")
        assert page.status_code == 200
        text = page.get_data(as_text=True)
        assert "测评意见" in text and "基本满意" in text
        response = client.post(f"/tasks/{task.id}", data={"satisfaction": "satisfied"})
        assert response.status_code in (302, 303), response.get_data(as_text=True)[:500]
    assert [t.element_id for t in proc.open_tasks()] == ["publish_reply"]
