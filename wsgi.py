"""WSGI entry point: gunicorn wsgi:app, and flask --app wsgi <command>."""

from werkzeug.serving import WSGIRequestHandler

from crm import create_app

# The Server header names no versions (a scanner matches "Werkzeug/3.1.9 Python/3.11.2" against known
# bugs). Werkzeug's development server (`flask --app wsgi run`, `make run`) sends its own and Python's
# version on every answer, error answers included, and offers no setting: its handler's banner is
# replaced here, before the server starts. gunicorn sends "gunicorn" alone; nginx has server_tokens off.
SERVER_BANNER = "crm"
WSGIRequestHandler.version_string = lambda self: SERVER_BANNER  # type: ignore[method-assign]

app = create_app()
