"""The web shell: the FastAPI application, its pages (Jinja2 + HTMX) and vendored static files."""
