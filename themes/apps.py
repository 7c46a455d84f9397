from django.apps import AppConfig


class ThemesConfig(AppConfig):
    name = "themes"
    verbose_name = "Themes"

    def ready(self):
        from studies import demo, withdrawal
        from themes.demo import demo_themes
        from themes.withdrawal import derived_from, mark_themes

        demo.register_step(demo_themes)
        withdrawal.register(derived_from)
        withdrawal.register_erasure(mark_themes)
