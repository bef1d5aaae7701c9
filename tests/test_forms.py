"""Form validation (webapp/engine/forms.py): every field type, every constraint, the Chinese messages
and the typed values; and the definition checks deploy relies on."""
import pytest

from webapp.engine.forms import (CONSTRAINTS, FIELD_TYPES, Form, FormErrors, FormField, UploadedFile,
                                 definition_problems, validate)


def field(fid="f", type="string", options=None, **constraints) -> FormField:
    return FormField(id=fid, label=fid, type=type, options=options or [],
                     constraints={k: (None if v is True else str(v)) for k, v in constraints.items()})


def ok(f: FormField, raw, **kw):
    return validate(Form([f]), {f.id: raw} if raw is not ...  else {}, **kw)[f.id]


def error(f: FormField, raw, **kw) -> str:
    with pytest.raises(FormErrors) as info:
        validate(Form([f]), {f.id: raw} if raw is not ... else {}, **kw)
    assert list(info.value.errors) == [f.id]
    return info.value.errors[f.id]


def upload(name="a.pdf", size=10, content_type="application/pdf"):
    return UploadedFile(name, content_type, b"x" * size)


# --- types -----------------------------------------------------------------------------------------

class TestTypes:
    def test_the_documented_types_and_constraints(self):
        assert FIELD_TYPES == ("string", "long", "boolean", "date", "enum", "textarea", "file", "unit", "units")
        assert CONSTRAINTS == ("required", "required_if", "readonly", "minlength", "maxlength", "min", "max", "pattern",
                               "maxsize", "accept")

    def test_string_is_trimmed_text(self):
        assert ok(field(), "  你好  ") == "你好"
        assert ok(field(), "") is None
        assert ok(field(), ...) is None
        assert ok(field(), ["第一个", "第二个"]) == "第一个"  # a repeated form key: the first value

    def test_long(self):
        assert ok(field(type="long"), "42") == 42
        assert ok(field(type="long"), " -7 ") == -7
        assert ok(field(type="long"), "+3") == 3
        assert ok(field(type="long"), 12) == 12
        assert ok(field(type="long"), "") is None
        for bad in ("1.5", "12a", "一百", "1e3"):
            assert error(field(type="long"), bad) == "请输入整数"

    @pytest.mark.parametrize("raw, expected", [
        (True, True), (False, False), ("true", True), ("on", True), ("1", True), ("yes", True),
        ("false", False), ("off", False), ("0", False), ("no", False), ("", False), (..., False),
    ])
    def test_boolean(self, raw, expected):
        assert ok(field(type="boolean"), raw) is expected

    def test_boolean_rejects_other_text(self):
        assert error(field(type="boolean"), "maybe") == "请选择“是”或“否”"

    def test_boolean_required_accepts_no_as_an_answer(self):
        # As in Camunda: "required" means a value is there; an unticked box is the value False.
        assert ok(field(type="boolean", required=True), ...) is False
        assert ok(field(type="boolean", required=True), "on") is True

    def test_date(self):
        assert ok(field(type="date"), "2026-01-31") == "2026-01-31"
        assert ok(field(type="date"), " 2026-02-01 ") == "2026-02-01"
        for bad in ("2026-02-30", "31.01.2026", "明天", "2026/01/31"):
            assert error(field(type="date"), bad) == "请输入有效日期（格式：2026-01-31）"

    def test_enum(self):
        f = field(type="enum", options=[("a", "甲类"), ("b", "乙类")])
        assert ok(f, "b") == "b"
        assert error(f, "甲类") == "请从列表中选择"  # the label is not the value
        assert error(f, "c") == "请从列表中选择"

    def test_textarea_keeps_inner_line_breaks(self):
        assert ok(field(type="textarea"), "  第一行\r\n第二行\n  ") == "第一行\n第二行"

    def test_file(self):
        f = field(type="file")
        uploaded = upload()
        assert ok(f, uploaded) is uploaded
        assert ok(f, UploadedFile("", "application/octet-stream", b"")) is None  # no file chosen
        assert ok(f, ...) is None
        assert error(f, "a.pdf") == "请上传文件"

    def test_unit(self):
        codes = lambda: ["jtj", "jyj"]  # noqa: E731
        assert ok(field(type="unit"), "jtj", unit_codes=codes) == "jtj"
        assert error(field(type="unit"), "abc", unit_codes=codes) == "未知的单位：abc"
        assert ok(field(type="unit"), "", unit_codes=codes) is None

    def test_units(self):
        codes = lambda: ["jtj", "jyj", "npc"]  # noqa: E731
        assert ok(field(type="units"), ["jtj", " jyj ", ""], unit_codes=codes) == ["jtj", "jyj"]
        assert ok(field(type="units"), "npc", unit_codes=codes) == ["npc"]
        assert ok(field(type="units"), ..., unit_codes=codes) == []
        assert error(field(type="units"), ["jtj", "x1", "x2"], unit_codes=codes) == "未知的单位：x1、x2"

    def test_unit_codes_are_looked_up_once_and_only_when_needed(self):
        calls = []

        def codes():
            calls.append(1)
            return ["jtj"]

        form = Form([field("a", type="unit"), field("b", type="units"), field("c")])
        assert validate(form, {"c": "x"}, unit_codes=codes) == {"a": None, "b": [], "c": "x"}
        assert calls == []
        validate(form, {"a": "jtj", "b": ["jtj"]}, unit_codes=codes)
        assert calls == [1]

    def test_all_errors_are_reported_together(self):
        form = Form([field("title", required=True), field("n", type="long"), field("ok")])
        with pytest.raises(FormErrors) as info:
            validate(form, {"n": "x", "ok": "fine"})
        assert info.value.errors == {"title": "此项为必填项", "n": "请输入整数"}
        assert "title: 此项为必填项" in str(info.value)

    def test_unknown_submitted_keys_are_ignored(self):
        assert validate(Form([field("a")]), {"a": "1", "evil": "x"}) == {"a": "1"}


