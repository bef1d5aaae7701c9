"""The product's decision tables in dmn/, row by row, through the deployed engine."""
from itertools import product
from pathlib import Path

import pytest

from webapp.engine.repository import sources_from_dirs

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def product_deployed(engine):
    engine.repository.deploy(sources_from_dirs(ROOT / "bpmn", ROOT / "dmn"))
    return engine


def face_to_face(engine, is_key, requested, beneficial, feasible):
    return engine.repository.evaluate_decision("face_to_face", {
        "is_key": is_key, "proposer_requested_face_to_face": requested,
        "face_to_face_beneficial": beneficial, "face_to_face_feasible": feasible})


# One case per rule of 临沧市通知 二(二) “四个面商”, in the order the rules take precedence.
@pytest.mark.parametrize("inputs, level, label, required, record_or_reason", [
    ((True, False, False, False), "key_item", "一律面商", True, False),
    ((False, True, False, False), "requested", "必须面商", True, False),
    ((False, False, True, False), "beneficial", "应予面商", False, True),
    ((False, False, False, True), "feasible", "力争面商", False, False),
    ((False, False, False, False), "other_methods", "其他方式协商", False, False),
])
def test_face_to_face_each_rule(product_deployed, inputs, level, label, required, record_or_reason):
    result = face_to_face(product_deployed, *inputs)
    assert result == {"face_to_face_level": level, "face_to_face_label": label,
                      "face_to_face_required": required, "face_to_face_record_or_reason": record_or_reason}


@pytest.mark.parametrize("inputs", list(product((True, False), repeat=4)))
def test_face_to_face_strongest_rule_wins(product_deployed, inputs):
    is_key, requested, beneficial, feasible = inputs
    expected = ("key_item" if is_key else "requested" if requested else "beneficial" if beneficial
                else "feasible" if feasible else "other_methods")
    assert face_to_face(product_deployed, *inputs)["face_to_face_level"] == expected
