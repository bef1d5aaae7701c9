"""GB/T 9704-2012 《党政机关公文格式》: the figures the letter format (信函格式, §10.1) uses.

Every length the standard gives is kept here in millimetres or points, with the conversions Word's
XML needs (twips = 1/20 pt, eighths of a point for borders, half-points for font sizes). The reply
letter (letter.py) takes its layout from these names only, so a locality that deviates changes them
here (or ships its own .docx template, see letter.py).
"""
import math

from docx.shared import Mm

# --- units -----------------------------------------------------------------------------------------

MM_PER_INCH = 25.4
TWIPS_PER_PT = 20
TWIPS_PER_INCH = 1440


def mm_to_twips(mm: float) -> int:
    return round(mm / MM_PER_INCH * TWIPS_PER_INCH)


def twips_to_mm(twips: float) -> float:
    return twips / TWIPS_PER_INCH * MM_PER_INCH


def mm_to_pt(mm: float) -> float:
    return mm / MM_PER_INCH * 72


# --- page and type area (§5.2) ----------------------------------------------------------------------

PAGE_WIDTH_MM = 210  # A4
PAGE_HEIGHT_MM = 297
MARGIN_TOP_MM = 37  # 天头
MARGIN_BOTTOM_MM = 35
MARGIN_LEFT_MM = 28  # 订口
MARGIN_RIGHT_MM = 26
TYPE_AREA_WIDTH_MM = PAGE_WIDTH_MM - MARGIN_LEFT_MM - MARGIN_RIGHT_MM  # 156 mm 版心宽
TYPE_AREA_HEIGHT_MM = PAGE_HEIGHT_MM - MARGIN_TOP_MM - MARGIN_BOTTOM_MM  # 225 mm 版心高

PAGE_WIDTH, PAGE_HEIGHT = Mm(PAGE_WIDTH_MM), Mm(PAGE_HEIGHT_MM)

# --- the line grid (§5.2.2): 22 lines of 28 characters in 3号 --------------------------------------

LINES_PER_PAGE = 22
CHARS_PER_LINE = 28
# Word rounds the margins to whole twips; the grid is computed from what it will actually use.
TYPE_AREA_WIDTH_TWIPS = (mm_to_twips(PAGE_WIDTH_MM) - mm_to_twips(MARGIN_LEFT_MM)
                         - mm_to_twips(MARGIN_RIGHT_MM))  # 8845
TYPE_AREA_HEIGHT_TWIPS = (mm_to_twips(PAGE_HEIGHT_MM) - mm_to_twips(MARGIN_TOP_MM)
                          - mm_to_twips(MARGIN_BOTTOM_MM))  # 12756
# w:docGrid/@w:linePitch: twips from line to line, rounded down so that 22 lines fit (579 ≈ 28.95 pt).
LINE_PITCH_TWIPS = TYPE_AREA_HEIGHT_TWIPS // LINES_PER_PAGE

# --- font sizes (字号) in points --------------------------------------------------------------------

SIZE_CHU = 42.0  # 初号
SIZE_XIAOCHU = 36.0  # 小初
SIZE_1 = 26.0  # 一号
SIZE_2 = 22.0  # 二号: the title
SIZE_3 = 16.0  # 三号: body, addressee, 发文字号, signature, 附注, 版记 (4号 for 抄送 is allowed too)
SIZE_4 = 14.0  # 四号: page numbers

BODY_SIZE = SIZE_3
# w:docGrid/@w:charSpace: extra pitch per character, in 1/4096 pt, relative to the default font size
# (the document default is BODY_SIZE): 28 characters fill the type area exactly (-842).
CHAR_PITCH_PT = TYPE_AREA_WIDTH_TWIPS / TWIPS_PER_PT / CHARS_PER_LINE  # ≈ 15.79 pt
CHAR_SPACE = math.floor((CHAR_PITCH_PT - BODY_SIZE) * 4096)  # rounded down: never 27.9 a line

# --- fonts: the East Asian name the standard uses, and a western one for Latin letters and digits ----

XIAOBIAOSONG = "方正小标宋简体"  # letterhead and title (小标宋体)
FANGSONG = "仿宋_GB2312"  # body (仿宋体)
HEITI = "黑体"  # first-level headings "一、", the result-class mark
KAITI = "楷体_GB2312"  # second-level headings "（一）"
SONGTI = "宋体"  # page numbers (4号半角宋体阿拉伯数字)
WESTERN = "Times New Roman"  # w:ascii / w:hAnsi next to a Chinese w:eastAsia font

# --- colours ----------------------------------------------------------------------------------------

RED = "FF0000"  # 发文机关标志 and the red double rules (the standard says only "红色")

# --- letter format (信函格式, §10.1) -----------------------------------------------------------------

LETTERHEAD_TOP_MM = 30  # 发文机关标志上边缘至上页边
LETTERHEAD_MAX_SIZE = SIZE_XIAOCHU  # the standard leaves the size to the office ("醒目、美观、庄重")
RULE_LENGTH_MM = 170  # both red double rules, centred on the page
RULE_BELOW_HEAD_MM = 4  # first rule: 4 mm below the letterhead, 上粗下细
RULE_ABOVE_PAGE_BOTTOM_MM = 20  # second rule: 20 mm above the bottom edge of the first page, 上细下粗
RULE_WIDTH_PT = 3.0  # both lines of a double rule together (the standard gives no figure)
# How far each double rule sticks out of the type area on either side: (170 - 156) / 2 = 7 mm.
RULE_OVERHANG_MM = (RULE_LENGTH_MM - TYPE_AREA_WIDTH_MM) / 2

CLASS_MARK_TOP_MM = 20  # the result-class mark (A/B/C) in the first page's corner, above the letterhead
CLASS_MARK_POSITIONS = ("top_right", "top_left")  # national rule: top right

# 版记 (§7.4.1): separator lines as wide as the type area, the first and last thick, any between thin.
# In the letter format (§10.1) the standard drops them; we keep them because the office asked for them.
IMPRINT_THICK_PT = 1.0  # 0.35 mm
IMPRINT_THIN_PT = 0.75  # 0.25 mm
PAGE_NUMBER_BELOW_TYPE_AREA_MM = 7  # 一字线上距版心下边缘 7 mm; 信函格式: none on the first page

# Indents in characters (w:firstLineChars etc. are in hundredths of a character).
BODY_FIRST_LINE_CHARS = 2  # 每个自然段左空二字
DATE_RIGHT_CHARS = 4  # 成文日期右空四字
NOTE_FIRST_LINE_CHARS = 2  # 附注居左空二字
IMPRINT_SIDE_CHARS = 1  # 抄送机关左右各空一字
TITLE_BLANK_LINES_BEFORE = 2  # 标题与其上最后一个要素相距二行
SEAL_BLANK_LINES = 2  # room for the seal between the body and the signature

