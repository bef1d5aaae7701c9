"""The words of an item (建议/提案): codes stored in `items` and the process data, with their Chinese
labels (PROCESS.md §2). Ordered as forms and lists show them."""

ITEM_TYPES = {"suggestion": "人大建议", "proposal": "政协提案", "motion_to_suggestion": "议案转建议"}

TIMINGS = {"session": "大会期间", "recess": "闭会期间", "daily": "日常来信来访"}

# The first level of the category list: the inputs of dmn/unit_suggestion.dmn and the intake form.
CATEGORIES = ["经济发展", "城乡建设", "交通运输", "教育科技", "医疗卫生", "社会保障", "农业农村", "生态环境",
              "文化旅游", "公共安全", "政务服务", "其他"]

PROPOSER_TYPES = {"individual": "个人", "joint": "联名", "collective": "集体（党派、人民团体、界别、专委会、代表团）"}

SOURCES = {"npc_batch": "人大议案建议组（大会批量）", "cppcc_batch": "政协提案组（大会批量）",
           "npc_platform": "代表履职服务平台", "cppcc_platform": "智慧政协平台", "letter_visit": "来信来访",
           "manual": "办公室录入"}

KEY_SOURCES = {"none": "非重点", "npc_cppcc": "人大、政协确定的重点督办", "unit": "承办单位确定的本单位重点"}

# The role of deputies and CPPCC members in the system (lead proposers and co-signers).
PROPOSER_ROLE = "proposer"
# The role that registers items by hand (manual intake).
INTAKE_ROLE = "office"
# Roles that see every item: the office and the two reviewing bodies.
ALL_ITEMS_ROLES = ("office", "reviewer_npc", "reviewer_cppcc")
