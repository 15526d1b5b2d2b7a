"""The page's views: the Streamlit code that lays out widgets and calls the plain modules.

``common`` loads the dataset and keeps the page's state and URL in step; ``analyst`` is the
analyst view (filters, numbers, map, timeline, table); ``downloads`` the export buttons;
``briefing`` the presenter's view. With ``dashboard/app.py`` these are the only modules of
the package that import ``streamlit``; everything they show is computed by the layers below.
"""
