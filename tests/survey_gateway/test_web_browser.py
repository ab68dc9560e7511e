"""The web survey page in headless Chromium (Debian's, driven by Playwright) over a real server:
answered with the keyboard alone, laid out right to left for Persian on a 390 × 844 phone
without horizontal overflow, Yiddish and Chinese drawn with installed fonts, AA contrast."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import closing
from typing import Any

import matplotlib.image
import pytest
from test_web_tokens import answers, gateway_app, gateway_settings, open_survey  # noqa: F401 (a fixture)

from callkpi.store.db import Store
from callkpi_survey_gateway.messages import web_strings
from live_server import live_server

PHONE = {"width": 390, "height": 844}  # an iPhone 12–15 viewport in CSS pixels
MIN_TARGET_PX = 44  # WCAG 2.5.5 / Apple HIG minimum touch target
EDGE_PX = 24  # the page's 16 px padding plus a little slack


@pytest.fixture
def sqlite_store(tmp_path) -> Iterator[Store]:
    store = Store.open(f"sqlite:///{tmp_path / 'callkpi.db'}")
    yield store
    store.dispose()


@pytest.fixture
def base_url(sqlite_store, gateway_settings) -> Iterator[str]:  # noqa: F811
    app = gateway_app(sqlite_store)
    with live_server(app) as url:
        yield url
    app.state.callkpi.store.dispose()


@pytest.fixture
def phone(chromium) -> Iterator[Any]:
    """A page the size of a phone's screen."""
    with closing(chromium.new_context(viewport=PHONE, device_scale_factor=1)) as context:
        yield context.new_page()


def survey_url(base_url: str, store: Store, language: str, instruments: list[str]) -> str:
    _, token = open_survey(store, language=language, instruments=instruments)
    return f"{base_url}/s/{token}"


def box(page: Any, selector: str) -> dict[str, float]:
    return page.locator(selector).bounding_box()


def focused_id(page: Any) -> str:
    return page.evaluate("document.activeElement.id")


def test_controls_are_named_in_the_accessibility_tree(page, base_url, sqlite_store):
    page.goto(survey_url(base_url, sqlite_store, "en", ["nps", "resolved", "comment"]))
    strings = web_strings("en")
    nps = page.get_by_role("group", name=strings["nps"])  # the fieldset, named by its legend
    assert nps.get_by_role("radio").count() == 11
    assert nps.get_by_role("radio", name="7", exact=True).count() == 1
    assert page.get_by_role("group", name=strings["resolved"]).get_by_role("radio", name=strings["no"]).count() == 1
    assert page.get_by_role("textbox", name=strings["comment"]).count() == 1
    assert page.get_by_role("button", name=strings["submit"]).count() == 1


def test_english_survey_answered_with_the_keyboard_alone(page, base_url, sqlite_store):
    page.goto(survey_url(base_url, sqlite_store, "en", ["nps", "csat", "comment"]))
    page.keyboard.press("Tab")
    assert focused_id(page) == "nps-0"  # the first control; nothing to tab past
    outline = page.evaluate("getComputedStyle(document.querySelector('label[for=nps-0]')).outlineStyle")
    assert outline == "solid"  # the focus is visible on the label one sees
    for _ in range(9):
        page.keyboard.press("ArrowRight")  # arrows move and select within a radio group: 0 → 9
    page.keyboard.press("Tab")
    assert focused_id(page) == "csat-1"
    for _ in range(3):
        page.keyboard.press("ArrowRight")  # 1 → 4
    page.keyboard.press("Tab")
    page.keyboard.type("Sorted in five minutes.")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.type") == "submit"
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert web_strings("en")["thanks"] in page.inner_text("main")
    assert answers(sqlite_store) == [("comment", None, "Sorted in five minutes.", "web"),
                                     ("csat", 4.0, None, "web"), ("nps", 9.0, None, "web")]


