from rest_framework.pagination import PageNumberPagination


class Pagination(PageNumberPagination):
    """`{"count", "next", "previous", "results"}`; `page_size` up to 2,000 (a whole SOV)."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 2000
