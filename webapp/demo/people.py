"""The demo city's units, roles and people (fictional): who is who in `flask seed-demo` and `make run`.

Every handling unit has the four roles of the 五级责任制 (主要领导 unit_head, 分管领导 unit_leader, 综合科室
unit_liaison, 经办人 unit_handler), each held by its own person whose username is `<unit>_<role>`
(`jtj_handler`, `jtj_liaison`…). The unit codes and names are those of dmn/unit_suggestion.dmn (and
its README), plus the finance bureau and four district and county governments. Names of people are
fictional and drawn from fixed lists, so every run gives the same city.
"""
import random
from dataclasses import dataclass, field

from sqlalchemy import select

from ..models import Role, RoleAssignment, Unit, User

DEMO_PASSWORD = "demo123"

ROLES = [
    ("office", "市政府办公室"), ("reviewer_npc", "人大代表工委"), ("reviewer_cppcc", "政协提案委"),
    ("unit_head", "承办单位主要领导"), ("unit_leader", "承办单位分管领导"), ("unit_liaison", "承办单位综合科室"),
    ("unit_handler", "承办单位经办人"), ("vice_mayor", "市政府分管领导"), ("proposer", "代表/委员"),
    ("process_owner", "流程管理员"),
]

# code, name: the departments dmn/unit_suggestion.dmn suggests, and the finance bureau.
DEPARTMENTS = [
    ("fgw", "市发展和改革委员会"), ("jyj", "市教育局"), ("kjj", "市科学技术局"), ("gxj", "市工业和信息化局"),
    ("gaj", "市公安局"), ("mzj", "市民政局"), ("czj", "市财政局"), ("rsj", "市人力资源和社会保障局"),
    ("zrzyj", "市自然资源和规划局"), ("sthjj", "市生态环境局"), ("zjj", "市住房和城乡建设局"), ("jtj", "市交通运输局"),
    ("slj", "市水务局"), ("nyncj", "市农业农村局"), ("swj", "市商务局"), ("wlj", "市文化和旅游局"),
    ("wjw", "市卫生健康委员会"), ("yjj", "市应急管理局"), ("scjgj", "市市场监督管理局"), ("ybj", "市医疗保障局"),
    ("cgj", "市城市管理局"), ("lyj", "市林业和草原局"), ("tyj", "市体育局"), ("sjj", "市数据局"),
    ("zwfw", "市政务服务管理局"),
]
COUNTIES = [("hdq", "河东区人民政府"), ("hxq", "河西区人民政府"), ("qsx", "青山县人民政府"), ("lyx", "柳源县人民政府")]
BODIES = [("office", "市政府办公室", "office"), ("npc", "市人大常委会代表工委", "reviewer"),
          ("cppcc", "市政协提案委", "reviewer")]
HANDLING_UNITS = [code for code, _name in DEPARTMENTS + COUNTIES]

DEPUTIES = 20  # 人大代表 (role proposer): deputy, deputy02 … deputy20
MEMBERS = 20   # 政协委员 (role proposer): member, member02 … member20
DEPUTY_USERNAMES = ["deputy"] + [f"deputy{i:02d}" for i in range(2, DEPUTIES + 1)]
MEMBER_USERNAMES = ["member"] + [f"member{i:02d}" for i in range(2, MEMBERS + 1)]

UNIT_ROLES = {"head": "unit_head", "leader": "unit_leader", "liaison": "unit_liaison", "handler": "unit_handler"}
UNIT_ROLE_TITLES = {"head": "主要领导", "leader": "分管领导", "liaison": "综合科室", "handler": "经办人"}

# The people README names, with fixed names (the rest are drawn from the lists below).
NAMED = {
    "jtj_head": "陈志强", "jtj_leader": "黄立新", "jtj_liaison": "赵文斌", "jtj_handler": "李晓东",
    "jyj_head": "杨淑芬", "jyj_leader": "马国庆", "jyj_liaison": "朱晓燕", "jyj_handler": "周静怡",
}
SURNAMES = ("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤")
GIVEN_NAMES = ("建国 建华 国平 志强 志明 文斌 文静 晓东 晓燕 丽华 丽娟 海燕 海涛 红梅 春生 秋菊 永刚 永红 立新 立群 "
               "振华 振宇 卫东 卫国 淑芬 淑英 秀兰 秀英 桂英 玉兰 德明 德胜 学军 学文 明辉 明杰 俊杰 俊峰 子涵 思远 "
               "雨萱 欣怡 佳琪 梦瑶 浩然 宇航 嘉怡 诗琪 一鸣 天佑 国庆 新民 长青 春燕 雪梅 晓光 志刚 建军 金凤 慧敏 "
               "文涛 佩琳 静怡 泽宇 博文 晨曦 若溪 安琪 晓峰 亚楠").split()


@dataclass
class Person:
    username: str
    name: str
    roles: list[tuple[str, str | None]] = field(default_factory=list)  # (role, unit code or None)
    admin: bool = False
    login: str = ""  # what README's login table says of the person ("" if not listed)


