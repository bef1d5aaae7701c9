"""Command line: `flask --app webapp deploy | worker | init-db | seed-demo-users`."""


def register_commands(app):
    pass
