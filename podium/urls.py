from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import (
    SpectacularAPIView,
    SpectacularSwaggerSplitView,
)

from podium.core.routers import router
from podium.core.views import redoc
from podium.datasets.api import QuotaCleanupView
from podium.messaging.api import PreferencesView

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/", include("allauth.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves Swagger UI's start-up script as a file: the CSP allows no inline one.
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="swagger-ui"),
    path("api/redoc/", redoc, name="redoc"),
    path("api/notification_preferences/", PreferencesView.as_view(), name="mail-preferences"),
    # One object read and acted on (a router would list it as an array).
    path("api/user_quota_cleanup/", QuotaCleanupView.as_view(), name="user-quota-cleanup-list"),
    path("api/", include(router.urls)),
    path("competitions/", include("podium.competitions.urls")),
    path("files/", include("podium.datasets.urls")),
    path("mail/", include("podium.messaging.urls")),
    path("", include("podium.accounts.urls")),
    path("organizations/", include("podium.organizations.urls")),
    path("forums/", include("podium.forums.urls")),
    path("manage/", include("podium.manage.urls")),
    path("host/", include("podium.hosting.urls")),
    path("", include("podium.core.urls")),
]
