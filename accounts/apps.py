from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Accounts"

    def ready(self) -> None:
        from portal import api

        from . import api as endpoints
        from . import checklist, dashboard, signals  # noqa: F401 (signals: connected)

        api.register(endpoints.router)  # POST /user/auth, GET /me
        dashboard.add_checks("accounts", checklist.items, order=10)
