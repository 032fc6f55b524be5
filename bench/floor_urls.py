"""Floor views for `make bench`, mounted under /bench/ by bench.urls (never in production)."""

from django.urls import URLPattern, path

from bench import floor_views

urlpatterns: list[URLPattern] = [
    path(
        "project-pay-apps/<int:project_id>/",
        floor_views.project_pay_apps,
        name="bench-project-pay-apps",
    ),
]
