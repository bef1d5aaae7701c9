"""The browser side: blueprints, login and CSRF protection."""


def register_web(app):
    pass
