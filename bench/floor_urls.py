"""Floor views for `make bench` (filled in by the figures that need one over HTTP)."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
