"""A real browser (Debian's headless Chromium) on the reporting pages: the item page's diagram with the
current step highlighted, and the statistics page with its charts drawn (tests/web/reports_city.py)."""
import threading
from pathlib import Path

import pytest
import time_machine
from werkzeug.serving import make_server

from webapp import create_app
from webapp.web.vendor import available

from . import reports_city

CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]

if not CHROMIUM.exists():
    pytest.skip("Chromium is not installed at /usr/bin/chromium (apt-get install -y chromium)",
                allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")


@pytest.fixture
def city(engine):
    # The items are made with the clock frozen; the browser then runs on the real clock.
    with time_machine.travel(reports_city.T0, tick=False) as clock:
        return reports_city.build(engine, clock)


@pytest.fixture
def server(settings, engine, city):
    app = create_app(settings, engine)
    httpd = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_port}"
    httpd.shutdown()
    thread.join(timeout=10)


@pytest.fixture
def page(request):
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        context = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai",
                                      viewport={"width": 1280, "height": 900})
        page = context.new_page()
        page.set_default_timeout(20000)
        yield page
        browser.close()


def shot(page, name, request):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}-{request.node.callspec.id}.png"), full_page=True)


def test_the_item_diagram_and_the_statistics_charts(server, city, page, request):
    if not (available("camunda-bpmn-js") and available("chart.js")):
        pytest.skip("node_modules is not installed (npm ci): no diagram viewer or chart library to test")
    expect = sync_api.expect
    page.goto(f"{server}/login?next=/instances/{city['two']}")
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
    page.goto(f"{server}/statistics")
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