def test_the_survey_works_with_javascript_off(chromium, base_url, sqlite_store):
    with closing(chromium.new_context(viewport=PHONE, java_script_enabled=False)) as context:
        page = context.new_page()
        page.goto(survey_url(base_url, sqlite_store, "nl", ["nps", "resolved"]))
        page.locator("label[for=nps-10]").click()  # taps on the drawn labels
        page.locator("label[for=resolved-0]").click()
        with page.expect_navigation():
            page.locator("button[type=submit]").click()
        assert web_strings("nl")["thanks"] in page.inner_text("main")
    assert answers(sqlite_store) == [("nps", 10.0, None, "web"), ("resolved", 0.0, None, "web")]


def test_a_form_without_answers_is_not_sent(page, base_url, sqlite_store):
    page.goto(survey_url(base_url, sqlite_store, "en", ["nps", "csat"]))
    page.locator("button[type=submit]").click()  # the browser's own check stops it (no script)
    assert page.evaluate("document.querySelector('input[name=nps]').validity.valueMissing")
    assert answers(sqlite_store) == []


def test_persian_page_is_right_to_left_and_fits_a_phone(phone, base_url, sqlite_store, tmp_path):
    phone.goto(survey_url(base_url, sqlite_store, "fa", ["nps", "csat", "ces", "resolved", "comment"]))
    assert phone.evaluate("[document.documentElement.dir, getComputedStyle(document.body).direction]") == [
        "rtl", "rtl"]
    viewport_width = phone.evaluate("innerWidth")
    question = box(phone, "#q-nps")
    assert viewport_width - (question["x"] + question["width"]) <= EDGE_PX  # hugs the right edge
    zero, one = box(phone, "label[for=nps-0]"), box(phone, "label[for=nps-1]")
    assert zero["x"] > one["x"]  # the scale starts on the right
    assert viewport_width - (zero["x"] + zero["width"]) <= EDGE_PX
    assert_fits_horizontally(phone)
    shot = tmp_path / "survey-fa-390x844.png"
    phone.screenshot(path=str(shot), full_page=True)
    assert_title_ink_is_right_aligned(matplotlib.image.imread(shot), box(phone, "h1"), viewport_width)


def test_nps_wraps_into_two_rows_of_large_targets_on_a_phone(phone, base_url, sqlite_store):
    phone.goto(survey_url(base_url, sqlite_store, "en", ["nps", "csat", "ces", "resolved"]))
    options = [phone.locator(".option label").nth(i).bounding_box() for i in range(11 + 5 + 7 + 2)]
    assert min(o["width"] for o in options) >= MIN_TARGET_PX
    assert min(o["height"] for o in options) >= MIN_TARGET_PX
    rows = sorted({round(o["y"]) for o in options[:11]})
    assert [sum(round(o["y"]) == y for o in options[:11]) for y in rows] == [6, 5]  # 0–5, then 6–10
    assert box(phone, "button[type=submit]")["height"] >= MIN_TARGET_PX
    assert_fits_horizontally(phone)


@pytest.mark.parametrize(("language", "font", "script"), [
    ("yi", "Noto Sans Hebrew", "[\u0590-\u05ff\ufb1d-\ufb4f]"),  # Hebrew letters, points, ligatures
    ("zh", "Noto Sans CJK", "[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]"),  # CJK punctuation, ideographs, full-width
])
def test_yiddish_and_chinese_are_drawn_with_real_fonts(phone, base_url, sqlite_store, tmp_path, language, font,
                                                       script):
    phone.goto(survey_url(base_url, sqlite_store, language, ["nps", "csat", "comment"]))
    legend = phone.inner_text("#q-nps legend")
    letters = len(re.findall(script, legend))
    fonts = platform_fonts(phone, "#q-nps legend")
    [family] = [name for name in fonts if name.startswith(font)]
    # Every letter of the script came from the script's font: none fell back to a missing-glyph box.
    assert letters > 10 and fonts[family] >= letters, fonts
    assert_fits_horizontally(phone)
    phone.screenshot(path=str(tmp_path / f"survey-{language}-390x844.png"), full_page=True)