def units() -> list[tuple[str, str, str]]:
    """(code, name, kind) of every unit of the demo city."""
    return ([(code, name, kind) for code, name, kind in BODIES] + [(c, n, "department") for c, n in DEPARTMENTS] +
            [(c, n, "county") for c, n in COUNTIES])


UNIT_NAMES = {code: name for code, name, _kind in units()}


def people() -> list[Person]:
    """Everyone in the demo city, in a fixed order (the same names on every run)."""
    names = _NameDrawer(random.Random(1705))
    result = [
        Person("admin", "系统管理员", [("process_owner", "office")], admin=True, login="系统管理员（故障处理、期限规则、工作日历、通知模板）"),
        Person("owner", names.take("何思远"), [("process_owner", "office")], login="流程管理员（流程建模、部署新版本）"),
        Person("office", names.take("王丽华"), [("office", "office")], login="市政府办公室（登记、立案审查、交办、审核、督办）"),
        Person("office2", names.take("钱志明"), [("office", "office")], login="市政府办公室督查室（同上）"),
        Person("office3", names.draw(), [("office", "office")]),
        Person("npc_reviewer", names.take("孙国平"), [("reviewer_npc", "npc")], login="人大代表工委（建议的审核）"),
        Person("npc_reviewer2", names.draw(), [("reviewer_npc", "npc")]),
        Person("cppcc_reviewer", names.take("周文涛"), [("reviewer_cppcc", "cppcc")], login="政协提案委（提案的审核）"),
        Person("cppcc_reviewer2", names.draw(), [("reviewer_cppcc", "cppcc")]),
        Person("vice_mayor", names.take("郑建国"), [("vice_mayor", None)], login="市政府分管领导（必要时审核答复）"),
        Person("vice_mayor2", names.draw(), [("vice_mayor", None)]),
    ]
    for code in HANDLING_UNITS:
        for short, role in UNIT_ROLES.items():
            username = f"{code}_{short}"
            name = names.take(NAMED[username]) if username in NAMED else names.draw()
            login = f"{UNIT_NAMES[code]}{UNIT_ROLE_TITLES[short]}" if code == "jtj" or username == "jyj_handler" else ""
            result.append(Person(username, name, [(role, code)], login=login))
    for i in range(1, DEPUTIES + 1):
        username = "deputy" if i == 1 else f"deputy{i:02d}"
        name = names.take("刘建华") if i == 1 else names.draw()
        result.append(Person(username, name, [("proposer", None)], login="市人大代表（领衔提出建议、满意度测评）" if i == 1 else ""))
    for i in range(1, MEMBERS + 1):
        username = "member" if i == 1 else f"member{i:02d}"
        name = names.take("吴佩琳") if i == 1 else names.draw()
        result.append(Person(username, name, [("proposer", None)], login="市政协委员（领衔提出提案、满意度测评）" if i == 1 else ""))
    return result


class _NameDrawer:
    """Unique two- or three-character names from the lists, in a fixed random order."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self.used: set[str] = set(NAMED.values())

    def take(self, name: str) -> str:
        self.used.add(name)
        return name

    def draw(self) -> str:
        while True:
            name = self.rng.choice(SURNAMES) + self.rng.choice(GIVEN_NAMES)
            if name not in self.used:
                self.used.add(name)
                return name


LOGIN_ORDER = ["office", "office2", "jtj_liaison", "jtj_handler", "jtj_leader", "jtj_head", "jyj_handler", "vice_mayor",
               "npc_reviewer", "cppcc_reviewer", "deputy", "member", "owner", "admin"]


def logins() -> list[tuple[str, str, str]]:
    """(username, name, what the person does) of the demo logins, in the order README lists them."""
    by_username = {p.username: p for p in people() if p.login}
    return [(u, by_username[u].name, by_username[u].login) for u in LOGIN_ORDER]


def seed_people(session, password_hash: str) -> dict[str, int]:
    """Roles, units and people in the caller's write transaction; returns {username: user id}.

    One password hash for everyone (scrypt takes ~0.1 s a hash, and every demo password is the same).
    E-mail addresses (reserved example.org) only for the demo logins: without SMTP_HOST their mails
    land in the outbox (/admin/outbox), and the other 170 people do not fill it with copies.
    """
    existing_roles = set(session.scalars(select(Role.code)))
    session.add_all(Role(code=c, name=n) for c, n in ROLES if c not in existing_roles)
    by_code = {u.code: u for u in session.scalars(select(Unit))}
    for code, name, kind in units():
        if code not in by_code:
            by_code[code] = Unit(code=code, name=name, kind=kind)
            session.add(by_code[code])
    session.flush()
    ids = {}
    for person in people():
        user = User(username=person.username, display_name=person.name, is_admin=person.admin,
                    password_hash=password_hash, email=f"{person.username}@example.org" if person.login else None)
        session.add(user)
        session.flush()
        ids[person.username] = user.id
        session.add_all(RoleAssignment(user_id=user.id, role_code=role, unit_id=by_code[unit].id if unit else None)
                        for role, unit in person.roles)
    session.flush()
    return ids
