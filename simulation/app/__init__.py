"""The classroom app: two org models side by side on one company and one set of customers.

``controls`` maps control values to configs (no Solara), ``session`` steps the two models
and keeps their figures, ``views`` draws them with matplotlib, and ``app`` is the Solara
page (start it with ``silosim app``).
"""