def test_the_contrast_formula_is_wcags():
    assert contrast((0, 0, 0), (255, 255, 255)) == pytest.approx(21.0)  # (1 + 0.05) / (0 + 0.05)
    # #0b57d0: L = 0.2126·0.0033 + 0.7152·0.0953 + 0.0722·0.6308 = 0.1144 → 1.05 / 0.1644 = 6.39
    assert contrast((11, 87, 208), (255, 255, 255)) == pytest.approx(6.39, abs=0.01)


def test_text_and_controls_meet_wcag_aa_contrast(page, base_url, sqlite_store):
    page.goto(survey_url(base_url, sqlite_store, "en", ["nps", "comment"]))
    page.locator("label[for=nps-3]").click()  # a selected option: white on blue
    for selector in ("h1", ".intro", "legend", "label[for=nps-2]", "label[for=nps-3]", ".scale-ends span",
                     "label[for=comment]", "textarea", "button"):
        foreground, background = colours(page, selector, "color")
        assert contrast(foreground, background) >= 4.5, selector
    border, background = colours(page, "label[for=nps-2]", "borderTopColor")
    assert contrast(border, background) >= 3.0  # WCAG 1.4.11: a control's edge


def assert_fits_horizontally(page: Any) -> None:
    """No horizontal scrolling, and no element sticking out on either side."""
    assert page.evaluate("document.documentElement.scrollWidth") <= page.evaluate("innerWidth")
    outside = page.evaluate(
        """[...document.body.querySelectorAll('*')].filter(e => {
             const r = e.getBoundingClientRect();
             return r.width > 0 && (r.left < -0.5 || r.right > innerWidth + 0.5);
           }).map(e => e.tagName + '#' + e.id + '.' + e.className)""")
    assert outside == []


def assert_title_ink_is_right_aligned(pixels: Any, title: dict[str, float], width: float) -> None:
    """In the screenshot, the title's dark pixels sit against the right margin, not the left."""
    top, bottom = int(title["y"]), int(title["y"] + title["height"])
    band = pixels[top:bottom, :, :3].mean(axis=2)  # grey level 0 (black) .. 1 (white)
    ink = band.min(axis=0) < 0.5
    columns = [x for x, inked in enumerate(ink) if inked]
    left_margin, right_margin = columns[0], width - 1 - columns[-1]
    assert right_margin <= EDGE_PX < left_margin, (left_margin, right_margin)


def platform_fonts(page: Any, selector: str) -> dict[str, int]:
    """The fonts Chromium drew ``selector``'s text with (DevTools protocol): family → glyphs."""
    session = page.context.new_cdp_session(page)
    session.send("DOM.enable")
    session.send("CSS.enable")
    root = session.send("DOM.getDocument")["root"]["nodeId"]
    node = session.send("DOM.querySelector", {"nodeId": root, "selector": selector})["nodeId"]
    fonts = session.send("CSS.getPlatformFontsForNode", {"nodeId": node})["fonts"]
    session.detach()
    return {font["familyName"]: font["glyphCount"] for font in fonts}


def colours(page: Any, selector: str, prop: str) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """``selector``'s colour ``prop`` and the first opaque background behind it, as RGB 0–255."""
    found = page.evaluate(
        """([selector, prop]) => {
             let element = document.querySelector(selector);
             const colour = getComputedStyle(element)[prop];
             while (element && getComputedStyle(element).backgroundColor === 'rgba(0, 0, 0, 0)') {
               element = element.parentElement;
             }
             return [colour, element ? getComputedStyle(element).backgroundColor : 'rgb(255, 255, 255)'];
           }""",
        [selector, prop],
    )
    return tuple(rgb(text) for text in found)


def rgb(css: str) -> tuple[float, ...]:
    return tuple(float(part) for part in re.findall(r"[\d.]+", css)[:3])


def contrast(first: tuple[float, ...], second: tuple[float, ...]) -> float:
    """WCAG 2.x contrast ratio of two sRGB colours (1 … 21)."""
    lighter, darker = sorted((luminance(first), luminance(second)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def luminance(colour: tuple[float, ...]) -> float:
    def linear(channel: float) -> float:
        c = channel / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    red, green, blue = (linear(c) for c in colour)
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue
