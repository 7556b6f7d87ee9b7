from django.urls import path

from podium.organizations import views

app_name = "organizations"
urlpatterns = [
    path("", views.index, name="index"),
    path("new/", views.create, name="create"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/edit/", views.edit, name="edit"),
    path("<int:pk>/invite/", views.invite, name="invite_users"),
    path("<int:pk>/members/<int:member>/group/", views.member_group, name="member_group"),
    path("<int:pk>/members/<int:member>/remove/", views.remove_member, name="remove_member"),
    path("<int:pk>/leave/", views.leave, name="leave"),
    path("<int:pk>/delete/", views.delete, name="delete"),
    path("invites/<str:token>/", views.invite_answer, name="invite"),
]
