"""A real browser (Debian's headless Chromium) on the reporting pages: the item page's diagram with the
current step highlighted, and the statistics page with its charts drawn (tests/web/reports_city.py)."""
import pytest
import time_machine

from tests.web.browser_support import require, serve, shot
from webapp import create_app
from webapp.web.vendor import available

from . import reports_city

sync_api = require()


@pytest.fixture
def city(engine):
    # The items are made with the clock frozen; the browser then runs on the real clock.
    with time_machine.travel(reports_city.T0, tick=False) as clock:
        return reports_city.build(engine, clock)


@pytest.fixture
def live_server(settings, engine, city):
    with serve(create_app(settings, engine)) as url:
        yield url


@pytest.fixture
def page(browser):
    context = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai",
                                  viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(20000)
    yield page
    context.close()


def test_the_item_diagram_and_the_statistics_charts(live_server, city, page, request):
    if not (available("camunda-bpmn-js") and available("chart.js")):
        pytest.skip("node_modules is not installed (npm ci): no diagram viewer or chart library to test")
    expect = sync_api.expect
    page.goto(f"{live_server}/login?next=/instances/{city['two']}")
    page.fill("#username", "office")
    page.fill("#password", "secret")
    page.click("button[type=submit]")
    expect(page.locator("h1")).to_have_text("关于增设校车线路的建议")

    # The tab of the lead unit's handling opens by itself, at its current step inside 办理与答复 (a
    # collapsed sub-process, drawn on a plane of its own), marked on the diagram.
    diagram = page.locator("[data-testid=diagram]")
    expect(diagram.locator(".tab.active")).to_contain_text("市教育局")
    current = diagram.locator('.djs-element.diagram-current[data-element-id="consult_before"]')
    expect(current).to_be_visible()
    stroke = current.locator(".djs-visual > :first-child").evaluate("e => getComputedStyle(e).stroke")
    assert stroke == "rgb(192, 57, 43)"  # drawn red
    diagram.scroll_into_view_if_needed()
    shot(page, "11-item-diagram-current-step", request)
    # Up to the unit's whole process: the sub-process is current, the dispatch done, the urge awaited.
    diagram.locator(".bjs-crumb a").first.click()
    expect(diagram.locator('.djs-element.diagram-current[data-element-id="handling"]')).to_be_visible()
    expect(diagram.locator('.djs-element.diagram-completed[data-element-id="dispatch"]')).to_have_count(1)
    expect(diagram.locator('.djs-element.diagram-waiting[data-element-id="urged"]')).to_have_count(1)

    # The main process: the units' handling is the current step there.
    diagram.locator(".tab", has_text="建议提案办理（主流程）").click()
    expect(diagram.locator('.djs-element.diagram-current[data-element-id="handle_by_units"]')).to_be_visible()
    expect(diagram.locator('.djs-element.diagram-completed[data-element-id="assign_units"]')).to_have_count(1)

    # Statistics: the office refreshes and the charts are drawn.
    page.goto(f"{live_server}/statistics")
    page.click("[data-testid=refresh]")
    expect(page.locator(".alert-success")).to_contain_text("统计数据已刷新")
    expect(page.locator("[data-kpi=received]")).to_have_text("6")
    expect(page.locator("#chart-units[data-rendered=true]")).to_be_visible()
    expect(page.locator("#chart-classes[data-rendered=true]")).to_be_visible()
    drawn = page.locator("#chart-units").evaluate(
        "c => { const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;"
        " let n = 0; for (let i = 3; i < d.length; i += 4) if (d[i]) n++; return n; }")
    assert drawn > 1000, "the unit chart's canvas is empty"
    assert page.locator("#chart-units").evaluate("c => c.chart.data.labels") == ["市交通运输局", "市教育局"]
    shot(page, "12-statistics-charts", request)
