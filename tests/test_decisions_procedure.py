"""The procedure's decision tables in dmn/ (承办单位建议, 市政府分管领导审核, 协办单位单独答复), every rule
through the deployed engine, the way a business rule task runs them."""
import re
from itertools import product
from pathlib import Path

import pytest
from lxml import etree

from webapp.engine.repository import sources_from_dirs
from webapp.engine.validation import DefinitionSource

ROOT = Path(__file__).resolve().parent.parent
DMN_NS = "https://www.omg.org/spec/DMN/20191111/MODEL/"

CATEGORIES = ["经济发展", "城乡建设", "交通运输", "教育科技", "医疗卫生", "社会保障", "农业农村", "生态环境",
              "文化旅游", "公共安全", "政务服务", "其他"]
UNIT_CODES = {"fgw", "jyj", "kjj", "gxj", "gaj", "mzj", "czj", "rsj", "zrzyj", "sthjj", "zjj", "jtj", "slj",
              "nyncj", "swj", "wlj", "wjw", "yjj", "scjgj", "ybj", "cgj", "lyj", "tyj", "sjj", "zwfw"}


def product_sources(**replaced_dmn: str) -> list[DefinitionSource]:
    """All of bpmn/ and dmn/, with the named DMN files' content replaced (as a process owner's edit would)."""
    sources = sources_from_dirs(ROOT / "bpmn", ROOT / "dmn")
    return [DefinitionSource(s.kind, s.filename, replaced_dmn[s.filename]) if s.filename in replaced_dmn else s
            for s in sources]


@pytest.fixture
def product_deployed(engine):
    engine.repository.deploy(product_sources())
    return engine


def rule_ids(decision_id: str) -> list[str]:
    root = etree.parse(str(ROOT / "dmn" / f"{decision_id}.dmn")).getroot()
    (decision,) = root.findall(f"{{{DMN_NS}}}decision")
    assert decision.get("id") == decision_id
    return [r.get("id") for r in decision.iter(f"{{{DMN_NS}}}rule")]


def with_output(decision_id: str, rule_id: str, output_suffix: str, text: str) -> str:
    """The decision's file with one rule's output entry changed, as in the table editor."""
    content = (ROOT / "dmn" / f"{decision_id}.dmn").read_text(encoding="utf-8")
    changed, count = re.subn(rf'(<outputEntry id="{rule_id}_{output_suffix}"><text>)[^<]*(</text>)',
                             rf"\g<1>{text}\g<2>", content)
    assert count == 1, f"{rule_id}_{output_suffix} not found"
    return changed


# --- 承办单位建议 (unit_suggestion) ---

def unit_suggestion(engine, category):
    return engine.repository.evaluate_decision("unit_suggestion", {"category": category})


# One case per rule, keyed by rule id, in table order: category → (units, lead unit first; mode).
UNIT_RULES = {
    "rule_economy": ("经济发展", "fgw,gxj,swj", "lead_co"),
    "rule_urban_rural": ("城乡建设", "zjj,zrzyj,cgj", "lead_co"),
    "rule_transport": ("交通运输", "jtj,zjj", "lead_co"),
    "rule_education_science": ("教育科技", "jyj,kjj", "lead_co"),
    "rule_health": ("医疗卫生", "wjw,ybj", "lead_co"),
    "rule_social_security": ("社会保障", "rsj,mzj,ybj", "lead_co"),
    "rule_agriculture": ("农业农村", "nyncj,slj,lyj", "lead_co"),
    "rule_environment": ("生态环境", "sthjj,slj,lyj", "lead_co"),
    "rule_culture_tourism": ("文化旅游", "wlj,tyj", "lead_co"),
    "rule_public_safety": ("公共安全", "gaj,yjj,scjgj", "lead_co"),
    "rule_government_services": ("政务服务", "zwfw,sjj", "lead_co"),
    "rule_office_decides": ("其他", "", "single"),
}


def test_unit_suggestion_cases_cover_every_rule_in_order():
    assert rule_ids("unit_suggestion") == list(UNIT_RULES)
    assert [category for category, _, _ in UNIT_RULES.values()] == CATEGORIES


@pytest.mark.parametrize("rule_id", list(UNIT_RULES))
def test_unit_suggestion_each_rule(product_deployed, rule_id):
    category, units, mode = UNIT_RULES[rule_id]
    assert unit_suggestion(product_deployed, category) == {"suggested_units": units, "suggested_mode": mode}


@pytest.mark.parametrize("category", ["", "未分类", "交通", " 交通运输"])
def test_unit_suggestion_unknown_category_is_left_to_the_office(product_deployed, category):
    assert unit_suggestion(product_deployed, category) == {"suggested_units": "", "suggested_mode": "single"}


def test_unit_suggestion_catch_all_is_the_office_decides_rule(product_deployed):
    """The catch-all really is the last rule: changing it changes what unknown categories get."""
    edited = with_output("unit_suggestion", "rule_office_decides", "units", '"zwfw"')
    product_deployed.repository.deploy(product_sources(**{"unit_suggestion.dmn": edited}))
    assert unit_suggestion(product_deployed, "未分类")["suggested_units"] == "zwfw"
    assert unit_suggestion(product_deployed, "交通运输")["suggested_units"] == "jtj,zjj"


