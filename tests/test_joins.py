"""The three-way merge of the parallel join (webapp/engine/joins.py)."""
import copy

from webapp.engine.joins import apply_changes


def merge(base, *branches):
    merged = copy.deepcopy(base)  # as the join does
    for branch in branches:
        apply_changes(merged, base, branch)
    return merged


def test_each_branch_keeps_what_it_changed_whatever_the_order():
    base = {"had_face_to_face": False, "co_opinions": [], "due": "2027-02-24"}
    lead = {**base, "had_face_to_face": True}
    co = {**base, "co_opinions": [{"unit": "zjj", "text": "同意"}]}
    expected = {"had_face_to_face": True, "co_opinions": [{"unit": "zjj", "text": "同意"}], "due": "2027-02-24"}
    assert merge(base, lead, co) == expected
    assert merge(base, co, lead) == expected


def test_new_and_removed_values_and_nested_dicts():
    base = {"units": {"jtj": {"status": "办理中"}, "zjj": {"status": "办理中"}}, "tmp": 1}
    lead = {"units": {"jtj": {"status": "已答复"}, "zjj": {"status": "办理中"}}, "tmp": 1, "letter": "f1"}
    co = {"units": {"jtj": {"status": "办理中"}, "zjj": {"status": "已提出意见"}}}
    assert merge(base, lead, co) == {"units": {"jtj": {"status": "已答复"}, "zjj": {"status": "已提出意见"}},
                                     "letter": "f1"}


def test_a_value_both_branches_changed_is_the_later_ones():
    base = {"last_return_comment": ""}
    assert merge(base, {"last_return_comment": "甲"}, {"last_return_comment": "乙"}) == {"last_return_comment": "乙"}
