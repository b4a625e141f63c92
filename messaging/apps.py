from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MessagingConfig(AppConfig):
    name = "messaging"
    verbose_name = _("Messaging")

    def ready(self) -> None:
        from accounts import dashboard as board
        from portal import api

        from . import api as endpoints
        from . import dashboard

        api.register(endpoints.router)  # sms/send, sms/messages, sms/stats, sms/status
        board.add_section("messages_sent", "portal/_day_chart_card.html", dashboard.sent_section,
                          order=20)
