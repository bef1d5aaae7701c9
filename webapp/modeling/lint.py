"""bpmnlint over a diagram that is not a file yet (a draft in the modeler).

Runs `node tools/bpmnlint_json.cjs .bpmnlintrc <temp file>` from the project root, with the
bpmnlint that package-lock.json pins (see docs/bpmnlint.md). Without Node.js or without
node_modules/ the lint is skipped and the caller shows a notice: the deploy-time checks still run.
Errors and warnings alike are problems, as in `make test` (`--max-warnings=0`): the diagrams in
bpmn/ must pass the lint, and `flask export-diagrams` writes the deployed ones back there.
"""
import json
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from ..config import PROJECT_ROOT
from ..engine.errors import Problem

SCRIPT = PROJECT_ROOT / "tools" / "bpmnlint_json.cjs"
CONFIG = PROJECT_ROOT / ".bpmnlintrc"
BPMNLINT = PROJECT_ROOT / "node_modules" / "bpmnlint" / "package.json"
TIMEOUT_SECONDS = 60

# What each recommended rule means, for process owners (the linter's own message follows in brackets).
RULES = {
    "ad-hoc-sub-process": "临时子流程中不能有开始或结束事件",
    "conditional-flows": "分支流向缺少条件（网关或任务有多条带条件的流出时，每条都要有条件或设为默认流向）",
    "end-event-required": "流程或子流程缺少结束事件",
    "event-based-gateway": "事件网关至少需要两条流出，且流出不能带条件",
    "event-sub-process-typed-start-event": "事件子流程的开始事件必须有事件类型",
    "fake-join": "多条流入直接汇入任务而没有汇合网关",
    "global": "全局元素（消息、信号、错误等）未命名、未使用或重名",
    "label-required": "缺少名称（任务、事件、分支网关、带条件的流向都要写名称）",
    "link-event": "链接事件缺少链接名称",
    "no-bpmndi": "元素没有画在图上（缺少图形信息）",
    "no-complex-gateway": "不支持复杂网关",
    "no-disconnected": "元素没有连接到流程中",
    "no-duplicate-sequence-flows": "重复的流向",
    "no-gateway-join-fork": "同一个网关既汇合又分支，请拆成两个网关",
    "no-implicit-split": "任务直接分出多条流向，请使用网关",
    "no-implicit-end": "元素没有流出，成为隐含的结束，请连接到结束事件",
    "no-implicit-start": "元素没有流入，成为隐含的开始，请从开始事件连接过来",
    "no-inclusive-gateway": "不使用包容网关（见 docs/bpmnlint.md）",
    "no-overlapping-elements": "元素与其他元素重叠或超出所在容器",
    "single-blank-start-event": "流程只能有一个空白开始事件",
    "single-event-definition": "事件只能有一个事件定义",
    "start-event-required": "流程或子流程缺少开始事件",
    "sub-process-blank-start-event": "子流程的开始事件必须是空白开始事件",
    "superfluous-gateway": "多余的网关：只有一条流入和一条流出",
    "superfluous-label": "流向的名称多余（没有条件的流向不需要名称）",
    "superfluous-termination": "多余的终止结束事件",
    "import": "图中有无法识别的内容",
    "parse": "无法读取流程图",
}


@dataclass
class LintResult:
    available: bool
    problems: list[Problem]
    notice: str = ""


def lint_available() -> bool:
    return shutil.which("node") is not None and BPMNLINT.exists() and SCRIPT.exists()


def lint_bpmn(filename: str, xml: str) -> LintResult:
    """bpmnlint's reports on one diagram as problems (file, element id, Chinese reason)."""
    if not lint_available():
        return LintResult(False, [], "未安装 Node.js 或 bpmnlint（npm ci），本次未做 bpmnlint 检查；部署时的检查照常进行。")
    with tempfile.TemporaryDirectory(prefix="bpmnlint-") as tmp:
        path = Path(tmp) / "diagram.bpmn"
        path.write_text(xml, encoding="utf-8")
        try:
            done = subprocess.run(["node", str(SCRIPT), str(CONFIG), str(path)], cwd=PROJECT_ROOT,
                                  capture_output=True, text=True, timeout=TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            return LintResult(False, [], "bpmnlint 检查超时，本次未做 bpmnlint 检查。")
    if done.returncode != 0:
        detail = (done.stderr.strip().splitlines() or ["无输出"])[-1]
        return LintResult(False, [], f"bpmnlint 无法运行（{detail}），本次未做 bpmnlint 检查。")
    problems = []
    for report in json.loads(done.stdout or "[]"):
        rule = report.get("rule") or ""
        level = "警告" if report.get("category") == "warn" else "错误"
        meaning = RULES.get(rule, "bpmnlint 报告的问题")
        problems.append(Problem(filename, report.get("id"),
                                f"{meaning}（bpmnlint {rule} {level}：{report.get('message', '')}）"))
    return LintResult(True, problems)
