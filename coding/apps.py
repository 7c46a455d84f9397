from django.apps import AppConfig


class CodingConfig(AppConfig):
    name = "coding"
    verbose_name = "Coding"

    def ready(self):
        from coding.bench import report_section, run_coding
        from coding.demo import demo_coding
        from studies import bench, demo

        demo.register_step(demo_coding)
        bench.register(
            "coding",
            run_coding,
            "a 15,000-word transcript with 1,000 codings: render, and 500 applies",
        )
        bench.register_report(report_section)