@pytest.mark.parametrize("rule_id", list(UNIT_RULES))
def test_unit_suggestion_codes_are_demo_units_and_mode_fits(rule_id):
    _, units, mode = UNIT_RULES[rule_id]
    codes = units.split(",") if units else []
    assert set(codes) <= UNIT_CODES and len(codes) == len(set(codes))
    assert mode == ("lead_co" if len(codes) > 1 else "single")


# --- 是否报市政府分管领导审核 (vice_mayor_review), 临沧 二(一) “必要时，办理复文报市政府分管领导审核” ---

def vice_mayor_review(engine, is_key, office_requires, key_source):
    return engine.repository.evaluate_decision("vice_mayor_review", {
        "is_key": is_key, "office_requires_vice_mayor": office_requires, "key_source": key_source})


REASON_OFFICE = "市政府办公室交办时要求报市政府分管领导审核"
REASON_NPC_CPPCC = "人大、政协确定的重点督办建议提案，复文报市政府分管领导审核"
REASON_UNIT_KEY = "本单位确定的重点建议提案，由本单位分管领导、主要领导审核把关，不报市政府分管领导"
REASON_OTHER = "承办单位审核后报市政府办公室，无需市政府分管领导审核"

# One case per rule, keyed by rule id, in the order the rules take precedence.
VICE_MAYOR_RULES = {
    "rule_office_requires": ((False, True, ""), True, REASON_OFFICE),
    "rule_npc_cppcc_key": ((True, False, "npc_cppcc"), True, REASON_NPC_CPPCC),
    "rule_unit_key": ((True, False, "unit"), False, REASON_UNIT_KEY),
    "rule_other": ((False, False, ""), False, REASON_OTHER),
}


def test_vice_mayor_review_cases_cover_every_rule_in_order():
    assert rule_ids("vice_mayor_review") == list(VICE_MAYOR_RULES)


@pytest.mark.parametrize("rule_id", list(VICE_MAYOR_RULES))
def test_vice_mayor_review_each_rule(product_deployed, rule_id):
    inputs, required, reason = VICE_MAYOR_RULES[rule_id]
    assert vice_mayor_review(product_deployed, *inputs) == {
        "vice_mayor_review_required": required, "vice_mayor_review_reason": reason}


@pytest.mark.parametrize("inputs", list(product((True, False), (True, False), ("", "npc_cppcc", "unit"))))
def test_vice_mayor_review_first_rule_wins(product_deployed, inputs):
    is_key, office_requires, key_source = inputs
    expected = (REASON_OFFICE if office_requires
                else REASON_NPC_CPPCC if is_key and key_source == "npc_cppcc"
                else REASON_UNIT_KEY if is_key and key_source == "unit"
                else REASON_OTHER)
    result = vice_mayor_review(product_deployed, *inputs)
    assert result["vice_mayor_review_reason"] == expected
    assert result["vice_mayor_review_required"] is (expected in (REASON_OFFICE, REASON_NPC_CPPCC))


def test_vice_mayor_review_unit_key_item_stays_in_the_unit_unless_the_office_asks(product_deployed):
    assert vice_mayor_review(product_deployed, True, False, "unit")["vice_mayor_review_required"] is False
    assert vice_mayor_review(product_deployed, True, True, "unit")["vice_mayor_review_required"] is True


# --- 协办单位是否单独答复代表委员 (co_unit_separate_reply), 运城 二(五)2 “主办、协办单位要分别答复” ---

def co_unit_separate_reply(engine, item_type):
    return engine.repository.evaluate_decision("co_unit_separate_reply", {"item_type": item_type})


# One case per rule, keyed by rule id: an item type the rule matches. All default to True.
CO_UNIT_RULES = {
    "rule_suggestion": "suggestion",
    "rule_proposal": "proposal",
    "rule_motion_to_suggestion": "motion_to_suggestion",
    "rule_other": "other_type",
}


def test_co_unit_separate_reply_cases_cover_every_rule_in_order():
    assert rule_ids("co_unit_separate_reply") == list(CO_UNIT_RULES)


@pytest.mark.parametrize("item_type", ["suggestion", "proposal", "motion_to_suggestion", "", "other_type"])
def test_co_unit_separate_reply_defaults_to_true(product_deployed, item_type):
    assert co_unit_separate_reply(product_deployed, item_type) == {"co_units_reply_separately": True}


@pytest.mark.parametrize("rule_id", list(CO_UNIT_RULES))
def test_co_unit_separate_reply_each_rule_switches_off_alone(product_deployed, rule_id):
    """Every rule's outputs are the same by default, so prove each one matches its own type by switching
    that row off in the table, as a process owner would, and redeploying."""
    edited = with_output("co_unit_separate_reply", rule_id, "separately", "False")
    product_deployed.repository.deploy(product_sources(**{"co_unit_separate_reply.dmn": edited}))
    for other_rule, item_type in CO_UNIT_RULES.items():
        expected = other_rule != rule_id
        assert co_unit_separate_reply(product_deployed, item_type) == {"co_units_reply_separately": expected}, \
            (rule_id, item_type)
