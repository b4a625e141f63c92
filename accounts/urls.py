from django.urls import path

from .views import auth, passwords, profile, registration, security, users

app_name = "accounts"

urlpatterns = [
    path("accounts/register/", registration.register, name="register"),
    path("accounts/confirm/done/", registration.confirm_email_done, name="confirm_email_done"),
    path("accounts/confirm/<str:token>/", registration.confirm_email, name="confirm_email"),
    path("accounts/login/", auth.login_view, name="login"),
    path("accounts/login/code/", auth.login_code, name="login_code"),
    path("accounts/login/code/resend/", auth.login_code_resend, name="login_code_resend"),
    path("accounts/logout/", auth.logout_view, name="logout"),
    path("accounts/reauth/", auth.reauth, name="reauth"),
    path("accounts/password/change/", passwords.PasswordChangeView.as_view(),
         name="password_change"),
    path("accounts/password/reset/", passwords.PasswordResetView.as_view(),
         name="password_reset"),
    path("accounts/password/reset/sent/", passwords.PasswordResetDoneView.as_view(),
         name="password_reset_done"),
    path("accounts/password/reset/<uidb64>/<token>/",
         passwords.PasswordResetConfirmView.as_view(), name="password_reset_confirm"),
    path("account/security/", security.security, name="security"),
    path("account/security/sms/", security.sms_enable, name="sms_enable"),
    path("account/security/sms/confirm/", security.sms_confirm, name="sms_confirm"),
    path("account/security/totp/", security.totp_enable, name="totp_enable"),
    path("account/security/backup-codes/", security.backup_codes, name="backup_codes"),
    path("account/security/disable/", security.disable, name="disable"),
    path("account/security/disable/code/", security.disable_send_code,
         name="disable_send_code"),
    path("account/profile/", profile.profile, name="profile"),
    path("account/profile/email/cancel/", profile.email_change_cancel,
         name="email_change_cancel"),
    path("accounts/email/done/", profile.email_change_done, name="email_change_done"),
    path("accounts/email/<str:token>/", profile.email_change, name="email_change"),
    path("account/users/", users.users, name="users"),
    path("account/users/invite/", users.invite, name="users_invite"),
    path("account/users/<int:pk>/", users.edit, name="users_edit"),
    path("account/users/<int:pk>/suspend/", users.suspend, name="users_suspend"),
    path("account/users/<int:pk>/delete/", users.delete, name="users_delete"),
]
