"""The product's URLs plus the floor views of `make bench` under /bench/ (never in production)."""

from django.urls import include, path

from config.urls import handler404  # noqa: F401
from config.urls import urlpatterns as product_urlpatterns

urlpatterns = [
    path("bench/", include("bench.floor_urls")),
    *product_urlpatterns,
]
