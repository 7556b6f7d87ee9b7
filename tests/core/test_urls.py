"""Site-wide addresses outside the apps."""

from __future__ import annotations


def test_favicon_ico_points_at_the_site_icon(client):
    answer = client.get("/favicon.ico")

    assert (answer.status_code, answer["Location"]) == (301, "/static/podium/favicon.svg")


def test_the_api_docs_pages_load_their_assets_from_the_site(client):
    swagger = client.get("/api/docs/").content.decode()
    script = client.get("/api/docs/?script=")
    redoc = client.get("/api/redoc/")
    page = redoc.content.decode()

    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in swagger
    assert '<script src="/api/docs/?script="></script>' in swagger
    assert script["Content-Type"].startswith("application/javascript")
    assert "/api/schema/" in script.content.decode()
    assert "/static/drf_spectacular_sidecar/redoc/bundles/redoc.standalone.js" in page
    assert "worker-src 'self' blob:" in redoc["Content-Security-Policy"]
    assert "https://" not in swagger + page  # nothing from a CDN