# --- constraints -----------------------------------------------------------------------------------

class TestConstraints:
    @pytest.mark.parametrize("type", ["string", "long", "date", "enum", "textarea", "file", "unit", "units"])
    def test_required_for_every_type(self, type):
        f = field(type=type, required=True, options=[("a", "A")])
        assert error(f, ...) == "此项为必填项"
        empty = {"units": [], "file": UploadedFile("", "application/octet-stream", b"")}.get(type, "")
        assert error(f, empty) == "此项为必填项"

    def test_required_blank_text(self):
        assert error(field(required=True), "   ") == "此项为必填项"

    def test_required_if_another_field_has_one_of_the_values(self):
        decision = field("decision", type="enum", options=[("approve", "同意"), ("return", "退回"), ("hold", "暂缓")])
        reason = field("reason", type="textarea", required_if="decision=return|hold")
        form = Form([decision, reason])
        assert validate(form, {"decision": "approve"}) == {"decision": "approve", "reason": None}
        for value in ("return", "hold"):
            with pytest.raises(FormErrors) as info:
                validate(form, {"decision": value, "reason": "  "})
            assert info.value.errors == {"reason": "此项为必填项"}
        assert validate(form, {"decision": "return", "reason": "格式不规范"})["reason"] == "格式不规范"

    def test_required_if_needs_a_field_and_a_value(self):
        assert definition_problems(Form([field("r", required_if="decision")])) != []
        assert definition_problems(Form([field("r", required_if="decision=return")])) == []

    def test_readonly_keeps_the_current_value_whatever_was_sent(self):
        f = field("amount", type="long", readonly=True)
        assert validate(Form([f]), {"amount": "999"}, current={"amount": 5}) == {"amount": 5}
        assert validate(Form([f]), {"amount": "999"}, current={}) == {}
        # a read-only field is not validated (it is not the user's input)
        assert validate(Form([field("x", type="long", readonly=True, required=True)]), {"x": "abc"}) == {}

    def test_minlength_maxlength_text(self):
        f = field(minlength=2, maxlength=5)
        assert ok(f, "你好") == "你好"
        assert ok(f, "一二三四五") == "一二三四五"
        assert error(f, "一") == "至少输入 2 个字"
        assert error(f, "一二三四五六") == "最多输入 5 个字（当前 6 个）"
        t = field(type="textarea", maxlength=3)
        assert error(t, "四个字了") == "最多输入 3 个字（当前 4 个）"
        assert error(field(type="textarea", minlength=10), "短") == "至少输入 10 个字"

    def test_minlength_maxlength_units(self):
        codes = lambda: ["a", "b", "c"]  # noqa: E731
        f = field(type="units", minlength=2, maxlength=2)
        assert ok(f, ["a", "b"], unit_codes=codes) == ["a", "b"]
        assert error(f, ["a"], unit_codes=codes) == "至少选择 2 个单位"
        assert error(f, ["a", "b", "c"], unit_codes=codes) == "最多选择 2 个单位"

    def test_min_max_numbers(self):
        f = field(type="long", min=0, max=100)
        assert ok(f, "0") == 0
        assert ok(f, "100") == 100
        assert error(f, "-1") == "不能小于 0"
        assert error(f, "101") == "不能大于 100"
        assert error(field(type="long", min="1.5"), "1") == "不能小于 1.5"

    def test_min_max_dates(self):
        f = field(type="date", min="2026-01-01", max="2026-12-31")
        assert ok(f, "2026-01-01") == "2026-01-01"
        assert ok(f, "2026-12-31") == "2026-12-31"
        assert error(f, "2025-12-31") == "不能早于 2026-01-01"
        assert error(f, "2027-01-01") == "不能晚于 2026-12-31"

    def test_pattern_matches_the_whole_value(self):
        f = field(pattern=r"\d{6}")
        assert ok(f, "100000") == "100000"
        assert error(f, "1000000") == "格式不正确"
        assert error(f, "abc123456") == "格式不正确"
        hinted = FormField(id="zip", label="邮编", type="string", constraints={"pattern": r"\d{6}"},
                           properties={"patternHint": "请输入 6 位邮政编码"})
        assert error(hinted, "12") == "请输入 6 位邮政编码"
        assert error(field(type="textarea", pattern="[a-z]+"), "ABC") == "格式不正确"

    def test_maxsize(self):
        f = field(type="file", maxsize=1024)
        assert ok(f, upload(size=1024)).filename == "a.pdf"
        assert error(f, upload(size=1025)) == "文件过大：上限 1024 字节，所传文件 1025 字节"
        assert error(f, upload(size=3000)) == "文件过大：上限 1 KB，所传文件 3 KB"
        big = field(type="file", maxsize=2 * 1024 * 1024)
        assert error(big, upload(size=3 * 1024 * 1024)) == "文件过大：上限 2.0 MB，所传文件 3.0 MB"

    def test_accept(self):
        f = field(type="file", accept=".pdf, .DOCX")
        assert ok(f, upload("报告.PDF")).filename == "报告.PDF"
        assert ok(f, upload("报告.docx")).filename == "报告.docx"
        assert error(f, upload("报告.exe")) == "只接受以下类型的文件：.pdf、.docx"

    def test_constraints_are_checked_only_on_a_value(self):
        f = field(minlength=3, pattern="[0-9]+")
        assert ok(f, "") is None  # optional and empty: nothing to check


