from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MessagingConfig(AppConfig):
    name = "messaging"
    verbose_name = _("Messaging")

    def ready(self) -> None:
        from accounts import dashboard as board
        from portal import api

        from . import api as endpoints
        from . import dashboard, verify_api

        api.register(endpoints.router)  # sms/send, sms/messages, sms/stats, sms/status
        api.register(verify_api.router)  # verify, verify/{id}, .../check, .../cancel
        board.add_section("messages_sent", "portal/_day_chart_card.html", dashboard.sent_section,
                          order=20)
