"""Stall detection (停滞): when an item's follow-ups fall behind, and how late (黄灯/红灯).

rules.py   the rules in Python: evaluate(item) → Stall with its level and reasons
sql.py     the same rules as one SQL expression (filters, counts, the reminder scan); a test proves them equal
filters.py the 预警 filter and red/yellow counts of the lists, over sql.py
badges.py  the badges of the items shown on one page, over rules.py
"""
