from django.apps import AppConfig


class ApikeysConfig(AppConfig):
    name = "apikeys"
    verbose_name = "API keys"

    def ready(self) -> None:
        from accounts import dashboard as board
        from portal import api

        from . import auth, dashboard
        from .api import keys, regenerate

        api.set_authenticator(auth.authenticate)  # keys and tokens, every endpoint
        api.register(keys.router)
        api.register(regenerate.router)
        api.answer_refusals("regenerate_api_key", regenerate.refusal)
        board.add_checks("apikeys", dashboard.checks, order=20)
        board.add_section("api_requests", "portal/_day_chart_card.html", dashboard.requests_section,
                          order=10)
