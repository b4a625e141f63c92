from django.apps import AppConfig


class ApikeysConfig(AppConfig):
    name = "apikeys"
    verbose_name = "API keys"

    def ready(self) -> None:
        from portal import api

        from . import auth
        from .api import keys, regenerate

        api.set_authenticator(auth.authenticate)  # keys and tokens, every endpoint
        api.register(keys.router)
        api.register(regenerate.router)
