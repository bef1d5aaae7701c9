"""Official documents as Word files (python-docx), free of Flask and of the database.

    gbt9704.py  the figures of GB/T 9704-2012 《党政机关公文格式》 (page, grid, fonts, rules)
    letter.py   the reply letter 答复函 (and the co-unit opinion 协办意见) in the letter format 信函格式
"""
