"""Maps: a DataFrame of incidents in, a ``folium.Map`` out.

Owns the map builder (``mapping``), its Leaflet elements written as folium plugins
(``plugins``: the data block, layers, play control, and ``RawElement`` for text that must
never be compiled as a template), the legend, the offline world outline, the escaped HTML
pieces shared with the exports and the page (``html_text``) and the pinned front-end files
fetched from npm (``assets``). May import ``base`` and ``data``.
"""
