"""Agreement statistics pages."""

urlpatterns = []
