from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MessagingConfig(AppConfig):
    name = "messaging"
    verbose_name = _("Messaging")

    def ready(self) -> None:
        from portal import api

        from . import api as endpoints

        api.register(endpoints.router)  # sms/send, sms/messages, sms/stats, sms/status
