from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Accounts"

    def ready(self) -> None:
        from portal import api

        from . import api as endpoints
        from . import signals  # noqa: F401

        api.register(endpoints.router)  # POST /user/auth, GET /me
