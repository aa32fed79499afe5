"""Foods and protocols (the protocol library)."""

from django.urls import path

from challenges.library import views as library

urlpatterns = [
    path("protocols/", library.protocol_list, name="protocol-list"),
    path("protocols/new/", library.protocol_new, name="protocol-create"),
    path("protocols/new/preview/", library.protocol_new_preview, name="protocol-create-preview"),
    path("protocols/<int:pk>/", library.protocol_detail, name="protocol-detail"),
    path("protocols/<int:pk>/edit/", library.protocol_edit, name="protocol-edit"),
    path("protocols/<int:pk>/edit/preview/", library.protocol_edit_preview, name="protocol-edit-preview"),
    path("protocols/<int:pk>/clone/", library.protocol_clone_view, name="protocol-clone"),
    path("foods/", library.food_list, name="food-list"),
    path("foods/new/", library.food_new, name="food-create"),
    path("foods/<int:pk>/edit/", library.food_edit, name="food-edit"),
]
