"""Study set-up: inclusion criteria, analysis mode, source projects, interview guides."""

urlpatterns = []
