"""The Django admin, which platform hosts reach from /host/, works under the site's CSP:
every registered model's list and forms render without a console error."""

from __future__ import annotations

from django.contrib import admin
from django.test import RequestFactory
from django.urls import reverse

from podium.accounts.models import User
from tests.browser.conftest import Browser
from tests.browser.world import World
from tests.factories import make_user


def admin_paths(host: User) -> list[str]:
    """The index, and each model's list, add form (where allowed) and first object's form."""
    request = RequestFactory().get("/admin/")
    request.user = host
    paths = [reverse("admin:index")]
    for model, model_admin in admin.site._registry.items():
        name = f"admin:{model._meta.app_label}_{model._meta.model_name}"
        paths.append(reverse(f"{name}_changelist"))
        if model_admin.has_add_permission(request):
            paths.append(reverse(f"{name}_add"))
        first = model._default_manager.order_by("pk").first()
        if first is not None:
            paths.append(reverse(f"{name}_change", args=[first.pk]))
    return paths


def test_every_admin_page_renders_without_console_errors(browser: Browser, world: World):
    host = make_user("ada", superuser=True)
    browser.sign_in(host)
    paths = admin_paths(host)
    assert len(paths) > 40
    broken = {}
    for path in paths:
        browser.open(path)
        if browser.seen.problems():
            broken[path] = list(browser.seen.problems())
            browser.seen.clear()
    assert broken == {}
