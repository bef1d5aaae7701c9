"""Official documents as Word files (python-docx), free of Flask and of the database.

    gbt9704.py           the figures of GB/T 9704-2012 《党政机关公文格式》 (page, grid, fonts, rules)
    layout.py            building blocks in that layout: page and grid, elements, runs, rules, tables
    letter.py            the reply letter 答复函 (and the co-unit opinion 协办意见) in the letter format 信函格式
    report.py            the text of a document without 版头 (title, addressee, body, tables, signature)
    work_plan.py         a key item's work plan 工作方案
    situation_report.py  a key item's situation report 情况报告 to the office
    unit_summary.py      a unit's annual summary 办理工作总结
    annual_report.py     the office's annual report 办理工作情况报告 with the statistics as tables
    preview.py           PDF previews of generated documents (LibreOffice, when installed)
"""
