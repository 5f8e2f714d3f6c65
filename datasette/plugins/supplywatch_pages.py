"""Datasette loads this file (``--plugins-dir datasette/plugins``): the owner's pages and the SQL
functions for money and units live in :mod:`monitor.web.plugin`."""

from monitor.web.plugin import extra_css_urls, extra_js_urls, menu_links, prepare_connection, prepare_jinja2_environment, register_routes, startup

__all__ = ["extra_css_urls", "extra_js_urls", "menu_links", "prepare_connection", "prepare_jinja2_environment", "register_routes", "startup"]
