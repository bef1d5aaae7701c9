"""Messages to people: e-mail over SMTP or into an outbox folder (mail.py) and the notice texts as
Jinja2 templates that administrators edit (templates.py). Free of Flask: the worker's `notify`
topic and the admin pages use the same code."""
