"""Import of the 招商清单 from .xlsx / .csv (routes added with the importer)."""
