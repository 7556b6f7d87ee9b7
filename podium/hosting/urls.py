from django.urls import URLPattern

app_name = "hosting"
urlpatterns: list[URLPattern] = []
