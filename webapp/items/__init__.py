"""Items: the suggestions and proposals (建议/提案) as business records, free of Flask.

    vocabulary.py  item types, timings, categories, proposer types, channels, key sources; their labels
    numbering.py   the number people read (第0123号), the item's label and its instance's business key
    intake.py      register_item: check, store the item and start its main process in one transaction
    queries.py     who sees which item, the searchable list, each item's current steps
    spreadsheet.py the batch import template, and reading a filled one into intake's values
    batch.py       spreadsheet batches: check every row, then register all of them or none (background)
    api.py         the platforms' intake API: bearer tokens, submitting an item, its status
    consultations.py  the lead proposer's answer (确认 / 有异议) to a unit's consultation record

One item is handled by one instance of `item_handling`; `items.instance_id` links them.
"""
from .intake import ITEM_PROCESS, ItemInvalid, process_data, register_item
from .numbering import business_key, display_number, item_label
from .queries import ItemFilters, find_items, item_for_instance, visible_items_clause

__all__ = ["ITEM_PROCESS", "ItemFilters", "ItemInvalid", "business_key", "display_number", "find_items",
           "item_for_instance", "item_label", "process_data", "register_item", "visible_items_clause"]