# --- definition problems (deploy refuses these) -----------------------------------------------------

class TestDefinitionProblems:
    def test_a_good_form_has_none(self):
        form = Form([field("a", required=True, maxlength=20), field("b", type="long", min=0, max="1e6"),
                     field("c", type="date", min="2026-01-01"), field("d", type="enum", options=[("x", "X")]),
                     field("e", type="file", maxsize=100, accept=".pdf"), field("g", type="textarea", pattern="a+"),
                     field("h", type="units", minlength=1), field("i", type="boolean", readonly=True)])
        assert definition_problems(form) == []

    def test_unknown_type(self):
        [(fid, reason)] = definition_problems(Form([field("x", type="integer")]))
        assert fid == "x"
        assert reason.startswith("未知的表单字段类型“integer”")
        assert "string、long、boolean" in reason

    def test_bad_ids(self):
        problems = definition_problems(Form([field("1abc"), field("a-b"), field("")]))
        assert [p[1] for p in problems] == ["字段标识“1abc”不是合法的变量名", "字段标识“a-b”不是合法的变量名",
                                            "字段标识“”不是合法的变量名"]
        assert problems[2][0] == "?"

    def test_duplicate_id(self):
        assert definition_problems(Form([field("a"), field("a", type="long")])) == [("a", "字段标识“a”重复")]

    def test_enum_without_options(self):
        assert definition_problems(Form([field("k", type="enum")])) == [("k", "枚举字段没有任何选项")]

    def test_unknown_constraint(self):
        [(fid, reason)] = definition_problems(Form([field("a", notnull=True)]))
        assert reason.startswith("未知的校验约束“notnull”")

    @pytest.mark.parametrize("type, name, config, reason", [
        ("string", "minlength", None, "约束“minlength”缺少参数"),
        ("string", "maxlength", "", "约束“maxlength”缺少参数"),
        ("string", "maxlength", "ten", "约束“maxlength”的参数应为非负整数"),
        ("string", "minlength", "-1", "约束“minlength”的参数应为非负整数"),
        ("file", "maxsize", "1.5", "约束“maxsize”的参数应为非负整数"),
        ("long", "min", "zero", "约束“min”的参数应为数字"),
        ("long", "max", "", "约束“max”缺少参数"),
        ("date", "min", "2026-13-01", "约束“min”的参数应为日期（YYYY-MM-DD）"),
        ("date", "max", "10", "约束“max”的参数应为日期（YYYY-MM-DD）"),
        ("file", "accept", None, "约束“accept”缺少参数"),
    ])
    def test_constraint_parameters(self, type, name, config, reason):
        f = FormField(id="a", label="a", type=type, constraints={name: config})
        assert definition_problems(Form([f])) == [("a", reason)]

    def test_bad_pattern(self):
        f = FormField(id="a", label="a", type="string", constraints={"pattern": "[a-"})
        [(fid, reason)] = definition_problems(Form([f]))
        assert reason.startswith("约束“pattern”不是合法的正则表达式：")


def test_file_already_stored_is_kept_when_nothing_new_is_uploaded():
    form = Form([FormField(id="scan", label="扫描件", type="file", constraints={"required": None})])
    stored = {"file_id": 7, "filename": "答复函.pdf", "size": 1024}
    assert validate(form, {}, current={"scan": stored}) == {"scan": stored}
    assert validate(form, {"scan": UploadedFile("", "application/octet-stream", b"")},
                    current={"scan": stored}) == {"scan": stored}
