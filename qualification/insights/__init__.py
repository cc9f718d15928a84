"""Insights: the qualification funnel for sales managers (and each salesperson's own leads).

periods     the period picker's presets and the days they cover
selectors   one read per figure, aggregated in SQL
filters     the lead grid's filter words for qualification records (each figure links there)
charts      chart geometry for the SVG templates
figures     each figure: its selector's numbers, its chart, its table and its links
forms       the period and owner picker
views       the page
"""
