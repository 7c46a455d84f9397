from django.apps import AppConfig


class CodingConfig(AppConfig):
    name = "coding"
    verbose_name = "Coding"

    def ready(self):
        from coding.demo import demo_coding
        from studies import demo

        demo.register_step(demo_coding)
